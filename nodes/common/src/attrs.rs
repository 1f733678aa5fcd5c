//! The one table that maps HMC profile attribute names to model fields.
//! Topology files, `mksyscfg`/`chsyscfg` input and `lssyscfg -r prof` output
//! all go through it, so a name is spelled, parsed and printed one way only.

use crate::model::{
    Profile, VirtualEthAdapter, VirtualFcAdapter, VirtualScsiAdapter, VirtualSerialAdapter,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttrError {
    #[error("unknown attribute {0}")]
    Unknown(String),
    #[error("attribute {attr} cannot be set")]
    ReadOnly { attr: String },
    #[error("invalid value {value:?} for attribute {attr}: {reason}")]
    Invalid {
        attr: String,
        value: String,
        reason: String,
    },
}

type Getter = fn(&Profile) -> Option<String>;
type Setter = fn(&mut Profile, &str) -> Result<(), String>;

/// One profile attribute: how to print it (None: it does not apply and is
/// left out, as the HMC does) and, if settable, how to parse it.
pub struct ProfileAttr {
    pub name: &'static str,
    pub get: Getter,
    pub set: Option<Setter>,
}

fn shared(p: &Profile) -> bool {
    p.proc_mode == "shared"
}

fn num<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim()
        .parse::<T>()
        .map_err(|_| "expected a whole number".to_string())
}

fn units(v: &str) -> Result<f64, String> {
    let f: f64 = v
        .trim()
        .parse()
        .map_err(|_| "expected a number of processing units".to_string())?;
    if !(0.0..=1024.0).contains(&f) || (f * 100.0).fract().abs() > 1e-9 {
        return Err("processing units are 0 to 1024 in hundredths".into());
    }
    Ok(f)
}

fn flag(v: &str) -> Result<bool, String> {
    match v.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err("expected 0 or 1".into()),
    }
}

fn one_of(v: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!("expected one of {}", allowed.join(", ")))
    }
}

fn b(v: bool) -> String {
    if v { "1".into() } else { "0".into() }
}

/// Print processing units the way the HMC does: `2.0`, `0.5`, `0.25`.
pub fn fmt_units(f: f64) -> String {
    let s = format!("{:.2}", f);
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// A list attribute's value by the HMC's rule: elements joined by commas,
/// an element that holds a comma itself (a virtual Ethernet adapter's
/// additional VLANs, a vFC adapter's WWPN pair) wrapped in quotes, so that
/// the listing's own quoting of the whole attribute doubles them (seed 000:
/// `"virtual_fc_adapters=""2/client/…,…/0"",""4/client/…"""`). `split_list`
/// reads it back.
pub fn join_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|e| {
            let e = e.as_ref();
            if e.contains(',') || e.contains('"') {
                format!("\"{}\"", e.replace('"', "\"\""))
            } else {
                e.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn none_if_empty(list: Vec<String>) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        join_list(&list)
    }
}

/// Splits a list value on commas, honouring the HMC's doubled-quote wrapping
/// of elements that contain commas themselves (virtual_fc_adapters).
pub fn split_list(v: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err("unbalanced quotes".into());
    }
    out.push(cur);
    Ok(out
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

fn list_or_none(v: &str) -> Result<Vec<String>, String> {
    let t = v.trim();
    if t.is_empty() || t == "none" {
        return Ok(Vec::new());
    }
    split_list(t)
}

fn parts<'a>(s: &'a str, min: usize, max: usize, layout: &str) -> Result<Vec<&'a str>, String> {
    let p: Vec<&str> = s.split('/').collect();
    if p.len() < min || p.len() > max {
        return Err(format!("{s:?} does not follow {layout}"));
    }
    Ok(p)
}

fn any_or_num(v: &str) -> Result<String, String> {
    if v.is_empty() || v == "any" {
        return Ok(if v.is_empty() {
            String::new()
        } else {
            "any".into()
        });
    }
    num::<u32>(v).map(|n| n.to_string())
}

fn side(v: &str) -> Result<bool, String> {
    match v {
        "server" => Ok(true),
        "client" => Ok(false),
        _ => Err(format!("{v:?} is neither client nor server")),
    }
}

