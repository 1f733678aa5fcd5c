//! `lscod -m <sys> -t cap|bill|hist [-r proc|mem] [-c onoff|cuod|trial|
//! mobile|utility]`: Capacity on Demand, as hmcscanner reads it. The lab's
//! frames have every processor and every GB of memory permanently active
//! and no CoD offering enabled: the capacity records say so, and there is
//! no billing or history to list.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record, kv};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-t"]),
    value(&["-r"]),
    value(&["-c"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Proc,
    Mem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    OnOff,
    Cuod,
    Trial,
    Mobile,
    Utility,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Cap(Res, Offer),
    Bill(Res),
    Hist,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lscod {
    pub frame: String,
    pub what: What,
    pub form: Form,
}

const RES: &[(&str, Res)] = &[("proc", Res::Proc), ("mem", Res::Mem)];

impl Command for Lscod {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let res = || o.word("-r", RES, "Valid values are proc, mem.");
        let what = match o.require("-t")? {
            "cap" => What::Cap(
                res()?,
                o.word(
                    "-c",
                    &[
                        ("onoff", Offer::OnOff),
                        ("cuod", Offer::Cuod),
                        ("trial", Offer::Trial),
                        ("mobile", Offer::Mobile),
                        ("utility", Offer::Utility),
                    ],
                    "Valid values are cuod, onoff, trial, mobile, utility.",
                )?,
            ),
            "bill" => What::Bill(res()?),
            "hist" => What::Hist,
            other => return Err(opts::not_one_of("-t", other, &["bill", "cap", "hist"]).into()),
        };
        Ok(Lscod {
            frame,
            what,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let fr = f.frame.clone().unwrap_or_default();
        let records = match self.what {
            What::Cap(res, offer) => vec![capacity(res, offer, fr.processors, fr.memory_mb)],
            What::Bill(_) | What::Hist => Vec::new(),
        };
        Ok(render::listing(records, &self.form, &[], &[])?)
    }
}

/// A frame's capacity record for one offering: all of it permanent, the
/// offering not available.
fn capacity(res: Res, offer: Offer, procs: f64, mem_mb: u64) -> Record {
    let (r, installed) = match res {
        Res::Proc => ("proc", format!("{}", procs.round() as u64)),
        Res::Mem => ("mem", mem_mb.to_string()),
    };
    let unit = match res {
        Res::Proc => "procs",
        Res::Mem => "mem",
    };
    match offer {
        Offer::Cuod => vec![
            kv(&format!("installed_{unit}"), &installed),
            kv(&format!("perm_{unit}"), &installed),
            kv(&format!("inactive_{unit}"), "0"),
            kv(&format!("unreturned_{unit}"), "0"),
        ],
        Offer::OnOff => vec![
            kv(&format!("{r}_onoff_state"), "Not Available"),
            kv(&format!("activated_onoff_{unit}"), "0"),
            kv(&format!("avail_{unit}_for_onoff"), "0"),
            kv(&format!("unreturned_onoff_{unit}"), "0"),
            kv(&format!("onoff_request_{r}_days_left"), "0"),
            kv(&format!("onoff_{r}_day_hours_left"), "0"),
            kv(&format!("onoff_{r}_days_avail"), "0"),
        ],
        Offer::Trial => vec![
            kv(&format!("{r}_trial_state"), "Not Available"),
            kv(&format!("activated_trial_{unit}"), "0"),
        ],
        Offer::Mobile => vec![
            kv(&format!("{r}_mobile_state"), "Not Available"),
            kv(&format!("mobile_{unit}"), "0"),
        ],
        Offer::Utility => vec![
            kv(&format!("{r}_utility_cod_state"), "Not Available"),
            kv(&format!("activated_utility_cod_{unit}"), "0"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_hmcscanners_lines() {
        assert_eq!(
            Lscod::parse(&args("-t cap -r proc -c onoff -m sys1"))
                .ok()
                .map(|l| l.what),
            Some(What::Cap(Res::Proc, Offer::OnOff))
        );
        assert_eq!(
            Lscod::parse(&args("-t bill -r mem -m sys1"))
                .ok()
                .map(|l| l.what),
            Some(What::Bill(Res::Mem))
        );
        assert_eq!(
            Lscod::parse(&args("-t hist -m sys1")).ok().map(|l| l.what),
            Some(What::Hist)
        );
        for bad in [
            "-t cap -r proc -m s",
            "-t cap -c onoff -m s",
            "-t bill -m s",
            "-t hist",
            "-t key -m s",
            "-t cap -r io -c onoff -m s",
        ] {
            assert!(Lscod::parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn capacity_is_all_permanent_and_no_offering_is_available() {
        let r = capacity(Res::Mem, Offer::OnOff, 16.0, 65536);
        assert_eq!(render::value(&r, "mem_onoff_state"), Some("Not Available"));
        assert_eq!(render::value(&r, "avail_mem_for_onoff"), Some("0"));
        let r = capacity(Res::Proc, Offer::Cuod, 16.0, 65536);
        assert_eq!(render::value(&r, "perm_procs"), Some("16"));
        assert_eq!(render::value(&r, "inactive_procs"), Some("0"));
    }
}
