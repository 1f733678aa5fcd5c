//! `lslic -m <sys> [-t sys|power|syspower] [-F attrs] [--header]`: the
//! frame's licensed internal code (firmware) levels, as Ansible's
//! firmware_update reads them (`-F activated_spname,activated_level,ecnumber`,
//! no `-t`: the managed system's) and hmcscanner (`ecnumber`,
//! `installed_level`, `activated_level`, `deferred_level`). No update is
//! ever installed here, so nothing is deferred.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-t"]),
    value(&["-F"]),
    flag(&["--header"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lslic {
    pub frame: String,
    pub kind: Kind,
    pub form: Form,
}

/// Whose code: the managed system's (the default), the power subsystem's,
/// or both in one record (`syspower`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sys,
    Power,
    SysPower,
}

const ATTRS: &[&str] = &[
    "lic_type",
    "management_status",
    "disabled_reason",
    "activated_level",
    "activated_spname",
    "installed_level",
    "installed_spname",
    "accepted_level",
    "accepted_spname",
    "deferred_level",
    "deferred_spname",
    "platform_ipl_level",
    "platform_ipl_spname",
    "ecnumber",
    "mtms",
];

impl Command for Lslic {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = match o.get("-t") {
            None => Kind::Sys,
            Some(t) => opts::one_of(
                "-t",
                t,
                &[
                    ("sys", Kind::Sys),
                    ("power", Kind::Power),
                    ("syspower", Kind::SysPower),
                ],
                "Valid values are sys, power, syspower.",
            )?,
        };
        Ok(Lslic {
            frame: o.require("-m")?.to_string(),
            kind,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let fr = f.frame.clone().unwrap_or_default();
        use pvmlab_common::model::FrameExt as _;
        Ok(render::listing(
            vec![record(&fr.firmware, self.kind, &fr.mtms())],
            &self.form,
            &[],
            ATTRS,
        )?)
    }
}

/// SV860_180 → ("01SV860", "180", "FW860.00").
fn levels(firmware: &str) -> (String, String, String) {
    let (release, level) = firmware.split_once('_').unwrap_or((firmware, "0"));
    let digits: String = release.chars().filter(char::is_ascii_digit).collect();
    (
        format!("01{release}"),
        level.to_string(),
        format!("FW{digits}.00"),
    )
}

/// The one record: the frame's code as active, installed, accepted and
/// last booted, with no deferred level.
fn record(firmware: &str, kind: Kind, mtms: &str) -> Record {
    let (ec, level, spname) = levels(firmware);
    let lic_type = match kind {
        Kind::Sys => "Managed System",
        Kind::Power => "Power",
        Kind::SysPower => "Managed System and Power",
    };
    [
        ("lic_type", lic_type),
        ("management_status", "Enabled"),
        ("disabled_reason", ""),
        ("activated_level", level.as_str()),
        ("activated_spname", spname.as_str()),
        ("installed_level", level.as_str()),
        ("installed_spname", spname.as_str()),
        ("accepted_level", level.as_str()),
        ("accepted_spname", spname.as_str()),
        ("deferred_level", "None"),
        ("deferred_spname", "None"),
        ("platform_ipl_level", level.as_str()),
        ("platform_ipl_spname", spname.as_str()),
        ("ecnumber", ec.as_str()),
        ("mtms", mtms),
    ]
    .iter()
    .map(|(k, v)| render::kv(k, v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn firmware_levels() {
        assert_eq!(
            levels("SV860_180"),
            ("01SV860".into(), "180".into(), "FW860.00".into())
        );
    }

    #[test]
    fn parses_the_frame_and_whose_code() {
        assert_eq!(
            Lslic::parse(&args("-m sys2 -t sys -F activated_level")).ok(),
            Some(Lslic {
                frame: "sys2".into(),
                kind: Kind::Sys,
                form: Form {
                    fields: Some("activated_level".into()),
                    ..Form::default()
                }
            })
        );
        assert_eq!(
            Lslic::parse(&args("-m sys2")).ok().map(|l| l.kind),
            Some(Kind::Sys)
        );
        assert_eq!(
            Lslic::parse(&args("-m sys2 -t syspower"))
                .ok()
                .map(|l| l.kind),
            Some(Kind::SysPower)
        );
        assert_eq!(
            Lslic::parse(&args("-m sys2 -t sfp"))
                .err()
                .map(|e| e.to_string()),
            Some(
                "An invalid value was entered for the -t parameter: sfp. Valid values are sys, power, syspower."
                    .into()
            )
        );
        assert_eq!(
            Lslic::parse(&args("-t sys")).err().map(|e| e.to_string()),
            Some("The -m parameter is required.".into())
        );
        assert!(Lslic::parse(&args("-m sys2 --filter names=x")).is_err());
    }

    #[test]
    fn the_record_has_what_clients_read_and_nothing_deferred() {
        let r = record("SV860_180", Kind::Sys, "8286-42A*21A5E8V");
        let keys: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ATTRS);
        assert!(r.contains(&render::kv("deferred_level", "None")));
        assert!(r.contains(&render::kv("activated_spname", "FW860.00")));
    }
}