fn side_str(server: bool) -> &'static str {
    if server { "server" } else { "client" }
}

const SERIAL_LAYOUT: &str = "slot/client|server/[supports_hmc]/[remote_lpar_id]/[remote_lpar_name]/[remote_slot]/is_required";
const SCSI_LAYOUT: &str =
    "slot/client|server/[remote_lpar_id]/[remote_lpar_name]/[remote_slot]/is_required";
const ETH_LAYOUT: &str = "slot/is_ieee/port_vlan_id/[addl_vlan_ids]/[trunk_priority]/is_required[/[vswitch]/[mac_addr]/[allowed_os_mac_addrs]/[qos_priority]]";
const FC_LAYOUT: &str =
    "slot/client|server/[remote_lpar_id]/[remote_lpar_name]/[remote_slot]/[wwpns]/is_required";

pub fn parse_serial(s: &str) -> Result<VirtualSerialAdapter, String> {
    let p = parts(s, 7, 7, SERIAL_LAYOUT)?;
    Ok(VirtualSerialAdapter {
        slot: num(p[0])?,
        server: side(p[1])?,
        supports_hmc: p[2].to_string(),
        remote_lpar_id: any_or_num(p[3])?,
        remote_lpar_name: p[4].to_string(),
        remote_slot: any_or_num(p[5])?,
        required: flag(p[6])?,
    })
}

pub fn fmt_serial(a: &VirtualSerialAdapter) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{}",
        a.slot,
        side_str(a.server),
        a.supports_hmc,
        a.remote_lpar_id,
        a.remote_lpar_name,
        a.remote_slot,
        b(a.required)
    )
}

pub fn parse_scsi(s: &str) -> Result<VirtualScsiAdapter, String> {
    let p = parts(s, 6, 6, SCSI_LAYOUT)?;
    Ok(VirtualScsiAdapter {
        slot: num(p[0])?,
        server: side(p[1])?,
        remote_lpar_id: any_or_num(p[2])?,
        remote_lpar_name: p[3].to_string(),
        remote_slot: any_or_num(p[4])?,
        required: flag(p[5])?,
    })
}

pub fn fmt_scsi(a: &VirtualScsiAdapter) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}",
        a.slot,
        side_str(a.server),
        a.remote_lpar_id,
        a.remote_lpar_name,
        a.remote_slot,
        b(a.required)
    )
}

pub fn parse_eth(s: &str) -> Result<VirtualEthAdapter, String> {
    let p = parts(s, 6, 10, ETH_LAYOUT)?;
    let vlan = |v: &str| -> Result<u32, String> {
        let n: u32 = num(v)?;
        if (1..=4094).contains(&n) {
            Ok(n)
        } else {
            Err(format!("VLAN id {n} is outside 1-4094"))
        }
    };
    let addl = if p[3].is_empty() {
        Vec::new()
    } else {
        p[3].split(',').map(vlan).collect::<Result<_, _>>()?
    };
    let trunk_priority: u32 = if p[4].is_empty() { 0 } else { num(p[4])? };
    if trunk_priority > 15 {
        return Err("trunk priority is 0 (no trunk) or 1-15".into());
    }
    let mac = p.get(7).copied().unwrap_or("");
    if !mac.is_empty() && (mac.len() != 12 || !mac.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(format!("MAC address {mac:?} is not 12 hexadecimal digits"));
    }
    Ok(VirtualEthAdapter {
        slot: num(p[0])?,
        ieee: flag(p[1])?,
        port_vlan_id: vlan(p[2])?,
        addl_vlan_ids: addl,
        trunk_priority,
        required: flag(p[5])?,
        vswitch: p.get(6).unwrap_or(&"").to_string(),
        mac_addr: mac.to_lowercase(),
        allowed_os_mac_addrs: p.get(8).unwrap_or(&"").to_string(),
        qos_priority: p.get(9).unwrap_or(&"").to_string(),
        has_extended: p.len() > 6,
    })
}

