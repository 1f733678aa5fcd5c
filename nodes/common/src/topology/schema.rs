//! The topology file's schema: the TOML a user writes, as serde reads it.
//! Fields that a check may refuse are `Spanned`, so that the error can name
//! the line; defaults are those of a real frame or HMC fresh from the box.

use crate::model::LPAR_ENV_AIXLINUX;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub const DEFAULT_GRPC_PORT: u16 = 7700;

/// One `[[…profile]]` table as written: HMC attribute names and values, read
/// through the attribute table only once the whole file has parsed.
pub(crate) type ProfileTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    #[serde(default)]
    pub lab: LabDef,
    #[serde(default)]
    pub hmc: Vec<HmcDef>,
    /// The storage array and outside network (`pvm-san`); without this
    /// table it takes the address `.5` of the HMCs' subnet.
    #[serde(default)]
    pub san: Option<SanDef>,
    #[serde(default)]
    pub lun: Vec<LunDef>,
    #[serde(default)]
    pub frame: Vec<FrameDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanDef {
    pub address: Spanned<String>,
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
    /// How often an SEA in a failover pair sends its heartbeat over the
    /// control channel (or through the hypervisor without one).
    #[serde(default = "default_sea_heartbeat_ms")]
    pub sea_heartbeat_ms: u64,
    /// How long an SEA goes without its peer's heartbeat before it takes
    /// over: the failover's detection time. The reference gives no figure;
    /// three missed heartbeats, as SEA's own default.
    #[serde(default = "default_sea_detect_ms")]
    pub sea_detect_ms: u64,
    /// A client disk's MPIO `hcheck_interval`, in milliseconds here so
    /// tests can make it short (AIX's default for a vSCSI disk: 60 s).
    #[serde(default = "default_hcheck_ms")]
    pub hcheck_interval_ms: u64,
    /// How long a client waits for one I/O on a path before it fails the
    /// path (the disk's `rw_timeout`, AIX's default for vSCSI: 45 s).
    #[serde(default = "default_io_timeout_ms")]
    pub io_timeout_ms: u64,
}

impl Default for LabDef {
    fn default() -> Self {
        LabDef {
            name: default_lab_name(),
            grpc_port: DEFAULT_GRPC_PORT,
            ssh_port: default_ssh_port(),
            metrics_port: default_metrics_port(),
            rest_port: default_rest_port(),
            sea_heartbeat_ms: default_sea_heartbeat_ms(),
            sea_detect_ms: default_sea_detect_ms(),
            hcheck_interval_ms: default_hcheck_ms(),
            io_timeout_ms: default_io_timeout_ms(),
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
fn default_sea_heartbeat_ms() -> u64 {
    1000
}
fn default_sea_detect_ms() -> u64 {
    3000
}
fn default_hcheck_ms() -> u64 {
    60_000
}
fn default_io_timeout_ms() -> u64 {
    45_000
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
    /// The client virtual FC WWPNs the LUN is masked to (NPIV): a client
    /// whose vFC adapter has one sees the LUN through every VIOS port it
    /// is mapped to.
    #[serde(default = "empty_list")]
    pub wwpns: Spanned<Vec<String>>,
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
    /// padmin's password for SSH to the VIOS's own address.
    #[serde(default = "default_padmin_password")]
    pub padmin_password: String,
    /// Public keys padmin logs in with (OpenSSH authorized_keys lines),
    /// besides those in `~/.ssh/authorized_keys` of its home.
    #[serde(default)]
    pub padmin_keys: Vec<String>,
    pub profile: Vec<ProfileTable>,
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
    /// The control channel adapter (`ctl_chan`); empty: the VIOS's virtual
    /// adapter that is no trunk.
    #[serde(default)]
    pub ctl_chan: String,
    /// The address the SEA pings to check its physical link (`netaddr`).
    #[serde(default)]
    pub netaddr: String,
}

fn default_padmin_password() -> String {
    "padmin".into()
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
    pub profile: Vec<ProfileTable>,
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
    /// Disk I/Os per second through the partition's VIOS (a write, then a
    /// read that checks it).
    #[serde(default)]
    pub disk_iops: f64,
    /// Packets per second to a host outside the frame, through the SEA.
    #[serde(default)]
    pub packets_per_s: f64,
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
