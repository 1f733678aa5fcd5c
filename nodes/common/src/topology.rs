//! The topology file: which HMCs, frames, VIOS and client partitions a lab
//! has. Profiles use the HMC's own attribute names and adapter layouts, and
//! go through the same attribute table as `mksyscfg` input, so a topology
//! that loads is one an HMC would accept.

use crate::attrs::{self, check_profile};
use crate::model::{
    Frame, LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS, Lun, NpivMapping, Partition, Profile, Sea,
    SharedProcPool, ViosDevices, VscsiMapping, lpar_state,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// The lab that `pvmlab up` brings up when no topology is given, and that
/// `pvmlab init` writes out to edit.
pub const DEFAULT_LAB: &str = include_str!("default-lab.toml");

pub const DEFAULT_GRPC_PORT: u16 = 7700;

/// What was wrong with a topology, with the file, line and field at fault.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct TopologyError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    #[serde(default)]
    pub lab: LabDef,
    #[serde(default)]
    pub hmc: Vec<HmcDef>,
    #[serde(default)]
    pub lun: Vec<LunDef>,
    #[serde(default)]
    pub frame: Vec<FrameDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabDef {
    #[serde(default = "default_lab_name")]
    pub name: String,
    /// Every node serves gRPC on this port of its own address.
    #[serde(default = "default_port")]
    pub grpc_port: u16,
    /// Every HMC serves SSH on this port of its own address (22, as a real
    /// HMC does, so that clients with no port option work).
    #[serde(default = "default_ssh_port")]
    pub ssh_port: u16,
    /// Every node serves Prometheus metrics (GET /metrics) on this port of
    /// its own address.
    #[serde(default = "default_metrics_port")]
    pub metrics_port: u16,
    /// Every HMC serves its REST API (HTTPS) on this port of its own
    /// address, and on 443 where it may.
    #[serde(default = "default_rest_port")]
    pub rest_port: u16,
}

impl Default for LabDef {
    fn default() -> Self {
        LabDef {
            name: default_lab_name(),
            grpc_port: DEFAULT_GRPC_PORT,
            ssh_port: default_ssh_port(),
            metrics_port: default_metrics_port(),
            rest_port: default_rest_port(),
        }
    }
}

fn default_lab_name() -> String {
    "pvmlab".into()
}
fn default_port() -> u16 {
    DEFAULT_GRPC_PORT
}
fn default_ssh_port() -> u16 {
    22
}
fn default_metrics_port() -> u16 {
    9464
}
fn default_rest_port() -> u16 {
    12443
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmcDef {
    pub name: Spanned<String>,
    pub address: Spanned<String>,
    #[serde(default = "default_hmc_version")]
    pub version: String,
    /// The HMC access password this HMC was given for a frame, where it is
    /// not the frame's own (a wrong one shows as Failed Authentication).
    #[serde(default)]
    pub frame_passwords: BTreeMap<String, String>,
    /// Remote restart: remove a stale source copy by itself as soon as its
    /// frame is back, instead of waiting for `rrstartlpar -o cleanup`.
    #[serde(default)]
    pub rr_auto_cleanup: bool,
}

fn default_hmc_version() -> String {
    "V10R3M1050".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LunDef {
    pub id: Spanned<String>,
    pub size_mb: u64,
    #[serde(default)]
    pub udid: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameDef {
    pub name: Spanned<String>,
    /// `type-model*serial`, e.g. `8286-42A*21A5E8V`.
    pub mtms: Spanned<String>,
    pub proc_generation: Spanned<String>,
    pub compat_modes: Spanned<Vec<String>>,
    pub memory_mb: u64,
    pub processors: f64,
    #[serde(default = "default_lmb")]
    pub lmb_mb: Spanned<u64>,
    pub firmware: String,
    #[serde(default = "empty_list")]
    pub capabilities: Spanned<Vec<String>>,
    #[serde(default = "empty_list")]
    pub managed_by: Spanned<Vec<String>>,
    /// The HMC access password the FSP demands of every HMC.
    pub password: String,
    pub address: Spanned<String>,
    /// Power state at first start: Operating, Standby or Power Off.
    #[serde(default = "default_power")]
    pub power: Spanned<String>,
    #[serde(default = "default_max_lpars")]
    pub max_lpars: u32,
    /// Concurrent migrations the frame takes part in (lslparmigr -r sys).
    #[serde(default = "default_migrations")]
    pub num_active_migrations_supported: u32,
    #[serde(default = "default_migrations")]
    pub num_inactive_migrations_supported: u32,
    #[serde(default)]
    pub pool: Vec<PoolDef>,
    #[serde(default)]
    pub vios: Vec<ViosDef>,
    #[serde(default)]
    pub lpar: Vec<LparDef>,
}

fn empty_list() -> Spanned<Vec<String>> {
    Spanned::new(0..0, Vec::new())
}
fn default_lmb() -> Spanned<u64> {
    Spanned::new(0..0, 256)
}
fn default_power() -> Spanned<String> {
    Spanned::new(0..0, "Operating".into())
}
fn default_msp_migrations() -> u32 {
    4
}

fn default_migrations() -> u32 {
    16
}

fn default_max_lpars() -> u32 {
    200
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolDef {
    pub id: u32,
    pub name: String,
    pub max_proc_units: f64,
    #[serde(default)]
    pub reserved_proc_units: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViosDef {
    pub id: Spanned<u32>,
    pub name: Spanned<String>,
    pub address: Spanned<String>,
    #[serde(default)]
    pub msp: bool,
    /// Active migrations this MSP moves at once; more wait their turn.
    #[serde(default = "default_msp_migrations")]
    pub max_migrations: u32,
    #[serde(default = "default_vios_level")]
    pub os_version: String,
    /// SAN LUNs zoned to this VIOS.
    #[serde(default = "empty_list")]
    pub luns: Spanned<Vec<String>>,
    #[serde(default)]
    pub sea: Vec<SeaDef>,
    #[serde(default)]
    pub vscsi: Vec<VscsiDef>,
    #[serde(default)]
    pub npiv: Vec<NpivDef>,
    pub profile: Vec<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
}

fn default_vios_level() -> String {
    "VIOS 3.1.4.10".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeaDef {
    pub name: String,
    pub real_adapter: String,
    pub virt_adapters: Vec<String>,
    pub pvid: u32,
    pub vlans: Spanned<Vec<u32>>,
    #[serde(default = "default_ha")]
    pub ha_mode: String,
}

fn default_ha() -> String {
    "auto".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VscsiDef {
    pub server_slot: Spanned<u32>,
    pub lun: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpivDef {
    pub server_slot: Spanned<u32>,
    pub fcs: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LparDef {
    pub id: Spanned<u32>,
    pub name: Spanned<String>,
    #[serde(default = "default_env")]
    pub lpar_env: Spanned<String>,
    #[serde(default)]
    pub os_version: String,
    #[serde(default)]
    pub default_profile: Option<Spanned<String>>,
    #[serde(default)]
    pub remote_restart_capable: bool,
    #[serde(default)]
    pub simplified_remote_restart_capable: bool,
    /// The partition's own IP address, as RMC reports it (a label; nothing connects to it).
    #[serde(default)]
    pub rmc_ipaddr: String,
    /// Whether the operating system runs RMC (default true).
    #[serde(default = "yes")]
    pub rmc: bool,
    /// What its applications do to its memory while it runs.
    #[serde(default)]
    pub workload: Option<WorkloadDef>,
    pub profile: Vec<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadDef {
    pub rate_mb_s: f64,
    #[serde(default)]
    pub working_set_mb: u64,
    #[serde(default = "default_pattern")]
    pub pattern: Spanned<String>,
    /// The partition's DLPAR agent refuses migrations: "check" or "prepare".
    #[serde(default)]
    pub refuse_migration: String,
    /// How long its migration scripts take in each phase (check, prepare,
    /// post), ms; drmgr stops them after migrlpar's wait time (-w).
    #[serde(default)]
    pub script_ms: u64,
}

fn default_pattern() -> Spanned<String> {
    Spanned::new(0..0, "uniform".into())
}

fn yes() -> bool {
    true
}

fn default_env() -> Spanned<String> {
    Spanned::new(0..0, LPAR_ENV_AIXLINUX.into())
}

/// Processor generations and the compatibility modes each can run.
pub const GENERATIONS: &[(&str, &[&str])] = &[
    ("POWER6", &["default", "POWER6"]),
    ("POWER6+", &["default", "POWER6", "POWER6_Plus"]),
    ("POWER7", &["default", "POWER6", "POWER6_Plus", "POWER7"]),
    ("POWER7+", &["default", "POWER6", "POWER6_Plus", "POWER7"]),
    (
        "POWER8",
        &["default", "POWER6", "POWER6_Plus", "POWER7", "POWER8"],
    ),
    (
        "POWER9",
        &["default", "POWER7", "POWER8", "POWER9_base", "POWER9"],
    ),
    (
        "POWER10",
        &["default", "POWER8", "POWER9_base", "POWER9", "POWER10"],
    ),
];

/// Managed-system capability names this lab knows (`lssyscfg -r sys -F capabilities`).
pub const CAPABILITIES: &[&str] = &[
    "active_lpar_mobility_capable",
    "inactive_lpar_mobility_capable",
    "powervm_lpar_remote_restart_capable",
    "powervm_lpar_simplified_remote_restart_capable",
    "lpar_remote_restart_capable",
    "lpar_suspend_capable",
    "active_lpar_share_idle_procs_capable",
    "vios_lpar_mobility_capable",
    "virtual_fc_capable",
    "virtual_switch_capable",
    "hca_capable",
    "huge_page_mem_capable",
];

pub const FRAME_POWER_STATES: &[&str] = &["Operating", "Standby", "Power Off"];

impl Topology {
    /// Loads and checks a topology file; every error names the file, the line
    /// and the field.
    pub fn load(path: &Path) -> Result<Topology, TopologyError> {
        let text = std::fs::read_to_string(path).map_err(|e| TopologyError {
            file: path.display().to_string(),
            line: 0,
            field: "-".into(),
            message: format!("cannot read: {e}"),
        })?;
        Topology::parse(&path.display().to_string(), &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Topology, TopologyError> {
        let topo: Topology = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            TopologyError {
                file: file.into(),
                line: line_of(text, at),
                field: field_of(e.message(), text, at),
                message: e.message().trim().to_string(),
            }
        })?;
        topo.check()
            .map_err(|(span, field, message)| TopologyError {
                file: file.into(),
                line: line_of(text, span.start),
                field,
                message,
            })?;
        Ok(topo)
    }

    pub fn default_lab() -> Topology {
        Topology::parse("<built-in default lab>", DEFAULT_LAB)
            .expect("the built-in default lab is valid (checked by a unit test)")
    }

    fn check(&self) -> Result<(), (Range<usize>, String, String)> {
        let err =
            |span: Range<usize>, field: &str, msg: String| Err((span, field.to_string(), msg));
        let mut addresses: BTreeMap<String, String> = BTreeMap::new();
        let mut claim =
            |addr: &Spanned<String>, who: &str| -> Result<(), (Range<usize>, String, String)> {
                if addr.get_ref().parse::<IpAddr>().is_err() {
                    return err(
                        addr.span(),
                        "address",
                        format!("{:?} is not an IP address", addr.get_ref()),
                    );
                }
                if let Some(other) = addresses.insert(addr.get_ref().clone(), who.to_string()) {
                    return err(
                        addr.span(),
                        "address",
                        format!("{} is already the address of {other}", addr.get_ref()),
                    );
                }
                Ok(())
            };
        let mut hmcs = BTreeSet::new();
        for h in &self.hmc {
            check_name(&h.name, "HMC")?;
            if !hmcs.insert(h.name.get_ref().clone()) {
                return err(
                    h.name.span(),
                    "name",
                    format!("duplicate HMC name {}", h.name.get_ref()),
                );
            }
            claim(&h.address, h.name.get_ref())?;
        }
        let mut luns = BTreeSet::new();
        for l in &self.lun {
            if !luns.insert(l.id.get_ref().clone()) {
                return err(
                    l.id.span(),
                    "id",
                    format!("duplicate LUN id {}", l.id.get_ref()),
                );
            }
        }
        let mut frames = BTreeSet::new();
        let mut mtms_seen = BTreeSet::new();
        for f in &self.frame {
            check_name(&f.name, "frame")?;
            if !frames.insert(f.name.get_ref().clone()) {
                return err(
                    f.name.span(),
                    "name",
                    format!("duplicate frame name {}", f.name.get_ref()),
                );
            }
            if parse_mtms(f.mtms.get_ref()).is_none() {
                return err(
                    f.mtms.span(),
                    "mtms",
                    format!(
                        "{:?} is not type-model*serial such as 8286-42A*21A5E8V",
                        f.mtms.get_ref()
                    ),
                );
            }
            if !mtms_seen.insert(f.mtms.get_ref().clone()) {
                return err(
                    f.mtms.span(),
                    "mtms",
                    format!("duplicate serial {}", f.mtms.get_ref()),
                );
            }
            let Some((_, modes)) = GENERATIONS
                .iter()
                .find(|(g, _)| g == f.proc_generation.get_ref())
            else {
                let known: Vec<&str> = GENERATIONS.iter().map(|g| g.0).collect();
                return err(
                    f.proc_generation.span(),
                    "proc_generation",
                    format!(
                        "unknown processor generation {:?} (known: {})",
                        f.proc_generation.get_ref(),
                        known.join(", ")
                    ),
                );
            };
            for m in f.compat_modes.get_ref() {
                if !modes.contains(&m.as_str()) {
                    return err(
                        f.compat_modes.span(),
                        "compat_modes",
                        format!(
                            "unknown processor mode {m:?} for {} (known: {})",
                            f.proc_generation.get_ref(),
                            modes.join(", ")
                        ),
                    );
                }
            }
            for c in f.capabilities.get_ref() {
                if !CAPABILITIES.contains(&c.as_str()) {
                    return err(
                        f.capabilities.span(),
                        "capabilities",
                        format!("unknown capability {c:?}"),
                    );
                }
            }
            for h in f.managed_by.get_ref() {
                if !hmcs.contains(h) {
                    return err(
                        f.managed_by.span(),
                        "managed_by",
                        format!("no HMC named {h:?} in this topology"),
                    );
                }
            }
            if !FRAME_POWER_STATES.contains(&f.power.get_ref().as_str()) {
                return err(
                    f.power.span(),
                    "power",
                    format!(
                        "{:?} is not one of {}",
                        f.power.get_ref(),
                        FRAME_POWER_STATES.join(", ")
                    ),
                );
            }
            let lmb = *f.lmb_mb.get_ref();
            if ![16, 32, 64, 128, 256].contains(&lmb) {
                return err(
                    f.lmb_mb.span(),
                    "lmb_mb",
                    format!("logical memory block size {lmb} is not 16, 32, 64, 128 or 256"),
                );
            }
            claim(&f.address, f.name.get_ref())?;
            let mut names = BTreeSet::new();
            let mut ids = BTreeSet::new();
            let mut vios_ids = BTreeMap::new();
            for v in &f.vios {
                claim(
                    &v.address,
                    &format!("{}-{}", f.name.get_ref(), v.name.get_ref()),
                )?;
                for l in v.luns.get_ref() {
                    if !luns.contains(l) {
                        return err(v.luns.span(), "luns", format!("no LUN {l:?} on the SAN"));
                    }
                }
                for m in &v.vscsi {
                    if !v.luns.get_ref().contains(m.lun.get_ref()) {
                        return err(
                            m.lun.span(),
                            "lun",
                            format!(
                                "LUN {} is not zoned to {}",
                                m.lun.get_ref(),
                                v.name.get_ref()
                            ),
                        );
                    }
                }
                vios_ids.insert(*v.id.get_ref(), v.name.get_ref().clone());
            }
            let parts = f
                .vios
                .iter()
                .map(|v| (&v.id, &v.name, &v.profile, None))
                .chain(f.lpar.iter().map(|l| (&l.id, &l.name, &l.profile, Some(l))));
            let mut mem_total = 0u64;
            for (id, name, profiles, lpar) in parts {
                check_name(name, "partition")?;
                if !names.insert(name.get_ref().clone()) {
                    return err(
                        name.span(),
                        "name",
                        format!(
                            "duplicate partition name {} on frame {}",
                            name.get_ref(),
                            f.name.get_ref()
                        ),
                    );
                }
                if *id.get_ref() == 0 || *id.get_ref() > f.max_lpars {
                    return err(
                        id.span(),
                        "id",
                        format!("partition id {} is outside 1-{}", id.get_ref(), f.max_lpars),
                    );
                }
                if !ids.insert(*id.get_ref()) {
                    return err(
                        id.span(),
                        "id",
                        format!(
                            "duplicate partition id {} on frame {}",
                            id.get_ref(),
                            f.name.get_ref()
                        ),
                    );
                }
                if let Some(l) = lpar {
                    if ![LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS].contains(&l.lpar_env.get_ref().as_str())
                    {
                        return err(
                            l.lpar_env.span(),
                            "lpar_env",
                            format!("{:?} is not aixlinux or vioserver", l.lpar_env.get_ref()),
                        );
                    }
                    if l.lpar_env.get_ref() == LPAR_ENV_VIOS {
                        return err(
                            l.lpar_env.span(),
                            "lpar_env",
                            "a VIOS is declared under [[frame.vios]], not [[frame.lpar]]".into(),
                        );
                    }
                }
                if let Some(w) = lpar.and_then(|l| l.workload.as_ref()) {
                    if !["uniform", "hotspot", "sequential"].contains(&w.pattern.get_ref().as_str())
                    {
                        return err(
                            w.pattern.span(),
                            "pattern",
                            format!(
                                "{:?} is not uniform, hotspot or sequential",
                                w.pattern.get_ref()
                            ),
                        );
                    }
                    if !["", "check", "prepare"].contains(&w.refuse_migration.as_str()) {
                        return err(
                            w.pattern.span(),
                            "refuse_migration",
                            format!("{:?} is not check, prepare or empty", w.refuse_migration),
                        );
                    }
                    if w.script_ms > crate::model::MAX_SCRIPT_MS {
                        return err(
                            w.pattern.span(),
                            "script_ms",
                            format!("{} ms is over a day", w.script_ms),
                        );
                    }
                }
                if profiles.is_empty() {
                    return err(
                        name.span(),
                        "profile",
                        format!("partition {} has no profile", name.get_ref()),
                    );
                }
                let mut prof_names = BTreeSet::new();
                let mut largest = 0;
                for table in profiles {
                    let p = build_profile(table)?;
                    if !prof_names.insert(p.name.clone()) {
                        return err(
                            name.span(),
                            "profile",
                            format!("duplicate profile name {}", p.name),
                        );
                    }
                    let span = table.keys().next().map(|k| k.span()).unwrap_or(name.span());
                    for (field, mb) in [
                        ("min_mem", p.min_mem),
                        ("desired_mem", p.desired_mem),
                        ("max_mem", p.max_mem),
                    ] {
                        if mb % lmb != 0 {
                            return err(
                                span,
                                field,
                                format!(
                                    "{mb} MB is not a multiple of the logical memory block size {lmb} MB"
                                ),
                            );
                        }
                    }
                    if p.desired_mem > f.memory_mb {
                        return err(
                            span,
                            "desired_mem",
                            format!(
                                "partition {} wants {} MB but frame {} has {} MB",
                                name.get_ref(),
                                p.desired_mem,
                                f.name.get_ref(),
                                f.memory_mb
                            ),
                        );
                    }
                    let procs = if p.proc_mode == "shared" {
                        p.desired_proc_units
                    } else {
                        f64::from(p.desired_procs)
                    };
                    if procs > f.processors {
                        return err(
                            span,
                            "desired_procs",
                            format!(
                                "partition {} wants {} processors but frame {} has {}",
                                name.get_ref(),
                                procs,
                                f.name.get_ref(),
                                f.processors
                            ),
                        );
                    }
                    if !f.compat_modes.get_ref().contains(&p.lpar_proc_compat_mode) {
                        return err(
                            span,
                            "lpar_proc_compat_mode",
                            format!(
                                "frame {} does not support processor mode {:?} (it supports {})",
                                f.name.get_ref(),
                                p.lpar_proc_compat_mode,
                                f.compat_modes.get_ref().join(", ")
                            ),
                        );
                    }
                    for (what, rid, rname) in p
                        .virtual_scsi_adapters
                        .iter()
                        .filter(|a| !a.server)
                        .map(|a| {
                            (
                                "virtual_scsi_adapters",
                                &a.remote_lpar_id,
                                &a.remote_lpar_name,
                            )
                        })
                        .chain(p.virtual_fc_adapters.iter().filter(|a| !a.server).map(|a| {
                            (
                                "virtual_fc_adapters",
                                &a.remote_lpar_id,
                                &a.remote_lpar_name,
                            )
                        }))
                    {
                        let ok = rid
                            .parse::<u32>()
                            .ok()
                            .and_then(|i| vios_ids.get(&i))
                            .is_some_and(|n| rname.is_empty() || n == rname);
                        if !ok {
                            return err(
                                span,
                                what,
                                format!(
                                    "client adapter names VIOS {rid}/{rname}, which is not a VIOS on frame {}",
                                    f.name.get_ref()
                                ),
                            );
                        }
                    }
                    if p.auto_start {
                        largest = largest.max(p.desired_mem);
                    }
                }
                if let Some(dp) = lpar.and_then(|l| l.default_profile.as_ref()) {
                    if !prof_names.contains(dp.get_ref()) {
                        return err(
                            dp.span(),
                            "default_profile",
                            format!(
                                "partition {} has no profile {}",
                                name.get_ref(),
                                dp.get_ref()
                            ),
                        );
                    }
                }
                mem_total += largest;
            }
            let usable = f.memory_mb.saturating_sub(firmware_mem_mb(f.memory_mb));
            if mem_total > usable {
                return err(
                    f.name.span(),
                    "memory_mb",
                    format!(
                        "partitions that start with frame {} want {mem_total} MB but only {usable} MB is available",
                        f.name.get_ref()
                    ),
                );
            }
        }
        Ok(())
    }

    pub fn hmc(&self, name: &str) -> Option<&HmcDef> {
        self.hmc.iter().find(|h| h.name.get_ref() == name)
    }

    pub fn frame(&self, name: &str) -> Option<&FrameDef> {
        self.frame.iter().find(|f| f.name.get_ref() == name)
    }

    /// Every node of the lab, in start order: FSPs first (they own the
    /// truth), then VIOS, then the HMCs that connect to both.
    pub fn nodes(&self) -> Vec<NodeDef> {
        let mut out = Vec::new();
        for f in &self.frame {
            out.push(NodeDef {
                name: f.name.get_ref().clone(),
                role: crate::model::Role::Fsp,
                address: f.address.get_ref().clone(),
                port: self.lab.grpc_port,
            });
        }
        for f in &self.frame {
            for v in &f.vios {
                out.push(NodeDef {
                    name: vios_node_name(f.name.get_ref(), v.name.get_ref()),
                    role: crate::model::Role::Vios,
                    address: v.address.get_ref().clone(),
                    port: self.lab.grpc_port,
                });
            }
        }
        for h in &self.hmc {
            out.push(NodeDef {
                name: h.name.get_ref().clone(),
                role: crate::model::Role::Hmc,
                address: h.address.get_ref().clone(),
                port: self.lab.grpc_port,
            });
        }
        out
    }

    pub fn node(&self, name: &str) -> Option<NodeDef> {
        self.nodes().into_iter().find(|n| n.name == name)
    }

    /// Moves every address to another /24 of loopback (`127.a.b`), so that
    /// several labs, and tests, run side by side.
    pub fn relocate(&mut self, prefix: &str) {
        let move_addr = |a: &mut Spanned<String>| {
            let last = a.get_ref().rsplit('.').next().unwrap_or("1").to_string();
            *a = Spanned::new(a.span(), format!("{prefix}.{last}"));
        };
        for h in &mut self.hmc {
            move_addr(&mut h.address);
        }
        for f in &mut self.frame {
            move_addr(&mut f.address);
            for v in &mut f.vios {
                move_addr(&mut v.address);
            }
        }
    }
}

/// A partition's logical serial number: the frame's serial and the
/// partition id in hexadecimal (06C3A0P and 15 give 06C3A0PF).
pub fn logical_serial(frame_serial: &str, lpar_id: u32) -> String {
    format!("{frame_serial}{lpar_id:X}")
}

/// Node name of a VIOS: VIOS names repeat from frame to frame, so the node
/// carries its frame's name too.
pub fn vios_node_name(frame: &str, vios: &str) -> String {
    format!("{frame}-{vios}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDef {
    pub name: String,
    pub role: crate::model::Role,
    pub address: String,
    pub port: u16,
}

impl NodeDef {
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.address, self.port)
    }
}

/// The memory the hypervisor keeps for itself: a fixed part plus a share of
/// the frame, as on real frames where it grows with installed memory.
pub fn firmware_mem_mb(memory_mb: u64) -> u64 {
    1024 + memory_mb / 64
}

pub fn parse_mtms(s: &str) -> Option<(String, String)> {
    let (tm, serial) = s.split_once('*')?;
    let (t, m) = tm.split_once('-')?;
    let ok = |x: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&x.len()) && x.chars().all(|c| c.is_ascii_alphanumeric())
    };
    (ok(t, 4..=4) && ok(m, 3..=3) && ok(serial, 7..=8))
        .then(|| (tm.to_string(), serial.to_string()))
}

fn check_name(name: &Spanned<String>, what: &str) -> Result<(), (Range<usize>, String, String)> {
    let n = name.get_ref();
    let ok = !n.is_empty()
        && n.len() <= 47
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err((
            name.span(),
            "name".into(),
            format!("{what} name {n:?} must be 1-47 letters, digits, '-', '_' or '.'"),
        ))
    }
}

/// A TOML value as the text an HMC attribute would carry: arrays become
/// comma lists, with elements that hold commas quoted the HMC's way.
fn attr_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => {
            if *b {
                "1".into()
            } else {
                "0".into()
            }
        }
        toml::Value::Array(a) => a
            .iter()
            .map(|e| {
                let s = attr_text(e);
                if s.contains(',') {
                    format!("\"{s}\"")
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

fn build_profile(
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> Result<Profile, (Range<usize>, String, String)> {
    let name = table
        .iter()
        .find(|(k, _)| k.get_ref() == "name")
        .map(|(_, v)| attr_text(v.get_ref()));
    let first = table.keys().next().map(|k| k.span()).unwrap_or(0..0);
    let Some(name) = name else {
        return Err((first, "name".into(), "profile has no name".into()));
    };
    let mut p = attrs::default_profile(&name);
    for (k, v) in table {
        if k.get_ref() == "name" {
            continue;
        }
        attrs::set_profile_attr(&mut p, k.get_ref(), &attr_text(v.get_ref()))
            .map_err(|e| (v.span(), k.get_ref().clone(), e.to_string()))?;
    }
    check_profile(&p).map_err(|m| (first, "profile".into(), format!("profile {name}: {m}")))?;
    Ok(p)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The field at fault: serde names it in some messages (`missing field
/// `id``); for a bad value it is the key on the line the error points at.
fn field_of(msg: &str, text: &str, at: usize) -> String {
    if let Some(f) = msg.split('`').nth(1) {
        return f.to_string();
    }
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    match text[line_start..]
        .lines()
        .next()
        .and_then(|l| l.split_once('='))
    {
        Some((k, _)) if !k.trim().is_empty() => k.trim().trim_matches('"').to_string(),
        _ => "-".into(),
    }
}

impl FrameDef {
    pub fn frame_model(&self, topo: &Topology) -> Frame {
        let (type_model, serial) = parse_mtms(self.mtms.get_ref()).unwrap_or_default();
        let mut pools = vec![SharedProcPool {
            id: 0,
            name: "DefaultPool".into(),
            max_pool_proc_units: self.processors,
            reserved_pool_proc_units: 0.0,
        }];
        pools.extend(self.pool.iter().map(|p| SharedProcPool {
            id: p.id,
            name: p.name.clone(),
            max_pool_proc_units: p.max_proc_units,
            reserved_pool_proc_units: p.reserved_proc_units,
        }));
        Frame {
            name: self.name.get_ref().clone(),
            type_model,
            serial_num: serial,
            proc_generation: self.proc_generation.get_ref().clone(),
            compat_modes: self.compat_modes.get_ref().clone(),
            memory_mb: self.memory_mb,
            processors: self.processors,
            lmb_mb: *self.lmb_mb.get_ref(),
            firmware: self.firmware.clone(),
            capabilities: self.capabilities.get_ref().clone(),
            managed_by: self.managed_by.get_ref().clone(),
            state: crate::model::frame_state::POWER_OFF.into(),
            max_lpars: self.max_lpars,
            firmware_mem_mb: firmware_mem_mb(self.memory_mb) as u32,
            pools,
            address: format!("{}:{}", self.address.get_ref(), topo.lab.grpc_port),
            epoch: 0,
            detailed_state: "None".into(),
            user_name: String::new(),
            power_off_policy: 0,
            num_active_migrations_supported: self.num_active_migrations_supported,
            num_inactive_migrations_supported: self.num_inactive_migrations_supported,
            rspool: None,
        }
    }

    /// The partitions as first created on this frame (VIOS first).
    pub fn partitions(&self) -> Vec<Partition> {
        let mut out = Vec::new();
        let serial = parse_mtms(self.mtms.get_ref())
            .map(|m| m.1)
            .unwrap_or_default();
        let mk = |id: u32,
                  name: &str,
                  env: &str,
                  os: &str,
                  profiles: &[BTreeMap<Spanned<String>, Spanned<toml::Value>>],
                  default: Option<&str>| {
            let profiles: Vec<Profile> = profiles
                .iter()
                .filter_map(|t| build_profile(t).ok())
                .collect();
            let default = default
                .map(str::to_string)
                .or_else(|| profiles.first().map(|p| p.name.clone()))
                .unwrap_or_default();
            Partition {
                id,
                name: name.to_string(),
                lpar_env: env.to_string(),
                state: lpar_state::NOT_ACTIVATED.into(),
                default_profile: default,
                os_version: os.to_string(),
                rmc_state: "inactive".into(),
                logical_serial_num: logical_serial(&serial, id),
                boot_mode: "norm".into(),
                lpar_keylock: "norm".into(),
                lpar_avail_priority: if env == LPAR_ENV_VIOS { 191 } else { 127 },
                remote_restart_status: "Invalid".into(),
                profiles,
                ..Default::default()
            }
        };
        for v in &self.vios {
            let mut p = mk(
                *v.id.get_ref(),
                v.name.get_ref(),
                LPAR_ENV_VIOS,
                &v.os_version,
                &v.profile,
                None,
            );
            p.msp = v.msp;
            p.rmc_ipaddr = v.address.get_ref().clone();
            out.push(p);
        }
        for l in &self.lpar {
            let mut p = mk(
                *l.id.get_ref(),
                l.name.get_ref(),
                l.lpar_env.get_ref(),
                &l.os_version,
                &l.profile,
                l.default_profile.as_ref().map(|d| d.get_ref().as_str()),
            );
            p.remote_restart_capable = l.remote_restart_capable;
            p.simplified_remote_restart_capable = l.simplified_remote_restart_capable;
            p.rmc_ipaddr = l.rmc_ipaddr.clone();
            p.rmc_inactive = !l.rmc;
            p.workload = l.workload.as_ref().map(|w| crate::model::Workload {
                rate_mb_s: w.rate_mb_s,
                working_set_mb: w.working_set_mb,
                pattern: w.pattern.get_ref().clone(),
                refuse_migration: w.refuse_migration.clone(),
                script_ms: w.script_ms,
            });
            out.push(p);
        }
        out
    }
}

impl ViosDef {
    /// The devices this VIOS starts with: zoned LUNs as hdisks, the SEAs,
    /// and vhost/vtscsi and vfchost mappings in server-slot order.
    pub fn devices(&self, topo: &Topology, frame: &FrameDef) -> ViosDevices {
        let luns: Vec<Lun> = self
            .luns
            .get_ref()
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                let def = topo.lun.iter().find(|l| l.id.get_ref() == id)?;
                Some(Lun {
                    id: id.clone(),
                    hdisk: format!("hdisk{}", i + 2),
                    size_mb: def.size_mb,
                    reserve_policy: "no_reserve".into(),
                    udid: if def.udid.is_empty() {
                        format!(
                            "332136005076801{:0>16}04214503IBMfcp",
                            id.trim_start_matches(|c: char| !c.is_ascii_digit())
                        )
                    } else {
                        def.udid.clone()
                    },
                })
            })
            .collect();
        let profile = self
            .profile
            .first()
            .and_then(|t| build_profile(t).ok())
            .unwrap_or_default();
        let mut scsi_servers: Vec<_> = profile
            .virtual_scsi_adapters
            .iter()
            .filter(|a| a.server)
            .collect();
        scsi_servers.sort_by_key(|a| a.slot);
        let client_of = |remote: &str| -> u32 {
            remote.parse().unwrap_or_else(|_| {
                frame
                    .lpar
                    .iter()
                    .find(|l| l.name.get_ref() == remote)
                    .map(|l| *l.id.get_ref())
                    .unwrap_or(0)
            })
        };
        let mut vscsi = Vec::new();
        for m in &self.vscsi {
            let Some(pos) = scsi_servers
                .iter()
                .position(|a| a.slot == *m.server_slot.get_ref())
            else {
                continue;
            };
            let a = scsi_servers[pos];
            let backing = luns
                .iter()
                .find(|l| &l.id == m.lun.get_ref())
                .map(|l| l.hdisk.clone())
                .unwrap_or_default();
            vscsi.push(VscsiMapping {
                vhost: format!("vhost{pos}"),
                server_slot: a.slot,
                client_lpar_id: client_of(&a.remote_lpar_id),
                vtd: format!("vtscsi{}", vscsi.len()),
                backing,
                lun_id: m.lun.get_ref().clone(),
            });
        }
        let mut fc_servers: Vec<_> = profile
            .virtual_fc_adapters
            .iter()
            .filter(|a| a.server)
            .collect();
        fc_servers.sort_by_key(|a| a.slot);
        let npiv = self
            .npiv
            .iter()
            .filter_map(|m| {
                let pos = fc_servers
                    .iter()
                    .position(|a| a.slot == *m.server_slot.get_ref())?;
                Some(NpivMapping {
                    vfchost: format!("vfchost{pos}"),
                    server_slot: fc_servers[pos].slot,
                    client_lpar_id: client_of(&fc_servers[pos].remote_lpar_id),
                    fcs: m.fcs.clone(),
                    client_slot: fc_servers[pos].remote_slot.parse().unwrap_or(0),
                })
            })
            .collect();
        let seas = self
            .sea
            .iter()
            .map(|s| Sea {
                name: s.name.clone(),
                real_adapter: s.real_adapter.clone(),
                virt_adapters: s.virt_adapters.clone(),
                pvid: s.pvid,
                vlans: s.vlans.get_ref().clone(),
                ha_mode: s.ha_mode.clone(),
            })
            .collect();
        ViosDevices {
            luns,
            vscsi,
            npiv,
            seas,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lab_is_valid_and_as_promised() {
        let t = Topology::parse("default", DEFAULT_LAB).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.hmc.len(), 2);
        assert_eq!(t.frame.len(), 3);
        let gens: BTreeSet<_> = t
            .frame
            .iter()
            .map(|f| f.proc_generation.get_ref().clone())
            .collect();
        assert_eq!(gens.len(), 2, "two processor generations");
        for f in &t.frame {
            assert_eq!(f.vios.len(), 2);
            assert!(f.vios.iter().all(|v| v.msp));
            assert_eq!(f.partitions().len(), f.vios.len() + f.lpar.len());
            for v in &f.vios {
                let d = v.devices(&t, f);
                assert_eq!(
                    d.vscsi.len(),
                    v.vscsi.len(),
                    "every mapping resolves on {}",
                    v.name.get_ref()
                );
            }
        }
        let clients: usize = t.frame.iter().map(|f| f.lpar.len()).sum();
        assert!(clients >= 8);
    }

    fn expect_err(text: &str, line: usize, field: &str) {
        let e = Topology::parse("t.toml", text).expect_err("should fail");
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("t.toml:{line}: {field}:")),
            "{e}"
        );
    }

    const HEAD: &str = "[[hmc]]\nname = \"hmc1\"\naddress = \"127.0.0.2\"\n";
    const FRAME: &str = "[[frame]]\nname = \"f1\"\nmtms = \"8286-42A*21A5E8V\"\nproc_generation = \"POWER8\"\ncompat_modes = [\"default\", \"POWER8\"]\nmemory_mb = 65536\nprocessors = 8\nfirmware = \"SV860\"\npassword = \"pw\"\naddress = \"127.0.0.3\"\n";

    #[test]
    fn errors_name_file_line_and_field() {
        expect_err(
            &format!("{HEAD}[[hmc]]\nname = \"hmc1\"\naddress = \"127.0.0.9\"\n"),
            5,
            "name",
        );
        expect_err(&format!("{HEAD}[[frame]]\nname = \"f1\"\n"), 4, "mtms");
        let bad_mode = FRAME.replace("\"POWER8\"]", "\"POWER5\"]");
        expect_err(&format!("{HEAD}{bad_mode}"), 8, "compat_modes");
        let big = format!(
            "{HEAD}{FRAME}[[frame.lpar]]\nid = 2\nname = \"big\"\n[[frame.lpar.profile]]\nname = \"p\"\nmin_mem = 1024\ndesired_mem = 131072\nmax_mem = 131072\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n"
        );
        let e = Topology::parse("t.toml", &big).unwrap_err();
        assert_eq!(e.field, "desired_mem", "{e}");
        let dup_addr = format!("{HEAD}{}", FRAME.replace("127.0.0.3", "127.0.0.2"));
        expect_err(&dup_addr, 13, "address");
        let bad_value = format!(
            "{HEAD}{FRAME}[[frame.lpar]]\nid = 2\nname = \"x\"\n[[frame.lpar.profile]]\nname = \"p\"\ndesired_mem = \"lots\"\n"
        );
        expect_err(&bad_value, 19, "desired_mem");
    }
}
