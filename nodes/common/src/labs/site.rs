//! A generated site (`pvmlab init --frames N --lpars M`): frames of four
//! processor generations, scale-out and enterprise models, two VIOS each
//! (an SEA failover pair, both mover service partitions), and client
//! partitions of mixed sizes and processor modes with vSCSI or NPIV disks,
//! VLANs bridged by the pair, simplified remote restart on POWER8 and
//! later, and workloads on a few. Everything is placed so that the lab
//! validates for LPM and remote restart:
//!
//! - frames form SAN groups of four (one zone each): a vSCSI client's LUN
//!   is zoned to every VIOS of its group, an NPIV client's LUN is masked to
//!   its WWPNs, so any partition can move within its group;
//! - a client's processor mode is one its group's oldest generation runs,
//!   save for a few left at `default`, as real sites have;
//! - a frame never holds more than it can start: memory, processors and
//!   partition count are counted as partitions are placed.
//!
//! The same spec and seed give the same file.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

/// What `pvmlab init` was asked for.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub frames: usize,
    /// Client partitions in all (the VIOS come on top).
    pub lpars: usize,
    pub hmcs: usize,
    pub vios_per_frame: usize,
    pub seed: u64,
    /// No workload anywhere: the lab costs nothing while nobody acts.
    pub idle: bool,
    /// `127.a` (a /16) or `127.a.b` (a /24).
    pub subnet: String,
}

impl Default for SiteSpec {
    fn default() -> Self {
        SiteSpec {
            frames: 4,
            lpars: 40,
            hmcs: 2,
            vios_per_frame: 2,
            seed: 1,
            idle: false,
            subnet: "127.42".into(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SiteError {
    #[error("--frames must be 1 to {MAX_FRAMES}, not {0}")]
    Frames(usize),
    #[error("--hmcs must be 1 to {MAX_HMCS}, not {0}")]
    Hmcs(usize),
    #[error("--vios-per-frame must be 1 or 2, not {0}")]
    Vios(usize),
    #[error(
        "{lpars} client partitions do not fit: {frames} frames with {vios} VIOS each hold at most {fit}; give more --frames or fewer --lpars"
    )]
    TooMany {
        lpars: usize,
        frames: usize,
        vios: usize,
        fit: usize,
    },
    #[error("--subnet {0:?} is not a loopback /16 such as 127.43 or /24 such as 127.43.0")]
    Subnet(String),
    #[error(
        "the lab needs {needed} addresses but the /24 {subnet}.0 has {room}; give a /16 such as --subnet 127.43"
    )]
    Addresses {
        needed: usize,
        subnet: String,
        room: usize,
    },
}

pub const MAX_FRAMES: usize = 1000;
const MAX_HMCS: usize = 16;

use super::catalog::{MODELS, Model, SHAPES, Shape, TINY};

const VIOS_MEM_MB: u64 = 4096;
const VIOS_UNITS: f64 = 0.5;
/// The share of a frame's memory and processors left free for partitions
/// moving in, where the frame is not full of the smallest ones.
const HEADROOM: f64 = 0.25;
/// Frames that share a SAN zone, among which partitions may move.
const GROUP: usize = 4;
const LUN_MB: u64 = 20480;
const VLANS: &[u32] = &[1, 100, 200, 300];

struct Placed {
    model: &'static Model,
    clients: usize,
}

fn firmware_mb(mem: u64) -> u64 {
    crate::topology::firmware_mem_mb(mem)
}

/// How many clients the smallest shape lets a frame of `m` hold.
fn room(m: &Model, vios: usize) -> usize {
    let usable = m.memory_mb - firmware_mb(m.memory_mb) - vios as u64 * VIOS_MEM_MB;
    let units = f64::from(m.processors) - vios as f64 * VIOS_UNITS;
    let by_mem = usable / TINY.mem_mb;
    let by_cpu = (units / TINY.units).floor() as u64;
    (m.max_lpars as usize - vios)
        .min(by_mem as usize)
        .min(by_cpu as usize)
}

