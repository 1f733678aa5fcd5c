//! `rmvdev {-vtd Name | -vdev TargetDevice}`: a virtual target device
//! removed, so its client loses that path to the disk (MPIO shows it
//! Missing), or its virtual DVD drive (a `vtopt`).

use super::args::{self, Arity};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: rmvdev [-f] {-vdev TargetDevice | -vtd VirtualTargetDevice} [-rmlv]";

#[derive(Debug, PartialEq, Eq)]
pub enum Rmvdev {
    Vtd(String),
    Vdev(String),
}

impl Command for Rmvdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[
                ("-vtd", Arity::One),
                ("-vdev", Arity::One),
                ("-f", Arity::Flag),
                ("-rmlv", Arity::Flag),
            ],
            words,
            0,
            USAGE,
        )?;
        match (a.one("-vtd"), a.one("-vdev")) {
            (Some(v), None) => Ok(Rmvdev::Vtd(v.into())),
            (None, Some(v)) => Ok(Rmvdev::Vdev(v.into())),
            _ => Err(CmdError::Usage(USAGE)),
        }
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let mut next = env.dev.clone();
        if let Rmvdev::Vtd(v) = &self
            && let Some(i) = next.optical.iter().position(|o| &o.vtd == v)
        {
            let o = next.optical.remove(i);
            return Ok(Done::storing(format!("{} deleted\n", o.vtd), next));
        }
        let found = next.vscsi.iter().position(|m| match &self {
            Rmvdev::Vtd(v) => &m.vtd == v,
            Rmvdev::Vdev(d) => &m.backing == d,
        });
        let Some(i) = found else {
            return Err(match self {
                Rmvdev::Vtd(v) => CmdError::NotKnown(v),
                Rmvdev::Vdev(d) => CmdError::Method(format!(
                    "\"{d}\" is not a backing device of any virtual target device."
                )),
            });
        };
        let m = next.vscsi.remove(i);
        Ok(Done::storing(format!("{} deleted\n", m.vtd), next))
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv;

    #[test]
    fn a_mapping_is_removed_by_its_vtd_or_its_disk() {
        testenv::with(|env| {
            let (d, s) = crate::cmd::run(env, "rmvdev -vtd vtscsi0");
            assert_eq!((d.output.as_str(), s), ("vtscsi0 deleted\n", 0));
            assert!(
                d.change
                    .devices
                    .unwrap()
                    .vscsi
                    .iter()
                    .all(|m| m.vtd != "vtscsi0")
            );
            let (d, s) = crate::cmd::run(env, "rmvdev -vdev hdisk2");
            assert_eq!((d.output.as_str(), s), ("vtscsi0 deleted\n", 0));
            let (d, s) = crate::cmd::run(env, "rmvdev -vtd vtscsi9");
            assert_eq!(
                (d.output.as_str(), s),
                ("Device 'vtscsi9' is not known.\n", 1)
            );
            assert!(d.change.devices.is_none());
            assert_eq!(crate::cmd::run(env, "rmvdev").1, 2);
        });
    }
}
