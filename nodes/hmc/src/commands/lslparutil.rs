//! `lslparutil -r config [-m sys]`: the sample rate of each frame; and
//! `lslparutil -r sys|lpar|pool|procpool|mempool|hmc|all -m sys [-s
//! h|d|m|s] [-d n] [-h n] [--minutes n] [--start… n] [--end… n] [-n n]
//! [--filter …] [-F …] [--header]`: the utilization samples the HMC took
//! of the frame (`crate::utilization`), newest first.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record, kv};
use crate::utilization::sample::{CYCLES_PER_SECOND, FrameSample, LparSample};
use crate::utilization::window::{self, Kind, Point, Window};
use pvmlab_common::attrs::fmt_units;
use pvmlab_common::model::FrameExt as _;
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-s"]),
    value(&["-d"]),
    value(&["-h"]),
    value(&["--minutes"]),
    value(&["--startyear"]),
    value(&["--startmonth"]),
    value(&["--startday"]),
    value(&["--starthour"]),
    value(&["--startminute"]),
    value(&["--endyear"]),
    value(&["--endmonth"]),
    value(&["--endday"]),
    value(&["--endhour"]),
    value(&["--endminute"]),
    value(&["-n"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Config,
    Sys,
    Lpar,
    Pool,
    Procpool,
    Mempool,
    Hmc,
    All,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lslparutil {
    pub resource: Resource,
    pub frame: Option<String>,
    pub kind: Kind,
    pub window: Window,
    pub events: Option<usize>,
    pub form: Form,
}

const FILTERS: &[(&str, &str)] = &[
    ("event_types", "event_type"),
    ("lpar_names", "lpar_name"),
    ("lpar_ids", "lpar_id"),
    ("pool_names", "shared_proc_pool_name"),
    ("pool_ids", "shared_proc_pool_id"),
];

const CONFIG_ATTRS: &[&str] = &["name", "type_model_serial_num", "sample_rate"];
const COMMON: &[&str] = &["time", "event_type", "resource_type", "sys_time"];
const SYS_ATTRS: &[&str] = &[
    "state",
    "configurable_sys_proc_units",
    "configurable_sys_mem",
    "curr_avail_sys_proc_units",
    "curr_avail_5250_cpw_percent",
    "curr_avail_sys_mem",
    "sys_firmware_mem",
    "proc_cycles_per_second",
];
const LPAR_ATTRS: &[&str] = &[
    "time_cycles",
    "lpar_name",
    "lpar_id",
    "curr_proc_mode",
    "curr_proc_units",
    "curr_procs",
    "curr_sharing_mode",
    "curr_uncap_weight",
    "curr_shared_proc_pool_name",
    "curr_shared_proc_pool_id",
    "curr_5250_cpw_percent",
    "mem_mode",
    "curr_mem",
    "entitled_cycles",
    "capped_cycles",
    "uncapped_cycles",
    "shared_cycles_while_active",
    "idle_cycles",
];
const POOL_ATTRS: &[&str] = &[
    "time_cycles",
    "curr_avail_pool_proc_units",
    "configurable_pool_proc_units",
    "borrowed_pool_proc_units",
    "total_pool_cycles",
    "utilized_pool_cycles",
];
const PROCPOOL_ATTRS: &[&str] = &[
    "time_cycles",
    "shared_proc_pool_name",
    "shared_proc_pool_id",
    "max_pool_proc_units",
    "total_pool_cycles",
    "utilized_pool_cycles",
];

fn whole(name: &str, v: Option<&str>) -> Result<Option<i64>, String> {
    window::part(name, v, 0, i64::from(u32::MAX))
}

impl Command for Lslparutil {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.word(
            "-r",
            &[
                ("config", Resource::Config),
                ("sys", Resource::Sys),
                ("lpar", Resource::Lpar),
                ("pool", Resource::Pool),
                ("procpool", Resource::Procpool),
                ("mempool", Resource::Mempool),
                ("hmc", Resource::Hmc),
                ("all", Resource::All),
            ],
            "Valid values are hmc, lpar, pool, procpool, mempool, sys, all, config.",
        )?;
        let frame = o.get("-m").map(str::to_string);
        if resource == Resource::Config {
            for v in SPEC.iter().map(|s| s.names[0]) {
                if !matches!(v, "-r" | "-m" | "-F" | "--header") && o.has(v) {
                    return Err(format!("The {v} parameter is not valid with -r config.").into());
                }
            }
        } else if frame.is_none() {
            return Err(String::from("The -m parameter is required.").into());
        }
        let kind = o
            .get("-s")
            .map(Kind::parse)
            .transpose()?
            .unwrap_or(Kind::Rate);
        let point = |p: &str| -> Result<Point, String> {
            Ok(Point {
                year: window::part(
                    &format!("--{p}year"),
                    o.get(&format!("--{p}year")),
                    1970,
                    9999,
                )?,
                month: window::part(&format!("--{p}month"), o.get(&format!("--{p}month")), 1, 12)?,
                day: window::part(&format!("--{p}day"), o.get(&format!("--{p}day")), 1, 31)?,
                hour: window::part(&format!("--{p}hour"), o.get(&format!("--{p}hour")), 0, 23)?,
                minute: window::part(
                    &format!("--{p}minute"),
                    o.get(&format!("--{p}minute")),
                    0,
                    59,
                )?,
            })
        };
        let (start, end) = (point("start")?, point("end")?);
        let (d, h, m) = (
            whole("-d", o.get("-d"))?,
            whole("-h", o.get("-h"))?,
            whole("--minutes", o.get("--minutes"))?,
        );
        let back_secs = (d.is_some() || h.is_some() || m.is_some())
            .then(|| d.unwrap_or(0) * 86_400 + h.unwrap_or(0) * 3600 + m.unwrap_or(0) * 60);
        if back_secs.is_some() && start.given() {
            return Err(String::from(
                "The -d, -h, and --minutes parameters cannot be specified with the --start parameters.",
            )
            .into());
        }
        let events = whole("-n", o.get("-n"))?
            .map(|n| n as usize)
            .filter(|n| *n > 0);
        if o.get("-n").is_some() && events.is_none() {
            return Err(opts::invalid_value("-n", o.get("-n").unwrap_or(""), "").into());
        }
        Ok(Lslparutil {
            resource,
            frame,
            kind,
            window: Window {
                start,
                end,
                back_secs,
            },
            events,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        if self.resource == Resource::Config {
            let frames = match &self.frame {
                Some(m) => vec![find_frame(ctx, m)?],
                None => ctx.hmc.view.frames(),
            };
            let records = frames
                .iter()
                .filter(|f| f.frame.is_some())
                .map(|f| config_record(f, ctx.hmc.util.rate(&f.name)))
                .collect();
            return Ok(render::listing(records, &self.form, &[], CONFIG_ATTRS)?);
        }
        let f = find_frame(ctx, self.frame.as_deref().unwrap_or_default())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (start, end) = self.window.bounds(now);
        let samples = ctx.hmc.util.samples(&f.name, self.kind, start, end);
        let filter = self
            .form
            .filter
            .as_deref()
            .map(|s| render::Filter::parse(s, FILTERS))
            .transpose()?;
        let mut records = Vec::new();
        let mut times = 0;
        for s in &samples {
            let mut these: Vec<Record> = records_of(self.resource, s);
            if let Some(fl) = &filter {
                these.retain(|r| fl.matches(r));
            }
            if these.is_empty() {
                continue;
            }
            if self.events.is_some_and(|n| times >= n) {
                break;
            }
            times += 1;
            records.extend(these);
        }
        let known: Vec<&str> = COMMON
            .iter()
            .chain(match self.resource {
                Resource::Sys => SYS_ATTRS,
                Resource::Lpar => LPAR_ATTRS,
                Resource::Pool => POOL_ATTRS,
                Resource::Procpool => PROCPOOL_ATTRS,
                Resource::All => LPAR_ATTRS,
                _ => &[],
            })
            .copied()
            .collect();
        let form = Form {
            filter: None,
            ..self.form
        };
        Ok(render::listing(records, &form, &[], &known)?)
    }
}

/// The frame's name as listings show it: the one a user gave it, if any.
fn shown_name(f: &FrameView) -> String {
    match f.frame.as_ref() {
        Some(fr) if !fr.user_name.is_empty() => fr.user_name.clone(),
        _ => f.name.clone(),
    }
}

fn config_record(f: &FrameView, rate: u32) -> Record {
    vec![
        kv("name", shown_name(f)),
        kv(
            "type_model_serial_num",
            f.frame.as_ref().map(|fr| fr.mtms()).unwrap_or_default(),
        ),
        kv("sample_rate", rate),
    ]
}

fn time_of(t: i64) -> String {
    let c = pvmlab_common::clock::Civil::at(t);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02}",
        c.month, c.day, c.year, c.hour, c.minute, c.second
    )
}

fn head(s: &FrameSample, resource: &str) -> Record {
    let t = time_of(s.time);
    vec![
        kv("time", &t),
        kv("event_type", "sample"),
        kv("resource_type", resource),
        kv("sys_time", t),
    ]
}

/// The records one sample gives a resource type: `all` is the frame, its
/// pools and its partitions.
fn records_of(resource: Resource, s: &FrameSample) -> Vec<Record> {
    match resource {
        Resource::Sys => vec![sys_record(s)],
        Resource::Lpar => s.lpars.iter().map(|l| lpar_record(s, l)).collect(),
        Resource::Pool => vec![pool_record(s)],
        Resource::Procpool => s.procpools.iter().map(|p| procpool_record(s, p)).collect(),
        Resource::All => {
            let mut v = vec![sys_record(s), pool_record(s)];
            v.extend(s.procpools.iter().map(|p| procpool_record(s, p)));
            v.extend(s.lpars.iter().map(|l| lpar_record(s, l)));
            v
        }
        // The lab has no shared memory pool; the HMC's own events are
        // not collected.
        Resource::Mempool | Resource::Hmc | Resource::Config => vec![],
    }
}

fn sys_record(s: &FrameSample) -> Record {
    let mut r = head(s, "sys");
    r.extend([
        kv("state", &s.state),
        kv("configurable_sys_proc_units", fmt_units(s.proc_units)),
        kv("configurable_sys_mem", s.mem_mb),
        kv("curr_avail_sys_proc_units", fmt_units(s.avail_proc_units)),
        kv("curr_avail_5250_cpw_percent", "0.0"),
        kv("curr_avail_sys_mem", s.avail_mem_mb),
        kv("sys_firmware_mem", s.firmware_mem_mb),
        kv("proc_cycles_per_second", CYCLES_PER_SECOND),
    ]);
    r
}

fn lpar_record(s: &FrameSample, l: &LparSample) -> Record {
    let mut r = head(s, "lpar");
    r.extend([
        kv("time_cycles", s.time_cycles),
        kv("lpar_name", &l.name),
        kv("lpar_id", l.id),
        kv("curr_proc_mode", &l.proc_mode),
    ]);
    let shared = l.proc_mode == "shared";
    if shared {
        r.push(kv("curr_proc_units", fmt_units(l.proc_units)));
    }
    r.push(kv("curr_procs", l.procs));
    r.push(kv("curr_sharing_mode", &l.sharing_mode));
    if shared {
        r.extend([
            kv("curr_uncap_weight", l.uncap_weight),
            kv("curr_shared_proc_pool_name", &l.pool_name),
            kv("curr_shared_proc_pool_id", l.pool_id),
        ]);
    }
    r.extend([
        kv("curr_5250_cpw_percent", "0.0"),
        kv("mem_mode", &l.mem_mode),
        kv("curr_mem", l.mem_mb),
        kv("entitled_cycles", l.counters.entitled),
        kv("capped_cycles", l.counters.capped),
        kv("uncapped_cycles", l.counters.uncapped),
        kv("shared_cycles_while_active", 0),
        kv("idle_cycles", l.counters.idle),
    ]);
    r
}

fn pool_record(s: &FrameSample) -> Record {
    let mut r = head(s, "pool");
    r.extend([
        kv("time_cycles", s.time_cycles),
        kv("curr_avail_pool_proc_units", fmt_units(s.pool.avail_units)),
        kv(
            "configurable_pool_proc_units",
            fmt_units(s.pool.configurable_units),
        ),
        kv("borrowed_pool_proc_units", fmt_units(s.pool.borrowed_units)),
        kv("total_pool_cycles", s.pool.total_cycles),
        kv("utilized_pool_cycles", s.pool.utilized_cycles),
    ]);
    r
}

fn procpool_record(s: &FrameSample, p: &crate::utilization::sample::ProcPoolSample) -> Record {
    let mut r = head(s, "procpool");
    r.extend([
        kv("time_cycles", s.time_cycles),
        kv("shared_proc_pool_name", &p.name),
        kv("shared_proc_pool_id", p.id),
        kv("max_pool_proc_units", fmt_units(p.max_units)),
        kv("total_pool_cycles", p.total_cycles),
        kv("utilized_pool_cycles", p.utilized_cycles),
    ]);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    fn parse(line: &str) -> Result<Lslparutil, String> {
        Lslparutil::parse(&args(line)).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_the_window_the_kind_and_the_count() {
        let l = parse("-r lpar -m sys1 -s h --startyear 2026 --startmonth 12 --endhour 10 -n 3")
            .unwrap();
        assert_eq!(l.resource, Resource::Lpar);
        assert_eq!(l.kind, Kind::Hourly);
        assert_eq!(l.events, Some(3));
        assert_eq!(l.window.start.year, Some(2026));
        assert_eq!(l.window.end.hour, Some(10));
        let l = parse("-r sys -m sys1 -d 1 -h 2").unwrap();
        assert_eq!(l.window.back_secs, Some(86_400 + 7200));
        assert_eq!(l.kind, Kind::Rate);
        assert!(parse("-r config").is_ok());
        assert_eq!(
            parse("-r lpar").err().as_deref(),
            Some("The -m parameter is required.")
        );
        assert_eq!(
            parse("-r x -m s").err().as_deref(),
            Some(
                "An invalid value was entered for the -r parameter: x. Valid values are hmc, lpar, pool, procpool, mempool, sys, all, config."
            )
        );
        assert!(parse("-r lpar -m s -s w").is_err());
        assert!(parse("-r lpar -m s --startmonth 13").is_err());
        assert!(parse("-r lpar -m s -n 0").is_err());
        assert!(parse("-r lpar -m s -h 1 --startday 2").is_err());
        assert!(parse("-r config -s h").is_err());
    }

    #[test]
    fn records_read_as_the_hmcs() {
        let s = FrameSample {
            time: window::secs_of(2026, 12, 2, 9, 5) + 7,
            state: "Operating".into(),
            proc_units: 16.0,
            avail_proc_units: 1.8,
            mem_mb: 131_072,
            avail_mem_mb: 25_344,
            firmware_mem_mb: 7168,
            time_cycles: 10,
            pool: Default::default(),
            procpools: vec![],
            lpars: vec![LparSample {
                id: 6,
                name: "gdst-ls".into(),
                proc_mode: "ded".into(),
                procs: 2,
                sharing_mode: "share_idle_procs".into(),
                mem_mode: "ded".into(),
                mem_mb: 8192,
                ..Default::default()
            }],
        };
        let line = |r: &Record| {
            r.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            line(&sys_record(&s)),
            "time=12/02/2026 09:05:07,event_type=sample,resource_type=sys,sys_time=12/02/2026 09:05:07,state=Operating,configurable_sys_proc_units=16.0,configurable_sys_mem=131072,curr_avail_sys_proc_units=1.8,curr_avail_5250_cpw_percent=0.0,curr_avail_sys_mem=25344,sys_firmware_mem=7168,proc_cycles_per_second=512000000"
        );
        // A dedicated partition has no processing units, weight or pool.
        let l = line(&lpar_record(&s, &s.lpars[0]));
        assert!(l.contains("lpar_name=gdst-ls,lpar_id=6,curr_proc_mode=ded,curr_procs=2,curr_sharing_mode=share_idle_procs,curr_5250_cpw_percent=0.0,mem_mode=ded,curr_mem=8192,entitled_cycles=0"), "{l}");
        assert!(!l.contains("curr_proc_units"));
        assert_eq!(records_of(Resource::All, &s).len(), 3);
        assert!(records_of(Resource::Mempool, &s).is_empty());
    }
}
