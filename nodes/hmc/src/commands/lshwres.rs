//! `lshwres -r mem|proc|virtualio -m <sys> --level sys|lpar [--rsubtype
//! eth|scsi|fc] [-F attrs] [--header] [--filter "lpar_names=...|lpar_ids=..."]`:
//! the frame's memory and processors and what running partitions hold, and
//! the virtual adapters of running partitions.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Record};
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

fn kv(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let fv = find_frame(ctx, o.require("-m")?)?;
    let frame = fv.frame.clone().unwrap_or_default();
    // Only running partitions hold resources and adapters.
    let running: Vec<&Partition> = fv.partitions.iter().filter(|p| p.curr.is_some()).collect();
    let level = o.get("--level");
    let records: Vec<Record> = match (o.require("-r")?, level, o.get("--rsubtype")) {
        ("mem", Some("sys"), None) => vec![mem_sys(&frame, &running)],
        ("mem", Some("lpar"), None) => running.iter().map(|p| mem_lpar(p)).collect(),
        ("proc", Some("sys"), None) => vec![proc_sys(&frame, &running)],
        ("proc", Some("lpar"), None) => running.iter().map(|p| proc_lpar(&frame, p)).collect(),
        ("virtualio", Some("lpar"), Some(sub @ ("eth" | "scsi" | "fc"))) => {
            let mut out = Vec::new();
            for p in &running {
                out.extend(adapters(&frame, p, sub));
            }
            out
        }
        ("virtualio", Some("lpar"), Some("slot")) => running.iter().map(|p| slots_lpar(p)).collect(),
        ("virtualio", Some("slot"), Some("slot")) => running.iter().flat_map(|p| slots(&frame, p)).collect(),
        // The VASI adapter through which the hypervisor and a mover service
        // partition move a migrating partition's memory.
        ("virtualio", Some("lpar"), Some("vasi")) => running
            .iter()
            .filter(|p| p.is_vios() && p.msp)
            .map(|p| vec![kv("lpar_name", &p.name), kv("lpar_id", p.id), kv("adapter_id", 32768 + p.id), kv("state", 1), kv("msp", 1)])
            .collect(),
        ("rspool", _, None) => crate::rr::rsdp::pool_records(&fv),
        ("rspool", _, Some("rsdev")) => crate::rr::rsdp::device_records(&fv),
        ("rspool", _, Some(other)) => {
            return Err(format!("An invalid value was entered for the --rsubtype parameter: {other}. Valid values are rsdev.").into());
        }
        ("mem" | "proc", _, Some(_)) => return Err("The --rsubtype parameter is not valid with -r mem or -r proc.".to_string().into()),
        ("mem" | "proc" | "virtualio", None, _) => return Err("The --level parameter is required.".to_string().into()),
        ("virtualio", _, None) => return Err("The --rsubtype parameter is required with -r virtualio.".to_string().into()),
        ("virtualio", Some("lpar"), Some(other)) => {
            return Err(format!("An invalid value was entered for the --rsubtype parameter: {other}. Valid values are eth, scsi, fc, vasi, slot.").into());
        }
        ("mem" | "proc" | "virtualio", Some(other), _) => {
            return Err(format!("An invalid value was entered for the --level parameter: {other}.").into());
        }
        (other, _, _) => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are mem, proc, virtualio, rspool.").into()),
    };
    Ok(render::listing(
        records,
        &o.form(),
        &[("lpar_names", "lpar_name"), ("lpar_ids", "lpar_id")],
        &[],
    )?)
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

/// A virtual Ethernet adapter's MAC when the profile leaves it to the
/// hypervisor: a locally administered prefix from the frame's serial, then
/// the partition id and slot, so it is stable and unique on the frame.
pub fn mac(frame: &Frame, lpar_id: u32, slot: u32) -> String {
    let h = frame.serial_num.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    // First byte: locally administered (bit 1 set), unicast (bit 0 clear).
    let prefix = (h & 0x00FC_FFFF) | 0x0002_0000;
    format!("{prefix:06X}{:02X}{:04X}", lpar_id & 0xFF, slot & 0xFFFF)
}

/// Every virtual slot a running partition uses, by kind.
fn used_slots(p: &Partition) -> Vec<(u32, &'static str)> {
    let c = p.curr.clone().unwrap_or_default();
    let mut v: Vec<(u32, &'static str)> = c
        .serial
        .iter()
        .map(|a| (a.slot, "serial"))
        .chain(c.scsi.iter().map(|a| (a.slot, "scsi")))
        .chain(c.eth.iter().map(|a| (a.slot, "eth")))
        .chain(c.fc.iter().map(|a| (a.slot, "fc")))
        .collect();
    v.sort_unstable();
    v
}

fn slots_lpar(p: &Partition) -> Record {
    let max = p.curr.as_ref().map(|c| c.max_virtual_slots).unwrap_or(0);
    let used = used_slots(p);
    // Slots 0 and 1 belong to the console adapters even when not configured.
    let next = (2..max).find(|s| !used.iter().any(|(u, _)| u == s));
    vec![
        kv("lpar_name", &p.name),
        kv("lpar_id", p.id),
        kv("curr_max_virtual_slots", max),
        kv("pend_max_virtual_slots", max),
        kv(
            "next_avail_virtual_slot",
            next.map(|n| n.to_string()).unwrap_or_else(|| "none".into()),
        ),
    ]
}

fn slots(frame: &Frame, p: &Partition) -> Vec<Record> {
    used_slots(p)
        .into_iter()
        .map(|(slot, kind)| {
            vec![
                kv("slot_num", slot),
                kv("lpar_name", &p.name),
                kv("lpar_id", p.id),
                kv("config", kind),
                kv("state", 1),
                kv(
                    "drc_name",
                    format!(
                        "U{}.{}-V{}-C{slot}",
                        frame.type_model.replace('-', "."),
                        frame.serial_num,
                        p.id
                    ),
                ),
            ]
        })
        .collect()
}

/// The adapters the running partition has now (its profile's, as changed
/// by dynamic LPAR).
fn adapters(frame: &Frame, p: &Partition, sub: &str) -> Vec<Record> {
    let c = p.curr.clone().unwrap_or_default();
    let head = |slot: u32| {
        vec![
            kv("lpar_name", &p.name),
            kv("lpar_id", p.id),
            kv("slot_num", slot),
        ]
    };
    let b = |v: bool| if v { 1 } else { 0 };
    match sub {
        "eth" => c
            .eth
            .iter()
            .map(|a| {
                let mut r = head(a.slot);
                r.extend([
                    kv("state", 1),
                    kv("is_required", b(a.required)),
                    kv("is_trunk", b(a.trunk_priority > 0)),
                ]);
                if a.trunk_priority > 0 {
                    r.push(kv("trunk_priority", a.trunk_priority));
                }
                let addl: Vec<String> = a.addl_vlan_ids.iter().map(u32::to_string).collect();
                r.extend([
                    kv("ieee_virtual_eth", b(a.ieee)),
                    kv("port_vlan_id", a.port_vlan_id),
                    kv(
                        "vswitch",
                        if a.vswitch.is_empty() {
                            "ETHERNET0"
                        } else {
                            &a.vswitch
                        },
                    ),
                    kv("addl_vlan_ids", addl.join(",")),
                    kv(
                        "mac_addr",
                        if a.mac_addr.is_empty() {
                            mac(frame, p.id, a.slot)
                        } else {
                            a.mac_addr.to_uppercase()
                        },
                    ),
                    kv(
                        "allowed_os_mac_addrs",
                        if a.allowed_os_mac_addrs.is_empty() {
                            "all"
                        } else {
                            &a.allowed_os_mac_addrs
                        },
                    ),
                    kv(
                        "qos_priority",
                        if a.qos_priority.is_empty() {
                            "none"
                        } else {
                            &a.qos_priority
                        },
                    ),
                ]);
                r
            })
            .collect(),
        "scsi" => c
            .scsi
            .iter()
            .map(|a| {
                let mut r = head(a.slot);
                r.extend([
                    kv("state", 1),
                    kv("is_required", b(a.required)),
                    kv("adapter_type", if a.server { "server" } else { "client" }),
                    kv(
                        "remote_lpar_id",
                        if a.remote_lpar_id.is_empty() {
                            "any"
                        } else {
                            &a.remote_lpar_id
                        },
                    ),
                    kv("remote_lpar_name", &a.remote_lpar_name),
                    kv(
                        "remote_slot_num",
                        if a.remote_slot.is_empty() {
                            "any"
                        } else {
                            &a.remote_slot
                        },
                    ),
                ]);
                if !a.server {
                    r.push(kv("backing_devices", "none"));
                }
                r
            })
            .collect(),
        _ => {
            c.fc.iter()
                .map(|a| {
                    let mut r = head(a.slot);
                    r.extend([
                        kv("adapter_type", if a.server { "server" } else { "client" }),
                        kv("state", 1),
                        kv("is_required", b(a.required)),
                        kv("remote_lpar_id", &a.remote_lpar_id),
                        kv("remote_lpar_name", &a.remote_lpar_name),
                        kv("remote_slot_num", &a.remote_slot),
                    ]);
                    if !a.server {
                        r.push(kv("wwpns", a.wwpns.join(",")));
                    }
                    r
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn macs_are_locally_administered_and_distinct() {
        let f = pvmlab_common::model::Frame {
            serial_num: "21A5E8V".into(),
            ..Default::default()
        };
        let a = super::mac(&f, 3, 2);
        assert_eq!(a.len(), 12);
        let first = u8::from_str_radix(&a[..2], 16).unwrap();
        assert_eq!(first & 0x03, 0x02, "locally administered, unicast: {a}");
        assert_ne!(a, super::mac(&f, 3, 3));
        assert_ne!(a, super::mac(&f, 4, 2));
    }
}
