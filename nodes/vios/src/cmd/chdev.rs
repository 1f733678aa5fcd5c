//! `chdev -dev Name -attr Attribute=Value … [-perm]`: a device's settable
//! attributes. An SEA's `ha_mode` (seed 002's maintenance: `standby`
//! forces a failover, `auto` fails back) and `ctl_chan`, a disk's
//! `reserve_policy` (`single_path` shuts out the second VIOS's path, the
//! reason seed 002 sets `no_reserve`). All attributes are checked before
//! any is changed: a bad one changes nothing.

use super::args::{self, Arity};
use super::inventory::{Inventory, Kind};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: chdev -dev Name [-perm] {-attr Attribute=Value ... | -restoreroot}";

#[derive(Debug, PartialEq, Eq)]
pub struct Chdev {
    pub dev: String,
    pub attrs: Vec<(String, String)>,
    /// Change the database only, for the next restart: the lab applies it
    /// at once as well, as the device is reconfigured at the next boot.
    pub perm: bool,
}

/// An attribute value the device's configuration method refuses, in its
/// words (chdev's and mkvdev's alike).
pub(super) fn invalid(method: &str, attr: &str, description: &str) -> CmdError {
    let line = format!("  {attr:<15} {description}");
    CmdError::Method(format!(
        "Method error (/usr/lib/methods/{method}):\n        0514-018 The values specified for the following attributes \n                  are not valid:\n{}",
        line.trim_end()
    ))
}

impl Command for Chdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[
                ("-dev", Arity::One),
                ("-attr", Arity::Many),
                ("-perm", Arity::Flag),
            ],
            words,
            0,
            USAGE,
        )?;
        let dev = a.one("-dev").ok_or(CmdError::Usage(USAGE))?.to_string();
        let attrs = a.attrs("-attr", USAGE)?;
        if attrs.is_empty() {
            return Err(CmdError::Usage(USAGE));
        }
        Ok(Chdev {
            dev,
            attrs,
            perm: a.has("-perm"),
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let d = inv
            .get(&self.dev)
            .ok_or_else(|| CmdError::NotKnown(self.dev.clone()))?;
        let mut next = env.dev.clone();
        match &d.kind {
            Kind::Sea(_) => {
                let sea = next
                    .seas
                    .iter_mut()
                    .find(|s| s.name == self.dev)
                    .ok_or_else(|| CmdError::NotKnown(self.dev.clone()))?;
                for (k, v) in &self.attrs {
                    match k.as_str() {
                        "ha_mode" if crate::sea::ha::parse_mode(v).is_some() => {
                            sea.ha_mode = v.clone()
                        }
                        "ha_mode" => return Err(invalid("chgsea", k, "High Availability Mode")),
                        "ctl_chan"
                            if inv.virt_ent(v).is_some_and(|(_, a)| a.trunk_priority == 0) =>
                        {
                            sea.ctl_chan = v.clone()
                        }
                        "ctl_chan" => {
                            return Err(invalid(
                                "chgsea",
                                k,
                                "Control Channel adapter for SEA failover",
                            ));
                        }
                        "netaddr" => sea.netaddr = v.clone(),
                        other => return Err(CmdError::NoAttribute(other.to_string())),
                    }
                }
            }
            Kind::Disk(disk) => {
                let lun = disk.lun.clone();
                for (k, v) in &self.attrs {
                    match (k.as_str(), v.as_str()) {
                        ("reserve_policy", "no_reserve" | "single_path") => {
                            let l = next
                                .luns
                                .iter_mut()
                                .find(|l| Some(&l.id) == lun.as_ref())
                                .ok_or_else(|| {
                                    CmdError::Method(format!(
                                        "Method error (/usr/lib/methods/chgdisk):\n        0514-062 Cannot perform the requested function because the\n                 specified device is busy.\n{}",
                                        self.dev
                                    ))
                                })?;
                            l.reserve_policy = v.to_string();
                        }
                        ("reserve_policy", _) => {
                            return Err(invalid("chgdisk", k, "Reserve Policy"));
                        }
                        (other, _) => return Err(CmdError::NoAttribute(other.to_string())),
                    }
                }
            }
            _ => {
                let first = self
                    .attrs
                    .first()
                    .map(|(k, _)| k.clone())
                    .unwrap_or_default();
                return Err(CmdError::NoAttribute(first));
            }
        }
        Ok(Done::storing(format!("{} changed\n", self.dev), next))
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv;

    use testenv::run_changing as chdev;

    #[test]
    fn maintenance_sets_the_sea_to_standby_and_back() {
        let (out, s, dev) = chdev("chdev -dev ent5 -attr ha_mode=standby");
        assert_eq!((out.as_str(), s), ("ent5 changed\n", 0));
        assert_eq!(dev.unwrap().seas[0].ha_mode, "standby");
        let (_, _, dev) = chdev("chdev -dev ent5 -perm -attr ha_mode=auto ctl_chan=ent3");
        let dev = dev.unwrap();
        assert_eq!(
            (dev.seas[0].ha_mode.as_str(), dev.seas[0].ctl_chan.as_str()),
            ("auto", "ent3")
        );
    }

    #[test]
    fn a_disks_reserve_policy_changes() {
        let (out, s, dev) = chdev("chdev -dev hdisk2 -attr reserve_policy=single_path");
        assert_eq!((out.as_str(), s), ("hdisk2 changed\n", 0), "{out}");
        assert!(
            dev.unwrap()
                .luns
                .iter()
                .any(|l| l.reserve_policy == "single_path")
        );
    }

    #[test]
    fn bad_input_changes_nothing() {
        for (line, want) in [
            (
                "chdev -dev ent9 -attr ha_mode=auto",
                "Device 'ent9' is not known.\n",
            ),
            ("chdev -dev ent5 -attr ha_mode=sometimes", "0514-018"),
            ("chdev -dev ent5 -attr ctl_chan=ent2", "0514-018"),
            (
                "chdev -dev ent5 -attr colour=blue",
                "\"colour\" attribute does not exist",
            ),
            (
                "chdev -dev hdisk2 -attr reserve_policy=pr_shared",
                "0514-018",
            ),
            ("chdev -dev ent5", "Usage: chdev"),
            ("chdev -dev ent5 -attr ha_mode", "Usage: chdev"),
        ] {
            let (out, s, dev) = chdev(line);
            assert!(out.contains(want), "{line}: {out}");
            assert_ne!(s, 0);
            assert!(dev.is_none(), "{line} changed something");
        }
    }
}
