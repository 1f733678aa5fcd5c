//! `lsrefcode -r lpar|sys -m <sys> [-s p|s] [-n <number>] [--filter
//! "lpar_names=..."] [-F attrs] [--header]`: the latest reference codes of
//! each partition (newest first, `-n` of them, from the history the FSP
//! keeps), or of the frame's service processor.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record, kv};
use pvmlab_common::clock::Civil;
use pvmlab_common::model::Partition;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-s"]),
    value(&["-n"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Lpar,
    Sys,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lsrefcode {
    pub resource: Resource,
    pub frame: String,
    /// `-n`: how many of the latest codes (1 unless given).
    pub number: usize,
    pub form: Form,
}

/// The most codes `-n` asks for (the history the FSP keeps).
const MAX_CODES: usize = 25;

impl Command for Lsrefcode {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let resource = o.word(
            "-r",
            &[("lpar", Resource::Lpar), ("sys", Resource::Sys)],
            "Valid values are lpar, sys.",
        )?;
        if let Some(sp) = o.get("-s") {
            if resource != Resource::Sys {
                return Err("The -s parameter is only valid with -r sys."
                    .to_string()
                    .into());
            }
            if !matches!(sp, "p" | "s") {
                return Err(opts::invalid_value("-s", sp, "Valid values are p, s.").into());
            }
        }
        let number = match o.get("-n") {
            None => 1,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_CODES).contains(n))
                .ok_or_else(|| {
                    opts::invalid_value("-n", n, &format!("Valid values are 1 to {MAX_CODES}."))
                })?,
        };
        Ok(Lsrefcode {
            resource,
            frame,
            number,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let time = render::sys_time();
        let records: Vec<Record> = match self.resource {
            Resource::Lpar => f
                .partitions
                .iter()
                .flat_map(|p| lpar_records(p, &time, self.number))
                .collect(),
            Resource::Sys => vec![vec![
                kv("time_stamp", time),
                kv("refcode", "00000000"),
                kv("word2", "00000000"),
            ]],
        };
        Ok(render::listing(
            records,
            &self.form,
            &[("lpar_names", "lpar_name"), ("lpar_ids", "lpar_id")],
            &[],
        )?)
    }
}

/// A partition's latest `n` codes, newest first: its code now, then the
/// ones before it from the history. A partition that has shown no code yet
/// shows zeros.
fn lpar_records(p: &Partition, now: &str, n: usize) -> Vec<Record> {
    let rec = |code: &str, time: String| {
        vec![
            kv("lpar_name", &p.name),
            kv("lpar_id", p.id),
            kv("time_stamp", time),
            kv("refcode", if code.is_empty() { "00000000" } else { code }),
            kv("word2", "03000000"),
        ]
    };
    let at = |ms: u64| render::time_at(Civil::at((ms / 1000) as i64));
    let mut past = p.ref_codes.iter().rev().peekable();
    // The code shown now heads the list, with the time it was recorded.
    let first = match past.peek() {
        Some(c) if c.refcode == p.ref_code => {
            let t = at(c.time_ms);
            past.next();
            rec(&p.ref_code, t)
        }
        _ => rec(&p.ref_code, now.to_string()),
    };
    std::iter::once(first)
        .chain(past.map(|c| rec(&c.refcode, at(c.time_ms))))
        .take(n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_resource_type() {
        assert_eq!(
            Lsrefcode::parse(&args(
                "-r lpar -m sys3 -F refcode --filter lpar_names=web01"
            ))
            .ok(),
            Some(Lsrefcode {
                resource: Resource::Lpar,
                frame: "sys3".into(),
                number: 1,
                form: Form {
                    fields: Some("refcode".into()),
                    header: false,
                    filter: Some("lpar_names=web01".into()),
                }
            })
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r sys -m sys3"))
                .ok()
                .map(|l| l.resource),
            Some(Resource::Sys)
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r io -m sys3")).err().map(|e| e.to_string()),
            Some("An invalid value was entered for the -r parameter: io. Valid values are lpar, sys.".into())
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r lpar"))
                .err()
                .map(|e| e.to_string()),
            Some("The -m parameter is required.".into())
        );
    }

    #[test]
    fn n_and_s_are_checked() {
        let p = |l: &str| Lsrefcode::parse(&args(l)).map_err(|e| e.to_string());
        assert_eq!(p("-r lpar -m s -n 10").map(|l| l.number), Ok(10));
        assert!(p("-r sys -m s -s p -n 20").is_ok());
        assert!(p("-r lpar -m s -n 0").unwrap_err().contains("-n"));
        assert!(p("-r lpar -m s -n x").unwrap_err().contains("-n"));
        assert!(p("-r sys -m s -s q").unwrap_err().contains("p, s"));
        assert!(p("-r lpar -m s -s p").unwrap_err().contains("-r sys"));
    }

    #[test]
    fn partitions_without_a_code_show_zeros() {
        let p = Partition {
            name: "web01".into(),
            id: 4,
            ..Default::default()
        };
        let r = lpar_records(&p, "t", 1);
        assert_eq!(r.len(), 1);
        assert!(r[0].contains(&kv("refcode", "00000000")));
        assert!(r[0].contains(&kv("lpar_id", "4")));
        assert!(r[0].contains(&kv("time_stamp", "t")));
    }

    #[test]
    fn the_history_lists_newest_first() {
        use pvmlab_common::model::RefCode;
        let code = |c: &str, s: u64| RefCode {
            refcode: c.into(),
            time_ms: s * 1000,
        };
        let p = Partition {
            name: "aix".into(),
            ref_code: "0C54".into(),
            ref_codes: vec![code("CA00E1F1", 10), code("CA00E175", 20), code("0C54", 30)],
            ..Default::default()
        };
        let codes = |n| -> Vec<String> {
            lpar_records(&p, "now", n)
                .iter()
                .map(|r| render::value(r, "refcode").unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(codes(1), ["0C54"]);
        assert_eq!(codes(10), ["0C54", "CA00E175", "CA00E1F1"]);
        let r = lpar_records(&p, "now", 1);
        assert_eq!(
            render::value(&r[0], "time_stamp"),
            Some("01/01/1970 00:00:30")
        );
        // Running with no code now: zeros now, then what it showed before.
        let running = Partition {
            ref_code: String::new(),
            ..p.clone()
        };
        let r = lpar_records(&running, "now", 2);
        assert_eq!(render::value(&r[0], "refcode"), Some("00000000"));
        assert_eq!(render::value(&r[1], "refcode"), Some("0C54"));
    }
}
