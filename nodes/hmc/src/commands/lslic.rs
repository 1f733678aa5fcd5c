//! `lslic -m <sys> [-t sys] [-F attrs]`: the frame's licensed internal code
//! (firmware) levels, as Ansible's firmware_update reads them
//! (`-F activated_spname,activated_level,ecnumber`).

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Record};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-t"]),
    value(&["-F"]),
    flag(&["--header"]),
];

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

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    if let Some(t) = o.get("-t").filter(|t| *t != "sys") {
        return Err(format!(
            "An invalid value was entered for the -t parameter: {t}. Valid value is sys."
        )
        .into());
    }
    let f = find_frame(ctx, o.require("-m")?)?;
    let fw = f
        .frame
        .as_ref()
        .map(|x| x.firmware.clone())
        .unwrap_or_default();
    let (ec, level, spname) = levels(&fw);
    let rec: Record = [
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
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Ok(render::listing(vec![rec], &o.form(), &[], &[])?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn firmware_levels() {
        assert_eq!(
            super::levels("SV860_180"),
            ("01SV860".into(), "180".into(), "FW860.00".into())
        );
    }
}