/// Which model each frame is: the first of every group an enterprise
/// frame, the rest scale-out; a group's frames are of two neighbouring
/// generations, so that its partitions share a processor mode to move in.
fn models(spec: &SiteSpec, rng: &mut ChaCha8Rng) -> Vec<&'static Model> {
    let mut out = Vec::with_capacity(spec.frames);
    let mut base = 7;
    for i in 0..spec.frames {
        if i % GROUP == 0 {
            base = rng.random_range(7..=9);
        }
        let rank = base + rng.random_range(0..=1);
        let model = MODELS
            .iter()
            .find(|m| m.rank == rank && m.enterprise == (i % GROUP == 0))
            .unwrap_or(&MODELS[0]);
        out.push(model);
    }
    out
}

/// Spreads the clients over the frames by size (an enterprise frame holds
/// three times a scale-out's), never beyond a frame's room.
fn place(spec: &SiteSpec, models: &[&'static Model]) -> Result<Vec<Placed>, SiteError> {
    let rooms: Vec<usize> = models
        .iter()
        .map(|m| room(m, spec.vios_per_frame))
        .collect();
    let fit: usize = rooms.iter().sum();
    if spec.lpars > fit {
        return Err(SiteError::TooMany {
            lpars: spec.lpars,
            frames: spec.frames,
            vios: spec.vios_per_frame,
            fit,
        });
    }
    let weight = |m: &Model| if m.enterprise { 3 } else { 1 };
    let total: usize = models.iter().map(|m| weight(m)).sum();
    let mut counts: Vec<usize> = models
        .iter()
        .zip(&rooms)
        .map(|(m, r)| (spec.lpars * weight(m) / total).min(*r))
        .collect();
    // What rounding and full frames left over goes where there is room.
    let mut left = spec.lpars - counts.iter().sum::<usize>();
    while left > 0 {
        for (c, r) in counts.iter_mut().zip(&rooms) {
            if left > 0 && *c < *r {
                *c += 1;
                left -= 1;
            }
        }
    }
    Ok(models
        .iter()
        .zip(counts)
        .map(|(m, clients)| Placed { model: m, clients })
        .collect())
}

/// Hands out addresses in the subnet: HMCs at .11 on, the SAN at .5,
/// then every frame's FSP and VIOS in turn.
struct Addresses {
    prefix: String,
    wide: bool,
    next: usize,
}

impl Addresses {
    fn new(spec: &SiteSpec, needed: usize) -> Result<Addresses, SiteError> {
        let wide = is_wide(&spec.subnet)?;
        // A /24 keeps .1-.20 for the lab's own (SAN, HMCs) and .254 for the
        // compose lab's fault API.
        let room = 253 - 20;
        if !wide && needed > room {
            return Err(SiteError::Addresses {
                needed,
                subnet: spec.subnet.clone(),
                room,
            });
        }
        Ok(Addresses {
            prefix: spec.subnet.clone(),
            wide,
            next: if wide { 256 } else { 21 },
        })
    }

    /// The first hosts of the subnet, for the SAN and the HMCs.
    fn low(&self, n: usize) -> String {
        if self.wide {
            format!("{}.0.{n}", self.prefix)
        } else {
            format!("{}.{n}", self.prefix)
        }
    }

    fn take(&mut self) -> String {
        if !self.wide {
            self.next += 1;
            return format!("{}.{}", self.prefix, self.next - 1);
        }
        // Skip .0 and .255 of every /24 within the /16.
        while matches!(self.next % 256, 0 | 255) {
            self.next += 1;
        }
        self.next += 1;
        let n = self.next - 1;
        format!("{}.{}.{}", self.prefix, n / 256, n % 256)
    }
}

/// Whether `subnet` is a loopback /16 (`127.a`) rather than a /24
/// (`127.a.b`); anything else is refused.
pub fn is_wide(subnet: &str) -> Result<bool, SiteError> {
    let parts: Vec<&str> = subnet.split('.').collect();
    let ok = parts[0] == "127"
        && (parts.len() == 2 || parts.len() == 3)
        && parts.iter().all(|p| p.parse::<u8>().is_ok());
    if !ok {
        return Err(SiteError::Subnet(subnet.to_string()));
    }
    Ok(parts.len() == 2)
}

/// The topology text of the site `spec` asks for.
pub fn site(spec: &SiteSpec) -> Result<String, SiteError> {
    if !(1..=MAX_FRAMES).contains(&spec.frames) {
        return Err(SiteError::Frames(spec.frames));
    }
    if !(1..=MAX_HMCS).contains(&spec.hmcs) {
        return Err(SiteError::Hmcs(spec.hmcs));
    }
    if !(1..=2).contains(&spec.vios_per_frame) {
        return Err(SiteError::Vios(spec.vios_per_frame));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let models = models(spec, &mut rng);
    let placed = place(spec, &models)?;
    let mut addr = Addresses::new(spec, spec.frames * (1 + spec.vios_per_frame))?;
    // Which clients boot from NPIV LUNs (the rest from vSCSI), drawn first:
    // the SAN's LUNs, written before the frames, need them.
    let total: usize = placed.iter().map(|p| p.clients).sum();
    let npiv = (0..total).map(|_| rng.random_range(0..100) < 40).collect();
    let mut w = Writer {
        out: String::new(),
        rng,
        spec,
        npiv,
        next_client: 0,
        workloads: 0,
    };
    w.head(&addr);
    w.luns(&placed);
    for (i, p) in placed.iter().enumerate() {
        w.frame(i, p, &placed, &mut addr);
    }
    Ok(w.out)
}

struct Writer<'a> {
    out: String,
    rng: ChaCha8Rng,
    spec: &'a SiteSpec,
    /// By site-wide client number less one: boots from an NPIV LUN.
    npiv: Vec<bool>,
    /// Clients are numbered across the site, so that every name is unique
    /// wherever a partition moves.
    next_client: usize,
    workloads: usize,
}

/// At most this many clients run a workload (memory, disk and network),
/// so that a site of any size stays within one machine.
const MAX_WORKLOADS: usize = 32;

/// What the generator decides for one client before it is written.
struct Client {
    /// Its number across the site, which its name and LUN carry.
    n: usize,
    id: u32,
    name: String,
    shape: Shape,
    npiv: bool,
}

impl Writer<'_> {
    fn head(&mut self, addr: &Addresses) {
        let s = self.spec;
        let _ = writeln!(
            self.out,
            "# A generated site: {} frames, {} VIOS, {} client partitions, {} HMCs\n\
             # (pvmlab init --frames {} --lpars {} --hmcs {} --vios-per-frame {} --seed {}{}).\n\
             # Frames share a SAN zone in groups of {GROUP}; partitions move within their group.\n\
             \n[lab]\nname = \"site\"\n",
            s.frames,
            s.frames * s.vios_per_frame,
            s.lpars,
            s.hmcs,
            s.frames,
            s.lpars,
            s.hmcs,
            s.vios_per_frame,
            s.seed,
            if s.idle { " --idle" } else { "" },
        );
        let _ = writeln!(self.out, "[san]\naddress = \"{}\"\n", addr.low(5));
        for h in 0..s.hmcs {
            let _ = writeln!(
                self.out,
                "[[hmc]]\nname = \"hmc{}\"\naddress = \"{}\"\n",
                h + 1,
                addr.low(11 + h)
            );
        }
    }

    /// One LUN per client, its boot disk: an NPIV client's is masked to
    /// its WWPNs.
    fn luns(&mut self, placed: &[Placed]) {
        let mut n = 0;
        for (f, p) in placed.iter().enumerate() {
            for k in 0..p.clients {
                n += 1;
                let id = self.spec.vios_per_frame as u32 + 1 + k as u32;
                let _ = write!(
                    self.out,
                    "[[lun]]\nid = \"{}\"\nsize_mb = {LUN_MB}\n",
                    lun_id(n)
                );
                if self.npiv[n - 1] {
                    let w = wwpns(f, id);
                    let _ = writeln!(self.out, "wwpns = {}", list(&w));
                }
                self.out.push('\n');
            }
        }
    }

    fn frame(&mut self, i: usize, p: &Placed, all: &[Placed], addr: &mut Addresses) {
        let m = p.model;
        // i * 7919 (an odd prime) is one to one modulo 2^20: serials differ.
        let serial = format!("21{:05X}", (i as u64 * 7919 + 0x1A5E8) % 0x10_0000);
        let name = format!("Server-{}-SN{serial}", m.mt);
        let group = i / GROUP * GROUP..((i / GROUP + 1) * GROUP).min(all.len());
        // The oldest generation of the group: the mode every client that
        // must move anywhere in it runs.
        let oldest = all[group.clone()]
            .iter()
            .map(|p| p.model)
            .min_by_key(|m| m.rank)
            .map_or(m.modes(), |m| m.modes());
        let common: Vec<&str> = m
            .modes()
            .iter()
            .copied()
            .filter(|x| *x != "default" && oldest.contains(x))
            .collect();
        let mut caps = vec![
            "active_lpar_mobility_capable",
            "inactive_lpar_mobility_capable",
            "powervm_lpar_remote_restart_capable",
            "lpar_suspend_capable",
            "virtual_fc_capable",
            "virtual_switch_capable",
        ];
        let srr = m.generation != "POWER7+";
        if srr {
            caps.insert(3, "powervm_lpar_simplified_remote_restart_capable");
        }
        let hmcs = self.managers(i);
        let _ = writeln!(
            self.out,
            "[[frame]]\nname = \"{name}\"\nmtms = \"{}*{serial}\"\nproc_generation = \"{}\"\n\
             compat_modes = {}\nmemory_mb = {}\nprocessors = {}\nlmb_mb = 256\nfirmware = \"{}\"\n\
             capabilities = {}\nmanaged_by = {}\npassword = \"abc123\"\naddress = \"{}\"\n\
             power = \"Operating\"\nmax_lpars = {}\n",
            m.mt,
            m.generation,
            list(m.modes()),
            m.memory_mb,
            m.processors,
            m.firmware,
            list(&caps),
            list(&hmcs),
            addr.take(),
            m.max_lpars,
        );
        let clients = self.clients(p);
        let v = self.spec.vios_per_frame;
        for vid in 1..=v as u32 {
            self.vios(vid, &clients, group.clone(), all, addr);
        }
        for c in &clients {
            self.client(i, c, &common, srr);
        }
    }

    /// Who manages frame `i`: HMCs work in pairs, each pair a share of the
    /// frames, as sites run redundant HMCs.
    fn managers(&self, i: usize) -> Vec<String> {
        let pairs = self.spec.hmcs.div_ceil(2);
        let pair = i * pairs / self.spec.frames;
        let first = pair * 2 + 1;
        (first..=(first + 1).min(self.spec.hmcs))
            .map(|h| format!("hmc{h}"))
            .collect()
    }

    /// Draws the frame's clients, keeping room for the rest at the
    /// smallest size so that a full frame still starts, and, as sites do,
    /// a share of the frame free for partitions moving in: a client larger
    /// than the smallest goes only where it leaves that share.
    fn clients(&mut self, p: &Placed) -> Vec<Client> {
        let m = p.model;
        let v = self.spec.vios_per_frame as u64;
        let mut mem = m.memory_mb - firmware_mb(m.memory_mb) - v * VIOS_MEM_MB;
        let mut cpu = f64::from(m.processors) - v as f64 * VIOS_UNITS;
        let (mem_free, cpu_free) = (mem as f64 * HEADROOM, cpu * HEADROOM);
        let mut out = Vec::with_capacity(p.clients);
        for k in 0..p.clients {
            let rest = (p.clients - k - 1) as u64;
            let mut shape = self.pick();
            if (mem as f64) < (shape.mem_mb + rest * TINY.mem_mb) as f64 + mem_free
                || cpu < shape.units + rest as f64 * TINY.units + cpu_free
            {
                shape = TINY;
            }
            mem -= shape.mem_mb;
            cpu -= shape.units;
            self.next_client += 1;
            let id = v as u32 + 1 + k as u32;
            let prefix = ["app", "db", "web", "aix", "lnx", "sap"][self.rng.random_range(0..6)];
            out.push(Client {
                n: self.next_client,
                id,
                name: format!("{prefix}{:05}", self.next_client),
                shape,
                npiv: self.npiv[self.next_client - 1],
            });
        }
        out
    }

    fn pick(&mut self) -> Shape {
        let mut r = self.rng.random_range(0..100);
        for s in SHAPES {
            if r < s.weight {
                return *s;
            }
            r -= s.weight;
        }
        TINY
    }

    fn vios(
        &mut self,
        vid: u32,
        clients: &[Client],
        group: std::ops::Range<usize>,
        all: &[Placed],
        addr: &mut Addresses,
    ) {
        // Every client is served by every VIOS of its frame (one or two).
        let mine = clients;
        let max_slot = clients.iter().map(|c| c.id).max().unwrap_or(0) + 40;
        // Every LUN of the group's vSCSI clients is zoned to every VIOS of
        // the group, so a vSCSI client finds its disk wherever it moves.
        let first_client: usize = all[..group.start].iter().map(|p| p.clients).sum();
        let in_group: usize = all[group].iter().map(|p| p.clients).sum();
        let zone: Vec<String> = (first_client + 1..=first_client + in_group)
            .filter(|n| !self.npiv[n - 1])
            .map(lun_id)
            .collect();
        // The pair's trunk priorities decide PRIMARY (1) and BACKUP (2); a
        // VIOS alone bridges without failover.
        let single = self.spec.vios_per_frame == 1;
        let scsi: Vec<String> = mine
            .iter()
            .filter(|c| !c.npiv)
            .map(|c| format!("{}/server/{}/{}/{}/0", 20 + c.id, c.id, c.name, vid + 2))
            .collect();
        let fc: Vec<String> = mine
            .iter()
            .filter(|c| c.npiv)
            .map(|c| format!("{}/server/{}/{}/{}//0", 20 + c.id, c.id, c.name, vid + 4))
            .collect();
        let addl: Vec<String> = VLANS[1..].iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            self.out,
            "[[frame.vios]]\nid = {vid}\nname = \"vios{vid}\"\naddress = \"{}\"\nmsp = true\n\
             os_version = \"VIOS 3.1.4.10\"\nluns = {}\n\n[[frame.vios.profile]]\nname = \"default_profile\"\n\
             min_mem = 2048\ndesired_mem = {VIOS_MEM_MB}\nmax_mem = 8192\nproc_mode = \"shared\"\n\
             min_proc_units = 0.1\ndesired_proc_units = {VIOS_UNITS}\nmax_proc_units = 2.0\nmin_procs = 1\n\
             desired_procs = 2\nmax_procs = 4\nsharing_mode = \"uncap\"\nuncap_weight = 255\n\
             max_virtual_slots = {}\nvirtual_serial_adapters = [\"0/server/1/any//any/1\", \"1/server/1/any//any/1\"]\n\
             virtual_eth_adapters = [\"2/1/1/{}/{vid}/1/ETHERNET0//all/none\", \"3/0/99//0/1/ETHERNET0//all/none\"]\n\
             virtual_scsi_adapters = {}\nvirtual_fc_adapters = {}\nauto_start = 1\n\n\
             [[frame.vios.sea]]\nname = \"ent5\"\nreal_adapter = \"ent0\"\nvirt_adapters = [\"ent2\"]\npvid = 1\n\
             vlans = {:?}\nha_mode = \"{}\"\n",
            addr.take(),
            list(&zone),
            max_slot.max(200),
            addl.join(","),
            list(&scsi),
            list(&fc),
            VLANS,
            if single { "disabled" } else { "auto" },
        );
        for c in mine.iter().filter(|c| !c.npiv) {
            let _ = writeln!(
                self.out,
                "[[frame.vios.vscsi]]\nserver_slot = {}\nlun = \"{}\"\n",
                20 + c.id,
                lun_id(c.n)
            );
        }
        for (k, c) in mine.iter().filter(|c| c.npiv).enumerate() {
            let _ = writeln!(
                self.out,
                "[[frame.vios.npiv]]\nserver_slot = {}\nfcs = \"fcs{}\"\n",
                20 + c.id,
                k % 2
            );
        }
    }

    fn client(&mut self, frame: usize, c: &Client, common: &[&str], srr: bool) {
        let s = c.shape;
        let paths: Vec<u32> = (1..=self.spec.vios_per_frame as u32).collect();
        let mode = if common.is_empty() || self.rng.random_range(0..10) == 0 {
            "default"
        } else {
            common[self.rng.random_range(0..common.len())]
        };
        let vlan = VLANS[self.rng.random_range(0..VLANS.len())];
        let rr = srr && self.rng.random_range(0..5) == 0;
        let auto_start = u8::from(self.rng.random_range(0..10) != 0);
        let os = match &c.name[..3] {
            "lnx" => "Linux/Red Hat 4.18.0-372.9.1.el8.ppc64le 8.6",
            _ => [
                "AIX 7.2 7200-05-03-2148",
                "AIX 7.3 7300-02-01-2346",
                "AIX 7.1 7100-05-06-2016",
            ][self.rng.random_range(0..3)],
        };
        let _ = writeln!(
            self.out,
            "[[frame.lpar]]\nid = {}\nname = \"{}\"\nos_version = \"{os}\"\ndefault_profile = \"default_profile\"",
            c.id, c.name
        );
        if rr {
            self.out.push_str(
                "remote_restart_capable = true\nsimplified_remote_restart_capable = true\n",
            );
        }
        if !self.spec.idle && self.workloads < MAX_WORKLOADS && self.rng.random_range(0..20) == 0 {
            self.workloads += 1;
            let pattern = ["uniform", "hotspot", "sequential"][self.rng.random_range(0..3)];
            let _ = writeln!(
                self.out,
                "workload = {{ rate_mb_s = {:.2}, working_set_mb = {}, pattern = \"{pattern}\", disk_iops = {}, packets_per_s = {} }}",
                f64::from(self.rng.random_range(1..8u8)) * 0.25,
                [16, 32, 64][self.rng.random_range(0..3)],
                self.rng.random_range(0..3),
                self.rng.random_range(0..3),
            );
        }
        let procs = if s.dedicated {
            format!(
                "proc_mode = \"ded\"\nsharing_mode = \"share_idle_procs\"\nmin_procs = 1\ndesired_procs = {}\nmax_procs = {}\n",
                s.procs,
                s.procs * 2
            )
        } else {
            format!(
                "proc_mode = \"shared\"\nmin_proc_units = 0.1\ndesired_proc_units = {}\nmax_proc_units = {}\n\
                 sharing_mode = \"uncap\"\nuncap_weight = 128\nmin_procs = 1\ndesired_procs = {}\nmax_procs = {}\n",
                s.units,
                s.procs as f64,
                s.procs,
                s.procs * 2
            )
        };
        let disks: Vec<String> = paths
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let slot = 20 + c.id;
                if c.npiv {
                    let w = wwpns(frame, c.id);
                    format!(
                        "{}/client/{v}/vios{v}/{slot}/{},{}/1",
                        5 + k,
                        w[2 * k],
                        w[2 * k + 1]
                    )
                } else {
                    format!("{}/client/{v}/vios{v}/{slot}/1", 3 + k)
                }
            })
            .collect();
        let key = if c.npiv {
            "virtual_fc_adapters"
        } else {
            "virtual_scsi_adapters"
        };
        let _ = writeln!(
            self.out,
            "\n[[frame.lpar.profile]]\nname = \"default_profile\"\nmin_mem = 1024\ndesired_mem = {}\nmax_mem = {}\n\
             {procs}max_virtual_slots = 64\nlpar_proc_compat_mode = \"{mode}\"\n\
             virtual_serial_adapters = [\"0/server/1/any//any/1\", \"1/server/1/any//any/1\"]\n\
             {key} = {}\nvirtual_eth_adapters = [\"2/0/{vlan}//0/0/ETHERNET0//all/none\"]\nauto_start = {auto_start}\n",
            s.mem_mb,
            s.mem_mb * 2,
            list(&disks),
        );
    }
}

