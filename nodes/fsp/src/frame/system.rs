//! Managed-system attributes an administrator changes (chsyscfg -r sys,
//! chhwres -r rspool).

use super::*;

impl Hypervisor {
    /// Renames the managed system as administrators see it, or sets its
    /// power-off policy, partition start policy or description.
    pub fn change_frame(
        &self,
        req: pvmlab_common::proto::fsp::ChangeFrameRequest,
    ) -> Result<(), FspError> {
        let pvmlab_common::proto::fsp::ChangeFrameRequest {
            user_name,
            power_off_policy,
            rspool,
            power_on_lpar_start_policy,
            description,
            ..
        } = req;
        self.change(|p, _| {
            if let Some(pol) = power_on_lpar_start_policy {
                if !START_POLICIES.contains(&pol.as_str()) {
                    return Err(FspError::Invalid(format!(
                        "power_on_lpar_start_policy {pol} is not one of {}",
                        START_POLICIES.join(", ")
                    )));
                }
                p.frame.power_on_lpar_start_policy = pol;
            }
            if let Some(d) = description {
                if d.len() > 255 {
                    return Err(FspError::Invalid(
                        "the description is longer than 255 characters".into(),
                    ));
                }
                p.frame.description = d;
            }
            if let Some(pool) = rspool {
                check_rspool(p, &pool)?;
                p.frame.rspool = Some(pool);
            }
            if let Some(n) = user_name {
                let ok = !n.is_empty()
                    && n.len() <= 63
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !ok {
                    return Err(FspError::Invalid(format!(
                        "the name {n:?} must be 1 to 63 letters, digits, '-', '_' or '.'"
                    )));
                }
                p.frame.user_name = n;
            }
            if let Some(pol) = power_off_policy {
                if pol > 1 {
                    return Err(FspError::Invalid(format!(
                        "power_off_policy {pol} is not 0 or 1"
                    )));
                }
                p.frame.power_off_policy = pol;
            }
            Ok(())
        })
    }
}

/// The partition start policies a frame takes when it powers on.
pub const START_POLICIES: &[&str] = &["autostart", "userinit", "autorecovery"];

/// A reserved storage device pool the hypervisor accepts: served by VIOS
/// partitions of this frame, each device once, and none taken from under
/// the partition that uses it.
fn check_rspool(p: &Persisted, pool: &pvmlab_common::model::RsPool) -> Result<(), FspError> {
    let is_vios = |id: u32| p.lpars.get(&id).is_some_and(|l| l.is_vios());
    if let Some(bad) = pool.vios_ids.iter().find(|id| !is_vios(**id)) {
        return Err(FspError::Invalid(format!(
            "partition {bad} is not a Virtual I/O Server partition of this frame"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &pool.devices {
        if !pool.vios_ids.contains(&d.vios_id) {
            return Err(FspError::Invalid(format!(
                "device {} is on partition {}, which does not serve the pool",
                d.device_name, d.vios_id
            )));
        }
        if !seen.insert((d.vios_id, d.device_name.clone())) {
            return Err(FspError::Invalid(format!(
                "device {} is in the pool twice",
                d.device_name
            )));
        }
    }
    for l in p.lpars.values().filter(|l| !l.rs_device_name.is_empty()) {
        let primary = p
            .lpars
            .values()
            .find(|v| v.name == l.primary_rs_vios_name)
            .map_or(0, |v| v.id);
        if !pool
            .devices
            .iter()
            .any(|d| d.device_name == l.rs_device_name && d.vios_id == primary)
        {
            return Err(FspError::NotPermitted(format!(
                "device {} holds the remote restart data of partition {}; assign it another device first",
                l.rs_device_name, l.name
            )));
        }
    }
    Ok(())
}