pub fn fmt_eth(a: &VirtualEthAdapter) -> String {
    let addl: Vec<String> = a.addl_vlan_ids.iter().map(u32::to_string).collect();
    let mut s = format!(
        "{}/{}/{}/{}/{}/{}",
        a.slot,
        b(a.ieee),
        a.port_vlan_id,
        addl.join(","),
        a.trunk_priority,
        b(a.required)
    );
    if a.has_extended {
        s.push_str(&format!(
            "/{}/{}/{}/{}",
            a.vswitch, a.mac_addr, a.allowed_os_mac_addrs, a.qos_priority
        ));
    }
    s
}

pub fn parse_fc(s: &str) -> Result<VirtualFcAdapter, String> {
    let p = parts(s, 7, 7, FC_LAYOUT)?;
    let wwpns: Vec<String> = if p[5].is_empty() {
        Vec::new()
    } else {
        p[5].split(',').map(|w| w.to_lowercase()).collect()
    };
    for w in &wwpns {
        if w.len() != 16 || !w.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("WWPN {w:?} is not 16 hexadecimal digits"));
        }
    }
    Ok(VirtualFcAdapter {
        slot: num(p[0])?,
        server: side(p[1])?,
        remote_lpar_id: any_or_num(p[2])?,
        remote_lpar_name: p[3].to_string(),
        remote_slot: any_or_num(p[4])?,
        wwpns,
        required: flag(p[6])?,
    })
}

pub fn fmt_fc(a: &VirtualFcAdapter) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{}",
        a.slot,
        side_str(a.server),
        a.remote_lpar_id,
        a.remote_lpar_name,
        a.remote_slot,
        a.wwpns.join(","),
        b(a.required)
    )
}

fn adapters<T>(
    v: &str,
    fields: usize,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    regroup(list_or_none(v)?, fields)
        .iter()
        .map(|s| parse(s))
        .collect()
}

/// Puts back together adapters whose own commas were not quoted
/// (`2/0/1/100,200/0/0`, as scripts written against older HMC levels and
/// lists copied by hand send them): a piece with fewer than `fields`
/// slash-separated fields cannot be an adapter, so it continues into the
/// next piece. Quoted elements arrive whole and are left as they are.
fn regroup(pieces: Vec<String>, fields: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for p in pieces {
        match out.last_mut() {
            Some(last) if open => {
                last.push(',');
                last.push_str(&p);
            }
            _ => out.push(p),
        }
        open = out.last().is_some_and(|l| l.split('/').count() < fields);
    }
    out
}