fn lun_id(n: usize) -> String {
    format!("lun{n:05}")
}

/// The four WWPNs of a client's two virtual FC adapters (a pair each, as
/// LPM needs the second to log in at the destination).
fn wwpns(frame: usize, id: u32) -> Vec<String> {
    (0..4)
        .map(|k| format!("c05076{:04x}{:04x}{k:02x}", frame % 0x10000, id))
        .collect()
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;

    fn load(spec: &SiteSpec) -> Topology {
        let text = site(spec).unwrap_or_else(|e| panic!("{e}"));
        Topology::parse("site.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_small_site_validates_and_is_what_was_asked() {
        let spec = SiteSpec {
            frames: 6,
            lpars: 90,
            hmcs: 3,
            ..Default::default()
        };
        let t = load(&spec);
        assert_eq!(t.frame.len(), 6);
        assert_eq!(t.hmc.len(), 3);
        let clients: usize = t.frame.iter().map(|f| f.lpar.len()).sum();
        assert_eq!(clients, 90);
        assert!(t.frame.iter().all(|f| f.vios.len() == 2));
        // The same spec gives the same file; another seed another one.
        assert_eq!(site(&spec), site(&spec));
        assert_ne!(
            site(&spec),
            site(&SiteSpec {
                seed: 2,
                ..spec.clone()
            })
        );
        // Every VIOS resolves every one of its mappings.
        for f in &t.frame {
            for v in &f.vios {
                let d = v.devices(&t, f);
                assert_eq!(d.vscsi.len(), v.vscsi.len(), "{}", f.name.get_ref());
            }
        }
    }

    #[test]
    fn a_site_mixes_what_real_sites_have() {
        let text = site(&SiteSpec {
            frames: 16,
            lpars: 800,
            ..Default::default()
        })
        .unwrap();
        for want in [
            "proc_mode = \"ded\"",
            "proc_mode = \"shared\"",
            "virtual_fc_adapters = [\"5/client",
            "virtual_scsi_adapters = [\"3/client",
            "simplified_remote_restart_capable = true",
            "workload = {",
            "auto_start = 0",
            "/200//0/0/ETHERNET0",
            "POWER7+",
            "POWER10",
        ] {
            assert!(text.contains(want), "{want}");
        }
        let idle = site(&SiteSpec {
            frames: 16,
            lpars: 800,
            idle: true,
            ..Default::default()
        })
        .unwrap();
        assert!(!idle.contains("workload = {"));
    }

    #[test]
    fn sixty_four_frames_of_ten_thousand_fit_a_slash_16() {
        let t = load(&SiteSpec {
            frames: 64,
            lpars: 10_000,
            ..Default::default()
        });
        let biggest = t.frame.iter().map(|f| f.lpar.len()).max().unwrap();
        assert!(biggest >= 300, "some frames of 300 partitions: {biggest}");
        let addr = &t.frame[63].vios[1].address;
        assert!(
            addr.get_ref().starts_with("127.42.1."),
            "{}",
            addr.get_ref()
        );
    }

    #[test]
    fn impossible_sizes_say_what_fits() {
        let e = site(&SiteSpec {
            frames: 2,
            lpars: 100_000,
            ..Default::default()
        })
        .unwrap_err();
        let SiteError::TooMany { fit, .. } = e else {
            panic!("{e}")
        };
        assert!(fit > 0 && fit < 2000, "{fit}");
        assert!(
            e.to_string().contains(&format!("hold at most {fit}")),
            "{e}"
        );
        // What is said to fit does.
        load(&SiteSpec {
            frames: 2,
            lpars: fit,
            ..Default::default()
        });
        assert_eq!(
            site(&SiteSpec {
                frames: 0,
                ..Default::default()
            }),
            Err(SiteError::Frames(0))
        );
        let narrow = SiteSpec {
            frames: 100,
            lpars: 100,
            subnet: "127.43.0".into(),
            ..Default::default()
        };
        assert!(matches!(
            site(&narrow),
            Err(SiteError::Addresses { needed: 300, .. })
        ));
        let bad = SiteSpec {
            subnet: "10.0".into(),
            ..Default::default()
        };
        assert!(matches!(site(&bad), Err(SiteError::Subnet(_))));
    }

    #[test]
    fn one_vios_a_frame_and_odd_hmcs_validate() {
        load(&SiteSpec {
            frames: 3,
            lpars: 30,
            hmcs: 1,
            vios_per_frame: 1,
            subnet: "127.43.0".into(),
            ..Default::default()
        });
        let t = load(&SiteSpec {
            frames: 5,
            lpars: 50,
            hmcs: 5,
            ..Default::default()
        });
        let managers: Vec<usize> = t
            .frame
            .iter()
            .map(|f| f.managed_by.get_ref().len())
            .collect();
        assert_eq!(managers, [2, 2, 2, 2, 1], "pairs, the odd one alone");
        assert_eq!(
            site(&SiteSpec {
                vios_per_frame: 3,
                ..Default::default()
            }),
            Err(SiteError::Vios(3))
        );
    }
}
