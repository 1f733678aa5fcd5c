//! `lslic -m <sys> [-t sys] [-F attrs] [--header]`: the frame's licensed
//! internal code (firmware) levels, as Ansible's firmware_update reads
//! them (`-F activated_spname,activated_level,ecnumber`).

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

/// `-t` takes only `sys` (the frame's code, not a power subsystem's), so
/// the value keeps nothing of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Lslic {
    pub frame: String,
    pub form: Form,
}

impl Command for Lslic {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        if let Some(t) = o.get("-t").filter(|t| *t != "sys") {
            return Err(opts::invalid_value("-t", t, "Valid value is sys.").into());
        }
        Ok(Lslic {
            frame: o.require("-m")?.to_string(),
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let fw = f
            .frame
            .as_ref()
            .map(|x| x.firmware.clone())
            .unwrap_or_default();
        Ok(render::listing(vec![record(&fw)], &self.form, &[], &[])?)
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

/// The one record: the frame's code as active, installed and accepted.
fn record(firmware: &str) -> Record {
    let (ec, level, spname) = levels(firmware);
    [
        ("lic_type", "Managed System"),
        ("management_status", "Enabled"),
        ("disabled_reason", ""),
        ("activated_level", level.as_str()),
        ("activated_spname", spname.as_str()),
        ("installed_level", level.as_str()),
        ("accepted_level", level.as_str()),
        ("ecnumber", ec.as_str()),
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
    fn parses_the_frame_and_takes_only_sys_for_t() {
        assert_eq!(
            Lslic::parse(&args("-m sys2 -t sys -F activated_level")).ok(),
            Some(Lslic {
                frame: "sys2".into(),
                form: Form {
                    fields: Some("activated_level".into()),
                    ..Form::default()
                }
            })
        );
        assert_eq!(
            Lslic::parse(&args("-m sys2 -t power"))
                .err()
                .map(|e| e.to_string()),
            Some(
                "An invalid value was entered for the -t parameter: power. Valid value is sys."
                    .into()
            )
        );
        assert_eq!(
            Lslic::parse(&args("-t sys")).err().map(|e| e.to_string()),
            Some("The -m parameter is required.".into())
        );
        assert!(Lslic::parse(&args("-m sys2 --filter names=x")).is_err());
    }
}
