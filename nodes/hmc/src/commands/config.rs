//! What mksyscfg, chsyscfg and rmsyscfg share: reading `-i`/`-f` input,
//! naming the partition a record is about, building profiles through the
//! attribute table, and sending the result to the frame's hypervisor.

use super::input::input_attrs;
use crate::error::CmdError;
use crate::hscl::Hscl;
use pvmlab_common::attrs::{PROFILE_ATTRS, set_profile_attr};
use pvmlab_common::model::{Partition, Profile};
use pvmlab_common::proto::hmc::FrameView;

/// The attributes configuration input takes beyond the profile's: the
/// partition's (`mksyscfg`/`chsyscfg -r lpar`) and the managed system's
/// (`chsyscfg -r sys`).
pub const LPAR_INPUT: &[&str] = &[
    "name",
    "lpar_id",
    "lpar_env",
    "profile_name",
    "new_name",
    "default_profile",
    "remote_restart_capable",
    "simplified_remote_restart_capable",
    "lpar_avail_priority",
    "primary_rs_vios_name",
    "secondary_rs_vios_name",
    "rs_device_name",
    "msp",
    "migration_disabled",
    "lpar_name",
    "shared_proc_pool_name",
    // chsyscfg -r sys
    "power_off_policy",
];

pub type Attrs = Vec<(String, String)>;

pub fn get<'a>(a: &'a Attrs, k: &str) -> Option<&'a str> {
    a.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str())
}

/// The records given with `-i "..."` (one) or `-f file` (one per line).
pub fn records(i: Option<&str>, f: Option<&str>, allowed: &[&str]) -> Result<Vec<Attrs>, CmdError> {
    match (i, f) {
        (Some(i), None) => Ok(vec![input_attrs(i, allowed)?]),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("The file {path} cannot be read: {e}"))?;
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| input_attrs(l.trim(), allowed))
                .collect()
        }
        (Some(_), Some(_)) => Err("Specify either -i or -f, not both.".to_string().into()),
        (None, None) => Err("The -i or -f parameter is required.".to_string().into()),
    }
}

/// Every attribute a configuration record may carry.
pub fn allowed() -> Vec<&'static str> {
    LPAR_INPUT
        .iter()
        .copied()
        .chain(PROFILE_ATTRS.iter().map(|a| a.name))
        .collect()
}

/// The partition a record names, by `key` (name or lpar_name) or lpar_id.
pub fn partition<'a>(
    frame: &'a FrameView,
    a: &Attrs,
    key: &str,
) -> Result<&'a Partition, CmdError> {
    if let Some(n) = get(a, key) {
        return frame
            .partitions
            .iter()
            .find(|p| p.name == n)
            .ok_or_else(|| Hscl::PartitionNotFound(n.into()).into());
    }
    if let Some(id) = get(a, "lpar_id") {
        return frame
            .partitions
            .iter()
            .find(|p| p.id.to_string() == id)
            .ok_or_else(|| Hscl::PartitionNotFound(id.into()).into());
    }
    Err(format!("The {key} or lpar_id attribute is required.").into())
}

/// Applies the record's profile attributes to `p`. A pool may be named
/// instead of numbered.
pub fn apply_profile(frame: &FrameView, p: &mut Profile, a: &Attrs) -> Result<(), CmdError> {
    for (k, v) in a {
        if PROFILE_ATTRS.iter().any(|x| x.name == k) {
            set_profile_attr(p, k, v)
                .map_err(|e| format!("An invalid attribute value was entered: {e}"))?;
        }
    }
    if let Some(pool) = get(a, "shared_proc_pool_name") {
        let pools = frame
            .frame
            .as_ref()
            .map(|f| f.pools.clone())
            .unwrap_or_default();
        p.shared_proc_pool_id = pools
            .iter()
            .find(|x| x.name == pool)
            .map(|x| x.id)
            .ok_or_else(|| format!("The shared processor pool {pool} was not found."))?;
    }
    Ok(())
}

pub fn flag(a: &Attrs, k: &str) -> Result<Option<bool>, CmdError> {
    match get(a, k) {
        None => Ok(None),
        Some("0") => Ok(Some(false)),
        Some("1") => Ok(Some(true)),
        Some(v) => Err(format!("An invalid attribute value was entered: {k}={v} (0 or 1)").into()),
    }
}
