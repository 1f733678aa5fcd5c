//! `lshwres -r mem|proc|virtualio|rspool -m <sys> --level sys|lpar|slot
//! [--rsubtype eth|scsi|fc|vasi|slot|vnic|vswitch|rsdev] [-F attrs]
//! [--header] [--filter "lpar_names=...|lpar_ids=..."]`: the frame's memory
//! and processors and what running partitions hold, the virtual adapters,
//! slots and switches of running partitions, and the reserved storage
//! device pool; `-r io --rsubtype slot|slotchildren|iopool`, `-r procpool`,
//! `-r mempool` and `-r sriov --rsubtype adapter|logport|physport` as
//! hmcscanner and hmc-mcp read them.

mod physical;
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
    /// `-r io --rsubtype slot`: the physical I/O slots.
    IoSlots,
    /// `-r io --rsubtype slotchildren`: the adapters' ports in them.
    IoChildren,
    /// `-r io --rsubtype iopool --level sys|pool`: I/O pools (the lab's
    /// frames have none).
    IoPools,
    /// `-r procpool`: the shared processor pools.
    ProcPools,
    /// `-r mempool`: the shared memory pool (none in the lab).
    MemPool,
    /// `-r sriov`: SR-IOV adapters and their ports (none in the lab).
    Sriov,
    /// `-r virtualio --rsubtype vnic|vnicbkdev`: vNIC adapters and their
    /// backing devices (none in the lab).
    Vnic,
    /// `-r virtualio --rsubtype vswitch`: the virtual switches.
    Vswitches,
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
            // Every partition, a stopped one with nothing (hmcscanner
            // joins these to every partition of lssyscfg).
            Listing::MemLpar => fv.partitions.iter().map(mem_lpar).collect(),
            Listing::ProcSys => vec![proc_sys(&frame, &running)],
            Listing::ProcLpar => fv.partitions.iter().map(|p| proc_lpar(&frame, p)).collect(),
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
            Listing::IoSlots => physical::slot_records(&frame, &fv.partitions),
            Listing::IoChildren => physical::child_records(&frame, &fv.partitions),
            Listing::ProcPools => physical::pool_records(&frame, &fv.partitions),
            Listing::Vswitches => virtualio::vswitches(&fv.partitions),
            Listing::IoPools | Listing::MemPool | Listing::Sriov | Listing::Vnic => Vec::new(),
        };
        Ok(render::listing(
            records,
            &self.form,
            &[
                ("lpar_names", "lpar_name"),
                ("lpar_ids", "lpar_id"),
                ("adapter_ids", "adapter_id"),
                ("vswitches", "vswitch"),
                ("pool_names", "name"),
                ("pool_ids", "shared_proc_pool_id"),
                ("drc_indexes", "drc_index"),
            ],
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
        ("io", None, Some("slot")) => IoSlots,
        ("io", None, Some("slotchildren")) => IoChildren,
        ("io", Some("sys" | "pool"), Some("iopool")) => IoPools,
        ("io", None, Some("iopool")) => {
            return Err("The --level parameter is required.".into());
        }
        ("io", Some(other), Some("slot" | "slotchildren" | "iopool")) => {
            return Err(opts::invalid_value("--level", other, ""));
        }
        ("io", _, None) => {
            return Err("The --rsubtype parameter is required with -r io.".into());
        }
        ("io", _, Some(other)) => {
            return Err(opts::invalid_value(
                "--rsubtype",
                other,
                "Valid values are slot, slotchildren, iopool.",
            ));
        }
        ("procpool", None, None) => ProcPools,
        ("mempool", None, None) => MemPool,
        ("procpool" | "mempool", Some(_), _) => {
            return Err(format!("The --level parameter is not valid with -r {r}."));
        }
        ("procpool" | "mempool", _, Some(_)) => {
            return Err(format!(
                "The --rsubtype parameter is not valid with -r {r}."
            ));
        }
        ("sriov", None, Some("adapter")) => Sriov,
        ("sriov", None | Some("eth" | "roce"), Some("logport")) => Sriov,
        ("sriov", Some("eth" | "ethc" | "roce"), Some("physport")) => Sriov,
        ("sriov", None, Some("physport")) => {
            return Err("The --level parameter is required.".into());
        }
        ("sriov", Some(other), Some("adapter" | "logport" | "physport")) => {
            return Err(opts::invalid_value("--level", other, ""));
        }
        ("sriov", _, None) => {
            return Err("The --rsubtype parameter is required with -r sriov.".into());
        }
        ("sriov", _, Some(other)) => {
            return Err(opts::invalid_value(
                "--rsubtype",
                other,
                "Valid values are adapter, logport, physport.",
            ));
        }
        ("virtualio", None | Some("lpar"), Some("vnic" | "vnicbkdev")) => Vnic,
        ("virtualio", None | Some("sys"), Some("vswitch")) => Vswitches,
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
                "Valid values are eth, scsi, fc, vasi, slot, vnic, vnicbkdev, vswitch.",
            ));
        }
        ("mem" | "proc" | "virtualio", Some(other), _) => {
            return Err(opts::invalid_value("--level", other, ""));
        }
        (other, _, _) => {
            return Err(opts::invalid_value(
                "-r",
                other,
                "Valid values are io, mem, proc, procpool, mempool, sriov, virtualio, rspool.",
            ));
        }
    })
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

