//! What mksyscfg, chsyscfg and rmsyscfg share: reading `-i`/`-f` input
//! into records when a command is parsed, naming the partition a record is
//! about, and the profile attributes of a record, checked against the
//! attribute table before anything is looked up or sent.

use super::input::{LparRef, input_attrs};
use crate::error::CmdError;
use pvmlab_common::attrs::{PROFILE_ATTRS, set_profile_attrs};
use pvmlab_common::model::Profile;
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
    "power_on_lpar_start_policy",
    // chsyscfg -r sys and -r lpar
    "description",
];

pub type Attrs = Vec<(String, String)>;

pub fn get<'a>(a: &'a Attrs, k: &str) -> Option<&'a str> {
    a.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str())
}

/// The records given with `-i "..."` (one) or `-f file` (one per line),
/// each attribute named in `allowed`.
pub fn records(i: Option<&str>, f: Option<&str>, allowed: &[&str]) -> Result<Vec<Attrs>, CmdError> {
    match (i, f) {
        (Some(i), None) => Ok(vec![input_attrs(i, allowed)?]),
        (None, Some(path)) => {
            let text = crate::files::read_input(path)?;
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

/// The partition a record names, by `key` (name or lpar_name) or lpar_id;
/// `key` wins when both are given.
pub fn lpar_ref(a: &Attrs, key: &str) -> Result<LparRef, CmdError> {
    if let Some(n) = get(a, key) {
        return Ok(LparRef::Name(n.to_string()));
    }
    if let Some(id) = get(a, "lpar_id") {
        return Ok(LparRef::Id(id.to_string()));
    }
    Err(format!("The {key} or lpar_id attribute is required.").into())
}

/// The required attribute `k` of a record.
pub fn required<'a>(a: &'a Attrs, k: &str) -> Result<&'a str, CmdError> {
    get(a, k).ok_or_else(|| format!("The {k} attribute is required.").into())
}

/// A record's profile attributes, each value already accepted by the
/// attribute table, so that applying them to a profile cannot fail. A pool
/// may be named instead of numbered; the name is looked up on the frame
/// when the record is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileInput {
    attrs: Attrs,
    pool: Option<String>,
}