/// Every profile attribute. `name`, `lpar_name`, `lpar_id` and `lpar_env`
/// come from the partition; `lssyscfg -r prof` prints them in the order of
/// the HMC version's layout.
pub static PROFILE_ATTRS: &[ProfileAttr] = &[
    ProfileAttr {
        name: "all_resources",
        get: |p| Some(b(p.all_resources)),
        set: Some(|p, v| Ok(p.all_resources = flag(v)?)),
    },
    ProfileAttr {
        name: "min_mem",
        get: |p| Some(p.min_mem.to_string()),
        set: Some(|p, v| Ok(p.min_mem = num(v)?)),
    },
    ProfileAttr {
        name: "desired_mem",
        get: |p| Some(p.desired_mem.to_string()),
        set: Some(|p, v| Ok(p.desired_mem = num(v)?)),
    },
    ProfileAttr {
        name: "max_mem",
        get: |p| Some(p.max_mem.to_string()),
        set: Some(|p, v| Ok(p.max_mem = num(v)?)),
    },
    ProfileAttr {
        name: "min_num_huge_pages",
        get: |p| Some(p.min_num_huge_pages.clone()),
        set: Some(|p, v| Ok(p.min_num_huge_pages = huge(v)?)),
    },
    ProfileAttr {
        name: "desired_num_huge_pages",
        get: |p| Some(p.desired_num_huge_pages.clone()),
        set: Some(|p, v| Ok(p.desired_num_huge_pages = huge(v)?)),
    },
    ProfileAttr {
        name: "max_num_huge_pages",
        get: |p| Some(p.max_num_huge_pages.clone()),
        set: Some(|p, v| Ok(p.max_num_huge_pages = huge(v)?)),
    },
    ProfileAttr {
        name: "mem_mode",
        get: |p| Some(p.mem_mode.clone()),
        set: Some(|p, v| Ok(p.mem_mode = one_of(v, &["ded", "shared"])?)),
    },
    ProfileAttr {
        name: "mem_expansion",
        get: |p| Some(format!("{:.1}", p.mem_expansion)),
        set: Some(|p, v| {
            let f: f64 = v.parse().map_err(|_| "expected 0.0 or 1.0 to 10.0")?;
            if f != 0.0 && !(1.0..=10.0).contains(&f) {
                return Err("expected 0.0 or 1.0 to 10.0".into());
            }
            Ok(p.mem_expansion = f)
        }),
    },
    ProfileAttr {
        name: "hpt_ratio",
        get: |p| Some(p.hpt_ratio.clone()),
        set: Some(
            |p, v| Ok(p.hpt_ratio = one_of(v, &["1:32", "1:64", "1:128", "1:256", "1:512"])?),
        ),
    },
    ProfileAttr {
        name: "proc_mode",
        get: |p| Some(p.proc_mode.clone()),
        set: Some(|p, v| Ok(p.proc_mode = one_of(v, &["ded", "shared"])?)),
    },
    ProfileAttr {
        name: "min_proc_units",
        get: |p| shared(p).then(|| fmt_units(p.min_proc_units)),
        set: Some(|p, v| Ok(p.min_proc_units = units(v)?)),
    },
    ProfileAttr {
        name: "desired_proc_units",
        get: |p| shared(p).then(|| fmt_units(p.desired_proc_units)),
        set: Some(|p, v| Ok(p.desired_proc_units = units(v)?)),
    },
    ProfileAttr {
        name: "max_proc_units",
        get: |p| shared(p).then(|| fmt_units(p.max_proc_units)),
        set: Some(|p, v| Ok(p.max_proc_units = units(v)?)),
    },
    ProfileAttr {
        name: "min_procs",
        get: |p| Some(p.min_procs.to_string()),
        set: Some(|p, v| Ok(p.min_procs = num(v)?)),
    },
    ProfileAttr {
        name: "desired_procs",
        get: |p| Some(p.desired_procs.to_string()),
        set: Some(|p, v| Ok(p.desired_procs = num(v)?)),
    },
    ProfileAttr {
        name: "max_procs",
        get: |p| Some(p.max_procs.to_string()),
        set: Some(|p, v| Ok(p.max_procs = num(v)?)),
    },
    ProfileAttr {
        name: "sharing_mode",
        get: |p| Some(p.sharing_mode.clone()),
        set: Some(|p, v| {
            Ok(p.sharing_mode = one_of(
                v,
                &[
                    "cap",
                    "uncap",
                    "share_idle_procs",
                    "keep_idle_procs",
                    "share_idle_procs_active",
                    "share_idle_procs_always",
                ],
            )?)
        }),
    },
    ProfileAttr {
        name: "uncap_weight",
        get: |p| (shared(p) && p.sharing_mode == "uncap").then(|| p.uncap_weight.to_string()),
        set: Some(|p, v| {
            let w: u32 = num(v)?;
            if w > 255 {
                return Err("uncapped weight is 0 to 255".into());
            }
            Ok(p.uncap_weight = w)
        }),
    },
    ProfileAttr {
        name: "shared_proc_pool_id",
        get: |p| shared(p).then(|| p.shared_proc_pool_id.to_string()),
        set: Some(|p, v| Ok(p.shared_proc_pool_id = num(v)?)),
    },
    ProfileAttr {
        name: "affinity_group_id",
        get: |p| Some(or_none(&p.affinity_group_id)),
        set: Some(|p, v| Ok(p.affinity_group_id = none_or_num(v)?)),
    },
    ProfileAttr {
        name: "io_slots",
        get: |p| Some(none_if_empty(p.io_slots.clone())),
        set: Some(|p, v| Ok(p.io_slots = list_or_none(v)?)),
    },
    ProfileAttr {
        name: "lpar_io_pool_ids",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    ProfileAttr {
        name: "max_virtual_slots",
        get: |p| Some(p.max_virtual_slots.to_string()),
        set: Some(|p, v| {
            let n: u32 = num(v)?;
            if !(2..=65535).contains(&n) {
                return Err("maximum virtual slots is 2 to 65535".into());
            }
            Ok(p.max_virtual_slots = n)
        }),
    },
    ProfileAttr {
        name: "virtual_serial_adapters",
        get: |p| {
            Some(none_if_empty(
                p.virtual_serial_adapters.iter().map(fmt_serial).collect(),
            ))
        },
        set: Some(|p, v| Ok(p.virtual_serial_adapters = adapters(v, 7, parse_serial)?)),
    },
    ProfileAttr {
        name: "virtual_scsi_adapters",
        get: |p| {
            Some(none_if_empty(
                p.virtual_scsi_adapters.iter().map(fmt_scsi).collect(),
            ))
        },
        set: Some(|p, v| Ok(p.virtual_scsi_adapters = adapters(v, 6, parse_scsi)?)),
    },
    ProfileAttr {
        name: "virtual_eth_adapters",
        get: |p| {
            Some(none_if_empty(
                p.virtual_eth_adapters.iter().map(fmt_eth).collect(),
            ))
        },
        set: Some(|p, v| Ok(p.virtual_eth_adapters = adapters(v, 6, parse_eth)?)),
    },
    ProfileAttr {
        name: "virtual_eth_vsi_profiles",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    ProfileAttr {
        name: "virtual_fc_adapters",
        get: |p| {
            Some(none_if_empty(
                p.virtual_fc_adapters.iter().map(fmt_fc).collect(),
            ))
        },
        set: Some(|p, v| Ok(p.virtual_fc_adapters = adapters(v, 7, parse_fc)?)),
    },
    ProfileAttr {
        name: "vtpm_adapters",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    ProfileAttr {
        name: "hca_adapters",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    ProfileAttr {
        name: "boot_mode",
        get: |p| Some(p.boot_mode.clone()),
        set: Some(|p, v| Ok(p.boot_mode = one_of(v, &["norm", "dd", "sms", "of", "ds"])?)),
    },
    ProfileAttr {
        name: "conn_monitoring",
        get: |p| Some(p.conn_monitoring.to_string()),
        set: Some(|p, v| Ok(p.conn_monitoring = u32::from(flag(v)?))),
    },
    ProfileAttr {
        name: "auto_start",
        get: |p| Some(b(p.auto_start)),
        set: Some(|p, v| Ok(p.auto_start = flag(v)?)),
    },
    ProfileAttr {
        name: "power_ctrl_lpar_ids",
        get: |p| Some(or_none(&p.power_ctrl_lpar_ids)),
        set: Some(|p, v| Ok(p.power_ctrl_lpar_ids = v.to_string())),
    },
    ProfileAttr {
        name: "work_group_id",
        get: |p| Some(or_none(&p.work_group_id)),
        set: Some(|p, v| Ok(p.work_group_id = none_or_num(v)?)),
    },
    ProfileAttr {
        name: "redundant_err_path_reporting",
        get: |p| Some(p.redundant_err_path_reporting.clone()),
        set: Some(|p, v| Ok(p.redundant_err_path_reporting = one_of(v, &["0", "1", "null"])?)),
    },
    ProfileAttr {
        name: "bsr_arrays",
        get: |p| Some(p.bsr_arrays.to_string()),
        set: Some(|p, v| Ok(p.bsr_arrays = num(v)?)),
    },
    ProfileAttr {
        name: "lpar_proc_compat_mode",
        get: |p| Some(p.lpar_proc_compat_mode.clone()),
        set: Some(|p, v| Ok(p.lpar_proc_compat_mode = v.to_string())),
    },
    ProfileAttr {
        name: "electronic_err_reporting",
        get: |p| Some(p.electronic_err_reporting.clone()),
        set: None,
    },
    ProfileAttr {
        name: "sriov_eth_logical_ports",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    // Host Ethernet adapters are not emulated: accepted and printed as none.
    ProfileAttr {
        name: "lhea_logical_ports",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
    ProfileAttr {
        name: "lhea_capabilities",
        get: |_| Some("none".into()),
        set: Some(only_none),
    },
];

/// Attributes of hardware pvmlab does not emulate (vTPM, HCA, SR-IOV, I/O
/// pools): `none` is accepted, as in profiles copied from a real HMC.
fn only_none(_: &mut Profile, v: &str) -> Result<(), String> {
    if v == "none" {
        Ok(())
    } else {
        Err("only none is supported here".into())
    }
}

fn huge(v: &str) -> Result<String, String> {
    if v == "null" {
        return Ok(v.into());
    }
    num::<u32>(v).map(|n| n.to_string())
}

fn or_none(v: &str) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.into()
    }
}

fn none_or_num(v: &str) -> Result<String, String> {
    if v == "none" || v.is_empty() {
        return Ok(String::new());
    }
    num::<u32>(v).map(|n| n.to_string())
}

pub fn profile_attr(name: &str) -> Option<&'static ProfileAttr> {
    PROFILE_ATTRS.iter().find(|a| a.name == name)
}

/// Sets one attribute by its HMC name, or says exactly what was wrong.
pub fn set_profile_attr(p: &mut Profile, name: &str, value: &str) -> Result<(), AttrError> {
    let attr = profile_attr(name).ok_or_else(|| AttrError::Unknown(name.to_string()))?;
    let set = attr.set.ok_or_else(|| AttrError::ReadOnly {
        attr: name.to_string(),
    })?;
    set(p, value).map_err(|reason| AttrError::Invalid {
        attr: name.to_string(),
        value: value.to_string(),
        reason,
    })
}

/// Sets attributes in the order given. A `proc_mode` given without a
/// `sharing_mode` brings that mode's default sharing, as the HMC's
/// `mksyscfg` does: dedicated processors share their idle cycles
/// (`share_idle_procs`), shared ones are uncapped.
pub fn set_profile_attrs<'a>(
    p: &mut Profile,
    attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), AttrError> {
    let (mut mode, mut sharing) = (false, false);
    for (k, v) in attrs {
        set_profile_attr(p, k, v)?;
        mode |= k == "proc_mode";
        sharing |= k == "sharing_mode";
    }
    if mode && !sharing {
        p.sharing_mode = default_sharing_mode(&p.proc_mode).into();
    }
    Ok(())
}

/// The sharing mode a profile of processor mode `proc_mode` has unless
/// one is given.
pub fn default_sharing_mode(proc_mode: &str) -> &'static str {
    if proc_mode == "ded" {
        "share_idle_procs"
    } else {
        "uncap"
    }
}

/// A new profile holds the values a new HMC profile would have before any
/// attribute is given.
pub fn default_profile(name: &str) -> Profile {
    Profile {
        name: name.to_string(),
        mem_mode: "ded".into(),
        hpt_ratio: "1:128".into(),
        proc_mode: "shared".into(),
        sharing_mode: "uncap".into(),
        uncap_weight: 128,
        max_virtual_slots: 64,
        min_num_huge_pages: "0".into(),
        desired_num_huge_pages: "0".into(),
        max_num_huge_pages: "0".into(),
        boot_mode: "norm".into(),
        conn_monitoring: 1,
        lpar_proc_compat_mode: "default".into(),
        redundant_err_path_reporting: "0".into(),
        electronic_err_reporting: "null".into(),
        ..Default::default()
    }
}

/// Checks that hold for every profile whatever the frame: min ≤ desired ≤ max
/// and a mode-consistent processor setting. Frame-dependent checks (LMB
/// multiples, frame size) belong to whoever knows the frame.
pub fn check_profile(p: &Profile) -> Result<(), String> {
    if !(p.min_mem <= p.desired_mem && p.desired_mem <= p.max_mem) {
        return Err(format!(
            "memory must satisfy min_mem <= desired_mem <= max_mem (got {} <= {} <= {})",
            p.min_mem, p.desired_mem, p.max_mem
        ));
    }
    if p.min_mem == 0 {
        return Err("min_mem must be greater than 0".into());
    }
    if !(p.min_procs <= p.desired_procs && p.desired_procs <= p.max_procs) || p.min_procs == 0 {
        return Err(format!(
            "processors must satisfy 1 <= min_procs <= desired_procs <= max_procs (got {} <= {} <= {})",
            p.min_procs, p.desired_procs, p.max_procs
        ));
    }
    if p.proc_mode == "shared" {
        if !(p.min_proc_units <= p.desired_proc_units && p.desired_proc_units <= p.max_proc_units) {
            return Err(format!(
                "processing units must satisfy min <= desired <= max (got {} <= {} <= {})",
                fmt_units(p.min_proc_units),
                fmt_units(p.desired_proc_units),
                fmt_units(p.max_proc_units)
            ));
        }
        // Each virtual processor needs at least 0.05 and at most 1.0 processing units.
        let per = |u: f64, n: u32| {
            u >= crate::model::MIN_UNITS_PER_VIRTUAL_PROC * f64::from(n) - 1e-9
                && u <= f64::from(n) + 1e-9
        };
        if !per(p.desired_proc_units, p.desired_procs) {
            return Err(format!(
                "desired_proc_units {} does not fit desired_procs {} (0.05 to 1.0 units per virtual processor)",
                fmt_units(p.desired_proc_units),
                p.desired_procs
            ));
        }
        if !matches!(p.sharing_mode.as_str(), "cap" | "uncap") {
            return Err(format!(
                "sharing_mode {} is not valid for shared processors (cap or uncap)",
                p.sharing_mode
            ));
        }
    } else if matches!(p.sharing_mode.as_str(), "cap" | "uncap") {
        return Err(format!(
            "sharing_mode {} is not valid for dedicated processors (share_idle_procs, keep_idle_procs ...)",
            p.sharing_mode
        ));
    }
    let mut slots = std::collections::BTreeSet::new();
    let all = p
        .virtual_serial_adapters
        .iter()
        .map(|a| a.slot)
        .chain(p.virtual_scsi_adapters.iter().map(|a| a.slot))
        .chain(p.virtual_eth_adapters.iter().map(|a| a.slot))
        .chain(p.virtual_fc_adapters.iter().map(|a| a.slot));
    for s in all {
        if s >= p.max_virtual_slots {
            return Err(format!(
                "virtual slot {s} is not below max_virtual_slots {}",
                p.max_virtual_slots
            ));
        }
        if !slots.insert(s) {
            return Err(format!("virtual slot {s} is used by two adapters"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_round_trip_the_reference_layouts() {
        for s in ["0/server/1/any//any/1", "1/server/1/any//any/1"] {
            assert_eq!(fmt_serial(&parse_serial(s).unwrap()), s);
        }
        for s in [
            "3/client/2/s00ia9927560/32/0",
            "304/client/2/vio_server1/4/1",
        ] {
            assert_eq!(fmt_scsi(&parse_scsi(s).unwrap()), s);
        }
        for s in [
            "32/0/1659//0/0/vdct/facc157c3e20/all/0",
            "10/0/1//0/0/ETHERNET0//all/none",
        ] {
            assert_eq!(fmt_eth(&parse_eth(s).unwrap()), s);
        }
        let fc = "504/client/2/vio_server1/8/c050760431670010,c050760431670011/1";
        assert_eq!(fmt_fc(&parse_fc(fc).unwrap()), fc);
    }

    #[test]
    fn fc_list_with_doubled_quotes_splits_per_adapter() {
        let v = "\"2/client/1/vios1/32/c050760727c5007a,c050760727c5007b/0\",\"4/client/1/vios1/35/c050760727c5007c,c050760727c5007d/0\"";
        let mut p = default_profile("p");
        set_profile_attr(&mut p, "virtual_fc_adapters", v).unwrap();
        assert_eq!(p.virtual_fc_adapters.len(), 2);
        assert_eq!(p.virtual_fc_adapters[1].wwpns[1], "c050760727c5007d");
    }

    /// What a listing prints for a list attribute, and what `-i` gives the
    /// attribute back once the record is split (the quoting of the whole
    /// attribute is undone by `split_list` on the record).
    fn round_trip(attr: &str, value: &str) -> String {
        let mut p = default_profile("p");
        set_profile_attr(&mut p, attr, value).unwrap();
        let printed = (profile_attr(attr).unwrap().get)(&p).unwrap();
        let mut q = default_profile("p");
        set_profile_attr(&mut q, attr, &printed).unwrap();
        assert_eq!(p, q, "{attr}: {printed}");
        printed
    }

    #[test]
    fn list_elements_holding_commas_are_quoted_in_every_list_attribute() {
        assert_eq!(
            round_trip("virtual_eth_adapters", "\"2/0/1/100,200/0/1\",3/0/5//0/0"),
            "\"2/0/1/100,200/0/1\",3/0/5//0/0"
        );
        assert_eq!(
            round_trip(
                "virtual_eth_adapters",
                "\"32/0/1659/300,301/1/0/vdct/facc157c3e20/all/0\""
            ),
            "\"32/0/1659/300,301/1/0/vdct/facc157c3e20/all/0\""
        );
        let fc = "\"2/client/1/vios1/32/c050760727c5007a,c050760727c5007b/0\",4/server/3/c1/5//1";
        assert_eq!(round_trip("virtual_fc_adapters", fc), fc);
        let scsi = "3/client/2/vios1/32/0,4/server/any//any/1";
        assert_eq!(round_trip("virtual_scsi_adapters", scsi), scsi);
        let serial = "0/server/1/any//any/1,1/server/1/any//any/1";
        assert_eq!(round_trip("virtual_serial_adapters", serial), serial);
        assert_eq!(
            round_trip("io_slots", "21010003/none/1,21010004/none/0"),
            "21010003/none/1,21010004/none/0"
        );
        assert_eq!(round_trip("virtual_eth_adapters", "none"), "none");
    }

    #[test]
    fn unquoted_adapter_commas_are_put_back_together() {
        let mut p = default_profile("p");
        set_profile_attr(
            &mut p,
            "virtual_eth_adapters",
            "2/0/1/100,200/0/1,3/0/5//0/0",
        )
        .unwrap();
        assert_eq!(p.virtual_eth_adapters.len(), 2);
        assert_eq!(p.virtual_eth_adapters[0].addl_vlan_ids, vec![100, 200]);
        set_profile_attr(
            &mut p,
            "virtual_fc_adapters",
            "2/client/1/vios1/32/c050760727c5007a,c050760727c5007b/0",
        )
        .unwrap();
        assert_eq!(p.virtual_fc_adapters[0].wwpns.len(), 2);
        // Nothing to join with: still an error, and the profile is as it was.
        let before = p.clone();
        assert!(set_profile_attr(&mut p, "virtual_eth_adapters", "2/0/1/100").is_err());
        assert_eq!(p, before);
    }

    #[test]
    fn bad_values_name_the_attribute() {
        let mut p = default_profile("p");
        let e = set_profile_attr(&mut p, "desired_mem", "lots").unwrap_err();
        assert!(e.to_string().contains("desired_mem"));
        assert!(matches!(
            set_profile_attr(&mut p, "nope", "1"),
            Err(AttrError::Unknown(_))
        ));
        assert!(set_profile_attr(&mut p, "virtual_eth_adapters", "2/0/5000//0/0").is_err());
        assert!(set_profile_attr(&mut p, "proc_mode", "turbo").is_err());
    }

    #[test]
    fn units_print_like_the_hmc() {
        assert_eq!(fmt_units(2.0), "2.0");
        assert_eq!(fmt_units(0.5), "0.5");
        assert_eq!(fmt_units(0.25), "0.25");
    }

    #[test]
    fn a_processor_mode_brings_its_default_sharing() {
        let mut p = default_profile("p");
        set_profile_attrs(&mut p, [("proc_mode", "ded")]).unwrap();
        assert_eq!(p.sharing_mode, "share_idle_procs");
        let mut p = default_profile("p");
        set_profile_attrs(
            &mut p,
            [("proc_mode", "ded"), ("sharing_mode", "keep_idle_procs")],
        )
        .unwrap();
        assert_eq!(p.sharing_mode, "keep_idle_procs");
    }
}