fn mem_sys(f: &Frame, running: &[&Partition]) -> Record {
    let m = f.mem.clone().unwrap_or_default();
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
        kv(
            "pend_mem_region_size",
            if m.pend_region_size_mb == 0 {
                f.lmb_mb
            } else {
                m.pend_region_size_mb
            },
        ),
        kv("configured_num_sys_huge_pages", m.configured_huge_pages),
        kv("pend_configured_num_sys_huge_pages", m.requested_huge_pages),
        kv(
            "max_num_sys_huge_pages",
            pvmlab_common::model::max_huge_pages(f),
        ),
        kv("requested_num_sys_huge_pages", m.requested_huge_pages),
        kv("huge_page_size", pvmlab_common::model::HUGE_PAGE_MB),
        kv("mem_mirroring_mode", or(&m.mirroring_mode, "none")),
        kv(
            "pend_mem_mirroring_mode",
            or(&m.pend_mirroring_mode, or(&m.mirroring_mode, "none")),
        ),
    ]
}

/// What a partition holds now and the limits it holds it within: a
/// stopped partition holds nothing and shows zeros, in its profile's
/// processor and sharing mode, as the HMC lists it.
fn held(
    p: &Partition,
) -> (
    pvmlab_common::model::Resources,
    pvmlab_common::model::Profile,
) {
    let prof = p
        .profile(&p.curr_profile)
        .or_else(|| p.profile(&p.default_profile))
        .cloned()
        .unwrap_or_default();
    match &p.curr {
        Some(c) => (c.clone(), prof),
        None => (
            pvmlab_common::model::Resources {
                proc_mode: prof.proc_mode.clone(),
                ..Default::default()
            },
            pvmlab_common::model::Profile {
                proc_mode: prof.proc_mode.clone(),
                sharing_mode: prof.sharing_mode.clone(),
                mem_mode: prof.mem_mode.clone(),
                ..Default::default()
            },
        ),
    }
}

fn mem_lpar(p: &Partition) -> Record {
    let (c, prof) = held(p);
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
        kv(
            "min_proc_units_per_virtual_proc",
            fmt_units(pvmlab_common::model::MIN_UNITS_PER_VIRTUAL_PROC),
        ),
        kv("max_virtual_procs_per_lpar", 256),
        kv("max_procs_per_lpar", 256),
        kv("max_shared_proc_pools", 64),
    ]
}

fn proc_lpar(f: &Frame, p: &Partition) -> Record {
    let (c, prof) = held(p);
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
    fn parses_the_forms_hmcscanner_and_hmc_mcp_send() {
        for (line, want) in [
            ("-r io --rsubtype slot", Listing::IoSlots),
            ("-r io --rsubtype slotchildren", Listing::IoChildren),
            ("-r io --rsubtype iopool --level pool", Listing::IoPools),
            ("-r procpool", Listing::ProcPools),
            ("-r mempool", Listing::MemPool),
            ("-r sriov --rsubtype adapter", Listing::Sriov),
            ("-r sriov --rsubtype logport", Listing::Sriov),
            ("-r sriov --rsubtype logport --level eth", Listing::Sriov),
            ("-r sriov --rsubtype logport --level roce", Listing::Sriov),
            ("-r sriov --rsubtype physport --level eth", Listing::Sriov),
            ("-r sriov --rsubtype physport --level ethc", Listing::Sriov),
            ("-r sriov --rsubtype physport --level roce", Listing::Sriov),
            ("-r virtualio --rsubtype vnic", Listing::Vnic),
            ("-r virtualio --rsubtype vnic --level lpar", Listing::Vnic),
            ("-r virtualio --rsubtype vswitch", Listing::Vswitches),
            ("-r virtualio --rsubtype vnicbkdev", Listing::Vnic),
            (
                "-r virtualio --rsubtype eth --level lpar",
                Listing::Adapters(Adapter::Eth),
            ),
        ] {
            assert_eq!(parsed(line), Ok(want), "{line}");
        }
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
            Err("An invalid value was entered for the --rsubtype parameter: hea. Valid values are eth, scsi, fc, vasi, slot, vnic, vnicbkdev, vswitch.".into())
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
            parsed("-r hea --level sys"),
            Err("An invalid value was entered for the -r parameter: hea. Valid values are io, mem, proc, procpool, mempool, sriov, virtualio, rspool.".into())
        );
        assert_eq!(
            parsed("-r io --level sys"),
            Err("The --rsubtype parameter is required with -r io.".into())
        );
        assert_eq!(
            parsed("-r io --rsubtype iopool"),
            Err("The --level parameter is required.".into())
        );
        assert_eq!(
            parsed("-r sriov --rsubtype physport"),
            Err("The --level parameter is required.".into())
        );
        assert!(parsed("-r sriov --rsubtype logport --level ethc").is_err());
        assert!(parsed("-r procpool --rsubtype slot").is_err());
        assert!(parsed("-r io --rsubtype bus").is_err());
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