impl ProfileInput {
    pub fn parse(a: &Attrs) -> Result<ProfileInput, CmdError> {
        let attrs: Attrs = a
            .iter()
            .filter(|(k, _)| PROFILE_ATTRS.iter().any(|x| &x.name == k))
            .cloned()
            .collect();
        // Checked whole now, so that applying them cannot fail.
        set_profile_attrs(
            &mut Profile::default(),
            attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(invalid_value)?;
        Ok(ProfileInput {
            attrs,
            pool: get(a, "shared_proc_pool_name").map(str::to_string),
        })
    }

    /// Applies the attributes to `p`, the pool by its name on `frame`.
    pub fn apply(&self, frame: &FrameView, p: &mut Profile) -> Result<(), CmdError> {
        set_profile_attrs(p, self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(invalid_value)?;
        if let Some(pool) = &self.pool {
            let pools = frame
                .frame
                .as_ref()
                .map(|f| f.pools.clone())
                .unwrap_or_default();
            p.shared_proc_pool_id = pools
                .iter()
                .find(|x| &x.name == pool)
                .map(|x| x.id)
                .ok_or_else(|| format!("The shared processor pool {pool} was not found."))?;
        }
        Ok(())
    }
}

fn invalid_value(e: pvmlab_common::attrs::AttrError) -> CmdError {
    format!("An invalid attribute value was entered: {e}").into()
}

pub fn flag(a: &Attrs, k: &str) -> Result<Option<bool>, CmdError> {
    get(a, k).map(|v| flag_value(k, v)).transpose()
}

/// A 0/1 attribute's value.
pub fn flag_value(k: &str, v: &str) -> Result<bool, CmdError> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("An invalid attribute value was entered: {k}={v} (0 or 1)").into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn rec(s: &str) -> Attrs {
        input_attrs(s, &allowed()).unwrap()
    }

    #[test]
    fn records_come_from_one_of_i_and_f() {
        let dir = tempfile::tempdir().unwrap();
        let home = crate::files::Files::new(dir.path().into()).home("hscroot");
        home.write("in.txt", b"name=a,lpar_id=1\n\n name=b \n")
            .unwrap();
        let path = "in.txt";
        let got = crate::files::sync_scope(home, || records(None, Some(path), &allowed())).unwrap();
        assert_eq!(got, vec![rec("name=a,lpar_id=1"), rec("name=b")]);
        assert_eq!(
            records(Some("name=a"), None, &allowed()).unwrap(),
            vec![rec("name=a")]
        );
        assert!(records(Some("name=a"), Some(path), &allowed()).is_err());
        assert!(records(None, None, &allowed()).is_err());
        assert!(records(Some("bogus=1"), None, &allowed()).is_err());
        assert!(records(None, Some("/nonexistent/in.txt"), &allowed()).is_err());
    }

    #[test]
    fn a_record_names_its_partition_by_key_first() {
        assert_eq!(
            lpar_ref(&rec("lpar_id=3,name=x"), "name").ok(),
            Some(LparRef::Name("x".into()))
        );
        assert_eq!(
            lpar_ref(&rec("lpar_id=3,name=x"), "lpar_name").ok(),
            Some(LparRef::Id("3".into()))
        );
        assert!(lpar_ref(&rec("desired_mem=1024"), "name").is_err());
    }

    #[test]
    fn profile_values_are_checked_when_parsed() {
        let ok = ProfileInput::parse(&rec("name=p,desired_mem=2048,shared_proc_pool_name=pool1"))
            .unwrap();
        let mut p = Profile::default();
        let frame = FrameView {
            frame: Some(pvmlab_common::model::Frame {
                pools: vec![pvmlab_common::model::SharedProcPool {
                    id: 3,
                    name: "pool1".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        ok.apply(&frame, &mut p).unwrap();
        assert_eq!((p.desired_mem, p.shared_proc_pool_id), (2048, 3));
        assert!(
            ok.apply(&FrameView::default(), &mut p).is_err(),
            "no such pool"
        );
        assert!(ProfileInput::parse(&rec("desired_mem=lots")).is_err());
        assert!(ProfileInput::parse(&rec("proc_mode=both")).is_err());
    }

    /// Every list attribute goes out through the listing's rendering and
    /// back in through `-i`, its elements holding commas quoted by the
    /// HMC's rule at both levels.
    #[test]
    fn list_attributes_round_trip_through_a_listing_and_i_input() {
        use pvmlab_common::attrs::{default_profile, profile_attr};
        let lists = [
            (
                "virtual_eth_adapters",
                "\"2/1/1/100,200/1/1/ETHERNET0//all/none\",3/0/99//0/1",
            ),
            (
                "virtual_fc_adapters",
                "\"5/client/1/vios1/23/c050760431670040,c050760431670041/1\",\"6/client/2/vios2/23/c050760431670042,c050760431670043/1\"",
            ),
            (
                "virtual_scsi_adapters",
                "3/client/1/vios1/13/1,4/client/2/vios2/13/1",
            ),
            (
                "virtual_serial_adapters",
                "0/server/1/any//any/1,1/server/1/any//any/1",
            ),
            ("io_slots", "21010001/none/1,21010002/none/0"),
        ];
        let mut p = default_profile("p");
        let mut r = vec![crate::render::kv("name", "p")];
        for (k, v) in lists {
            pvmlab_common::attrs::set_profile_attr(&mut p, k, v).unwrap();
            r.push(crate::render::kv(
                k,
                (profile_attr(k).unwrap().get)(&p).unwrap(),
            ));
        }
        let line = crate::render::print(&[r], None, false, &[]).unwrap();
        assert!(line.contains(",\"virtual_eth_adapters=\"\"2/1/1/100,200/1/1/ETHERNET0//all/none\"\",3/0/99//0/1\","), "{line}");
        let back = ProfileInput::parse(&rec(line.trim_end())).unwrap();
        let mut q = default_profile("p");
        back.apply(&FrameView::default(), &mut q).unwrap();
        assert_eq!(p, q);
    }

    #[test]
    fn flags_are_zero_or_one() {
        assert_eq!(flag(&rec("msp=1"), "msp").ok(), Some(Some(true)));
        assert_eq!(flag(&rec("msp=0"), "msp").ok(), Some(Some(false)));
        assert_eq!(flag(&rec("name=x"), "msp").ok(), Some(None));
        assert!(flag(&rec("msp=yes"), "msp").is_err());
    }
}
