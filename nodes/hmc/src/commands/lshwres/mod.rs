//! `lshwres -r mem|proc|virtualio|rspool -m <sys> --level sys|lpar|slot
//! [--rsubtype eth|scsi|fc|vasi|slot|rsdev] [-F attrs] [--header] [--filter
//! "lpar_names=...|lpar_ids=..."]`: the frame's memory and processors and
//! what running partitions hold, the virtual adapters and slots of running
//! partitions, and the reserved storage device pool.

pub(crate) mod virtualio;

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record, kv};
use pvmlab_common::attrs::fmt_units;
use pvmlab_common::model::{Frame, FrameExt as _, Partition, PartitionExt as _};

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["--level"]),
    value(&["--rsubtype"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

/// What `-r`, `--level` and `--rsubtype` together ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `-r mem --level sys`
    MemSys,
    /// `-r mem --level lpar`
    MemLpar,
    /// `-r proc --level sys`
    ProcSys,
    /// `-r proc --level lpar`
    ProcLpar,
    /// `-r virtualio --level lpar --rsubtype eth|scsi|fc`
    Adapters(Adapter),
    /// `-r virtualio --level lpar --rsubtype slot`: each partition's slots.
    SlotsLpar,
    /// `-r virtualio --level slot --rsubtype slot`: each slot in use.
    Slots,
    /// `-r virtualio --level lpar --rsubtype vasi`: the VASI adapter through
    /// which the hypervisor and a mover service partition move a migrating
    /// partition's memory.
    Vasi,
    /// `-r rspool`: the reserved storage device pool.
    Rspool,
    /// `-r rspool --rsubtype rsdev`: its devices.
    RsDevices,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    Eth,
    Scsi,
    Fc,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lshwres {
    pub frame: String,
    pub listing: Listing,
    pub form: Form,
}

impl Command for Lshwres {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let listing = listing(o.require("-r")?, o.get("--level"), o.get("--rsubtype"))?;
        Ok(Lshwres {
            frame,
            listing,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let fv = find_frame(ctx, &self.frame)?;
        let frame = fv.frame.clone().unwrap_or_default();
        // Only running partitions hold resources and adapters.
        let running: Vec<&Partition> = fv.partitions.iter().filter(|p| p.curr.is_some()).collect();
        let records: Vec<Record> = match self.listing {
            Listing::MemSys => vec![mem_sys(&frame, &running)],
            Listing::MemLpar => running.iter().map(|p| mem_lpar(p)).collect(),
            Listing::ProcSys => vec![proc_sys(&frame, &running)],
            Listing::ProcLpar => running.iter().map(|p| proc_lpar(&frame, p)).collect(),
            Listing::Adapters(kind) => running
                .iter()
                .flat_map(|p| virtualio::adapters(&frame, p, kind))
                .collect(),
            Listing::SlotsLpar => running.iter().map(|p| virtualio::slots_lpar(p)).collect(),
            Listing::Slots => running
                .iter()
                .flat_map(|p| virtualio::slots(&frame, p))
                .collect(),
            Listing::Vasi => running
                .iter()
                .filter(|p| p.is_vios() && p.msp)
                .map(|p| {
                    vec![
                        kv("lpar_name", &p.name),
                        kv("lpar_id", p.id),
                        kv("adapter_id", 32768 + p.id),
                        kv("state", 1),
                        kv("msp", 1),
                    ]
                })
                .collect(),
            Listing::Rspool => crate::rr::rsdp::pool_records(&fv),
            Listing::RsDevices => crate::rr::rsdp::device_records(&fv),
        };
        Ok(render::listing(
            records,
            &self.form,
            &[("lpar_names", "lpar_name"), ("lpar_ids", "lpar_id")],
            &[],
        )?)
    }
}

/// The listing `-r`, `--level` and `--rsubtype` name, or why they name
/// none (checked in this order, the HMC's texts).
fn listing(r: &str, level: Option<&str>, sub: Option<&str>) -> Result<Listing, String> {
    use Listing::*;
    Ok(match (r, level, sub) {
        ("mem", Some("sys"), None) => MemSys,
        ("mem", Some("lpar"), None) => MemLpar,
        ("proc", Some("sys"), None) => ProcSys,
        ("proc", Some("lpar"), None) => ProcLpar,
        ("virtualio", Some("lpar"), Some("eth")) => Adapters(Adapter::Eth),
        ("virtualio", Some("lpar"), Some("scsi")) => Adapters(Adapter::Scsi),
        ("virtualio", Some("lpar"), Some("fc")) => Adapters(Adapter::Fc),
        ("virtualio", Some("lpar"), Some("slot")) => SlotsLpar,
        ("virtualio", Some("slot"), Some("slot")) => Slots,
        ("virtualio", Some("lpar"), Some("vasi")) => Vasi,
        ("rspool", _, None) => Rspool,
        ("rspool", _, Some("rsdev")) => RsDevices,
        ("rspool", _, Some(other)) => {
            return Err(opts::invalid_value(
                "--rsubtype",
                other,
                "Valid values are rsdev.",
            ));
        }
        ("mem" | "proc", _, Some(_)) => {
            return Err("The --rsubtype parameter is not valid with -r mem or -r proc.".into());
        }
        ("mem" | "proc" | "virtualio", None, _) => {
            return Err("The --level parameter is required.".into());
        }
        ("virtualio", _, None) => {
            return Err("The --rsubtype parameter is required with -r virtualio.".into());
        }
        ("virtualio", Some("lpar"), Some(other)) => {
            return Err(opts::invalid_value(
                "--rsubtype",
                other,
                "Valid values are eth, scsi, fc, vasi, slot.",
            ));
        }
        ("mem" | "proc" | "virtualio", Some(other), _) => {
            return Err(opts::invalid_value("--level", other, ""));
        }
        (other, _, _) => {
            return Err(opts::invalid_value(
                "-r",
                other,
                "Valid values are mem, proc, virtualio, rspool.",
            ));
        }
    })
}

fn mem_sys(f: &Frame, running: &[&Partition]) -> Record {
    let fw = u64::from(f.firmware_mem_mb);
    let avail = f.available(running.iter().copied()).mem_mb;
    vec![
        kv("configurable_sys_mem", f.memory_mb),
        kv("curr_avail_sys_mem", avail),
        kv("pend_avail_sys_mem", avail),
        kv("installed_sys_mem", f.memory_mb),
        kv("deconfig_sys_mem", 0),
        kv("sys_firmware_mem", fw),
        kv("mem_region_size", f.lmb_mb),
        kv("configured_num_sys_huge_pages", 0),
        kv("pend_configured_num_sys_huge_pages", 0),
        kv("max_num_sys_huge_pages", 0),
        kv("requested_num_sys_huge_pages", 0),
        kv("huge_page_size", 16384),
    ]
}

fn mem_lpar(p: &Partition) -> Record {
    let c = p.curr.clone().unwrap_or_default();
    let prof = p.profile(&p.curr_profile).cloned().unwrap_or_default();
    vec![
        kv("lpar_name", &p.name),
        kv("lpar_id", p.id),
        kv("curr_min_mem", prof.min_mem),
        kv("curr_mem", c.mem_mb),
        kv("curr_max_mem", prof.max_mem),
        kv("pend_min_mem", prof.min_mem),
        kv("pend_mem", c.mem_mb),
        kv("pend_max_mem", prof.max_mem),
        kv("run_min_mem", prof.min_mem),
        kv("run_mem", c.mem_mb),
        kv("curr_min_num_huge_pages", 0),
        kv("curr_num_huge_pages", 0),
        kv("curr_max_num_huge_pages", 0),
        kv("mem_mode", &prof.mem_mode),
    ]
}

fn proc_sys(f: &Frame, running: &[&Partition]) -> Record {
    let avail = f.available(running.iter().copied()).proc_units;
    vec![
        kv("configurable_sys_proc_units", fmt_units(f.processors)),
        kv("curr_avail_sys_proc_units", fmt_units(avail)),
        kv("pend_avail_sys_proc_units", fmt_units(avail)),
        kv("installed_sys_proc_units", fmt_units(f.processors)),
        kv("deconfig_sys_proc_units", 0),
        kv("min_proc_units_per_virtual_proc", "0.05"),
        kv("max_virtual_procs_per_lpar", 256),
        kv("max_procs_per_lpar", 256),
        kv("max_shared_proc_pools", 64),
    ]
}

fn proc_lpar(f: &Frame, p: &Partition) -> Record {
    let c = p.curr.clone().unwrap_or_default();
    let prof = p.profile(&p.curr_profile).cloned().unwrap_or_default();
    let mut r = vec![kv("lpar_name", &p.name), kv("lpar_id", p.id)];
    if c.proc_mode == "shared" {
        let pool = f
            .pools
            .iter()
            .find(|x| x.id == c.shared_proc_pool_id)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| "DefaultPool".into());
        r.extend([
            kv("curr_shared_proc_pool_id", c.shared_proc_pool_id),
            kv("curr_shared_proc_pool_name", pool),
            kv("curr_proc_mode", "shared"),
            kv("curr_min_proc_units", fmt_units(prof.min_proc_units)),
            kv("curr_proc_units", fmt_units(c.proc_units)),
            kv("curr_max_proc_units", fmt_units(prof.max_proc_units)),
            kv("curr_min_procs", prof.min_procs),
            kv("curr_procs", c.procs),
            kv("curr_max_procs", prof.max_procs),
            kv("curr_sharing_mode", &prof.sharing_mode),
            kv("curr_uncap_weight", prof.uncap_weight),
            kv("pend_proc_units", fmt_units(c.proc_units)),
            kv("pend_procs", c.procs),
            kv("run_proc_units", fmt_units(c.proc_units)),
            kv("run_procs", c.procs),
            kv("run_uncap_weight", prof.uncap_weight),
        ]);
    } else {
        r.extend([
            kv("curr_proc_mode", "ded"),
            kv("curr_min_procs", prof.min_procs),
            kv("curr_procs", c.procs),
            kv("curr_max_procs", prof.max_procs),
            kv("curr_sharing_mode", &prof.sharing_mode),
            kv("pend_procs", c.procs),
            kv("run_procs", c.procs),
        ]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    fn parsed(line: &str) -> Result<Listing, String> {
        Lshwres::parse(&args(&format!("-m sys2 {line}")))
            .map(|l| l.listing)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_the_listing_from_r_level_and_rsubtype() {
        assert_eq!(parsed("-r mem --level sys"), Ok(Listing::MemSys));
        assert_eq!(parsed("-r proc --level lpar"), Ok(Listing::ProcLpar));
        assert_eq!(
            parsed("-r virtualio --rsubtype fc --level lpar"),
            Ok(Listing::Adapters(Adapter::Fc))
        );
        assert_eq!(
            parsed("-r virtualio --rsubtype slot --level slot"),
            Ok(Listing::Slots)
        );
        assert_eq!(
            parsed("-r virtualio --rsubtype vasi --level lpar"),
            Ok(Listing::Vasi)
        );
        assert_eq!(parsed("-r rspool"), Ok(Listing::Rspool));
        assert_eq!(
            parsed("-r rspool --level sys --rsubtype rsdev"),
            Ok(Listing::RsDevices)
        );
        let f = Lshwres::parse(&args(
            "-r mem -m sys2 --level lpar -F curr_mem --filter lpar_names=a",
        ))
        .ok()
        .map(|l| (l.frame, l.form));
        assert_eq!(
            f,
            Some((
                "sys2".into(),
                Form {
                    fields: Some("curr_mem".into()),
                    header: false,
                    filter: Some("lpar_names=a".into()),
                }
            ))
        );
    }

    #[test]
    fn refuses_combinations_the_hmc_refuses() {
        assert_eq!(
            parsed("-r mem"),
            Err("The --level parameter is required.".into())
        );
        assert_eq!(
            parsed("-r proc --level sys --rsubtype eth"),
            Err("The --rsubtype parameter is not valid with -r mem or -r proc.".into())
        );
        assert_eq!(
            parsed("-r virtualio --level lpar"),
            Err("The --rsubtype parameter is required with -r virtualio.".into())
        );
        assert_eq!(
            parsed("-r virtualio --level lpar --rsubtype hea"),
            Err("An invalid value was entered for the --rsubtype parameter: hea. Valid values are eth, scsi, fc, vasi, slot.".into())
        );
        assert_eq!(
            parsed("-r virtualio --level slot --rsubtype eth"),
            Err("An invalid value was entered for the --level parameter: slot.".into())
        );
        assert_eq!(
            parsed("-r rspool --rsubtype eth"),
            Err("An invalid value was entered for the --rsubtype parameter: eth. Valid values are rsdev.".into())
        );
        assert_eq!(
            parsed("-r io --level sys"),
            Err("An invalid value was entered for the -r parameter: io. Valid values are mem, proc, virtualio, rspool.".into())
        );
        assert_eq!(
            Lshwres::parse(&args("-r mem --level sys"))
                .err()
                .map(|e| e.to_string()),
            Some("The -m parameter is required.".into())
        );
        assert_eq!(
            parsed("--level sys"),
            Err("The -r parameter is required.".into())
        );
    }
}
