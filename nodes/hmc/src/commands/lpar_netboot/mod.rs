//! `lpar_netboot`, as NIM and Ansible's `powervm_lpar_instance` (AIX
//! install) drive it:
//!   lpar_netboot -M -n [-A] [-D] -t ent [-S srv -G gw -C client [-K mask]] <lpar> <prof> <sys>
//!     powers the partition on to Open Firmware, lists its network
//!     adapters (with -D, whether each reaches the server), and stops it;
//!   lpar_netboot [-f] [-D] [-A | -l <loc> | -m <mac>] -t ent [-s auto -d auto]
//!       -S srv -G gw -C client [-K mask] [-V vlan -Y prio] <lpar> <prof> <sys>
//!     network-boots it from the install server: the firmware's BOOTP and
//!     TFTP, then the operating system it serves, to Running with an active
//!     RMC connection (the FSP walks the states and reference codes).
//! The lines it prints are the real command's: `#` for progress, and one
//! line per adapter, `ent <location code> <mac> <full path> <ping> virtual`.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use pvmlab_common::model::{Frame, Partition, PartitionExt as _, VirtualEthAdapter, lpar_state};
use pvmlab_common::proto::fsp::{ActivateLparRequest, Boot, ShutdownLparRequest, boot};
use pvmlab_common::proto::model::Reason;
use std::net::Ipv4Addr;
use std::time::Duration;

const SPEC: &[opts::Opt] = &[
    flag(&["-M"]),
    flag(&["-n"]),
    flag(&["-v"]),
    flag(&["-x"]),
    flag(&["-f"]),
    flag(&["-i"]),
    flag(&["-A"]),
    flag(&["-D"]),
    flag(&["-a"]),
    value(&["-E"]),
    value(&["-g"]),
    value(&["-t"]),
    value(&["-T"]),
    value(&["-s"]),
    value(&["-d"]),
    value(&["-S"]),
    value(&["-G"]),
    value(&["-C"]),
    value(&["-K"]),
    value(&["-V"]),
    value(&["-Y"]),
    value(&["-l"]),
    value(&["-m"]),
    value(&["-B"]),
    value(&["-y"]),
    value(&["-z"]),
];

/// The install server's network as the command gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Net {
    pub server: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub client: Ipv4Addr,
    pub mask: Option<Ipv4Addr>,
}

/// Which adapter a network boot uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The first one (or with -A -D, the first that pings the server).
    First,
    /// `-l`: by physical location code.
    Location(String),
    /// `-m`: by MAC address.
    Mac(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `-M -n`: list the adapters; `net` with -D (ping the server).
    Discover { net: Option<Net> },
    /// A network boot.
    Boot { net: Net, pick: Pick, ping: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LparNetboot {
    pub lpar: String,
    pub profile: String,
    pub frame: String,
    pub mode: Mode,
}

fn usage() -> String {
    "Usage: lpar_netboot [-M -n] [-v] [-x] [-f] [-i] [-A] [-D] -t ent [-s speed -d duplex] \
     -S server -G gateway -C client [-K subnetmask] partition-name partition-profile managed-system"
        .into()
}

fn ip(o: &opts::Parsed, name: &str, what: &str) -> Result<Option<Ipv4Addr>, String> {
    o.get(name)
        .map(|v| {
            v.parse::<Ipv4Addr>()
                .map_err(|_| format!("lpar_netboot: The {what} IP address {v} is not valid."))
        })
        .transpose()
}

fn net(o: &opts::Parsed) -> Result<Option<Net>, String> {
    let (s, g, c) = (
        ip(o, "-S", "server")?,
        ip(o, "-G", "gateway")?,
        ip(o, "-C", "client")?,
    );
    let mask = ip(o, "-K", "subnet mask")?;
    Ok(match (s, g, c) {
        (Some(server), Some(gateway), Some(client)) => Some(Net {
            server,
            gateway,
            client,
            mask,
        }),
        (None, None, None) => None,
        _ => {
            return Err(
                "lpar_netboot: The -S, -G and -C flags must be given together.".to_string(),
            );
        }
    })
}

impl Command for LparNetboot {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        if args.len() < 3 {
            return Err(usage().into());
        }
        let (flags, pos) = args.split_at(args.len() - 3);
        let o = opts::parse(SPEC, flags)?;
        match o.get("-t") {
            Some("ent") => {}
            Some(other) => {
                return Err(format!(
                    "lpar_netboot: The network type {other} is not supported. Specify -t ent."
                )
                .into());
            }
            None => return Err(usage().into()),
        }
        for (f, what) in [("-s", "speed"), ("-d", "duplex")] {
            if let Some(v) = o.get(f) {
                let ok = match f {
                    "-s" => ["auto", "10", "100", "1000", "10000"].contains(&v),
                    _ => ["auto", "half", "full"].contains(&v),
                };
                if !ok {
                    return Err(format!("lpar_netboot: The {what} {v} is not valid.").into());
                }
            }
        }
        for f in ["-V", "-Y"] {
            if let Some(v) = o.get(f) {
                let max = if f == "-V" { 4094 } else { 7 };
                if v.parse::<u32>().ok().filter(|n| *n <= max).is_none() {
                    return Err(format!("lpar_netboot: The value {v} of {f} is not valid.").into());
                }
            }
        }
        let net = net(&o)?;
        let mode = match (o.has("-M"), o.has("-n")) {
            (true, true) => {
                if o.has("-D") && net.is_none() {
                    return Err("lpar_netboot: The -D flag needs the -S, -G and -C flags."
                        .to_string()
                        .into());
                }
                Mode::Discover {
                    net: net.filter(|_| o.has("-D")),
                }
            }
            (false, _) => {
                let net = net.ok_or_else(|| {
                    "lpar_netboot: A network boot needs the -S, -G and -C flags.".to_string()
                })?;
                let pick = match (o.get("-l"), o.get("-m")) {
                    (Some(l), None) => Pick::Location(l.to_string()),
                    (None, Some(m)) => Pick::Mac(m.to_lowercase().replace(':', "")),
                    (None, None) => Pick::First,
                    (Some(_), Some(_)) => {
                        return Err("lpar_netboot: Specify either -l or -m, not both."
                            .to_string()
                            .into());
                    }
                };
                Mode::Boot {
                    net,
                    pick,
                    ping: o.has("-D"),
                }
            }
            (true, false) => {
                return Err("lpar_netboot: The -M flag needs the -n flag."
                    .to_string()
                    .into());
            }
        };
        Ok(LparNetboot {
            lpar: pos[0].clone(),
            profile: pos[1].clone(),
            frame: pos[2].clone(),
            mode,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        let lpar = frame
            .partitions
            .iter()
            .find(|p| p.name == self.lpar)
            .cloned()
            .ok_or_else(|| Hscl::PartitionNotFound(self.lpar.clone()))?;
        let prof = lpar
            .profile(&self.profile)
            .cloned()
            .ok_or_else(|| Hscl::ProfileNotFound {
                profile: self.profile.clone(),
                lpar: lpar.name.clone(),
            })?;
        // A VIOS is installed the same way (NIM's `installios`, Ansible's
        // `vios action=install`); only an IBM i partition boots otherwise.
        if !lpar.is_vios() && lpar.lpar_env != "aixlinux" {
            return Err(format!(
                "lpar_netboot: The partition {} is not an AIX or Linux partition.",
                lpar.name
            )
            .into());
        }
        let f = frame.frame.clone().unwrap_or_default();
        let adapters: Vec<Adapter> = prof
            .virtual_eth_adapters
            .iter()
            .map(|a| Adapter::of(&f, &lpar, a, &frame.partitions))
            .collect();
        if adapters.is_empty() {
            return Err(format!(
                "lpar_netboot: The profile {} of partition {} has no network adapter of type ent.",
                prof.name, lpar.name
            )
            .into());
        }
        // Everything the boot needs is known before the partition is touched.
        let chosen = match &self.mode {
            Mode::Discover { .. } => None,
            Mode::Boot { pick, ping, .. } => Some(choose(&adapters, pick, *ping)?),
        };
        let mut out = format!(
            "# Connecting to {}\n# Connected\n# Checking for power off.\n",
            lpar.name
        );
        power_off(ctx, &frame, &lpar).await?;
        out.push_str("# Power off complete.\n");
        out.push_str(&format!("# Power on {} to Open Firmware.\n", lpar.name));
        let net = match &self.mode {
            Mode::Discover { net } => net.clone(),
            Mode::Boot { net, .. } => Some(net.clone()),
        };
        let kind = match (&self.mode, chosen) {
            (Mode::Boot { net, .. }, Some(a)) => boot::Kind::Network(boot::NetBoot {
                slot: a.slot,
                server: net.server.to_string(),
                gateway: net.gateway.to_string(),
                client: net.client.to_string(),
                subnet_mask: net.mask.map(|m| m.to_string()).unwrap_or_default(),
            }),
            _ => boot::Kind::OpenFirmware(boot::OpenFirmware {}),
        };
        activate(ctx, &frame, &lpar, &prof.name, kind).await?;
        out.push_str("# Power on complete.\n");
        if let Some(n) = &net {
            out.push_str(&format!(
                "# Client IP address is {}.\n# Server IP address is {}.\n# Gateway IP address is {}.\n",
                n.client, n.server, n.gateway
            ));
            if let Some(m) = n.mask {
                out.push_str(&format!("# Subnetmask IP address is {m}.\n"));
            }
        }
        out.push_str("# Getting adapter location codes.\n");
        match (&self.mode, chosen) {
            (Mode::Discover { net }, _) => {
                let ping = net.is_some();
                if ping {
                    for a in &adapters {
                        out.push_str(&format!("# {} ping {}.\n", a.path, a.ping_word()));
                    }
                }
                out.push_str(
                    "# Type\t Location Code\t MAC Address\t Full Path Name\t Ping Result\t Device Type\n",
                );
                for a in &adapters {
                    out.push_str(&a.line(ping));
                }
                // -n: no boot; the partition is left as it was found, off.
                power_off(ctx, &frame, &lpar).await?;
            }
            (Mode::Boot { ping, .. }, Some(a)) => {
                if *ping {
                    out.push_str(&format!("# {} ping successful.\n", a.path));
                }
                out.push_str(
                    "# Network booting install adapter.\n# bootp sent over network.\n# Network boot proceeding, lpar_netboot is exiting.\n# Finished.\n",
                );
            }
            (Mode::Boot { .. }, None) => {}
        }
        Ok(out)
    }
}

/// One of the partition's virtual Ethernet adapters as Open Firmware
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    pub slot: u32,
    pub location: String,
    pub mac: String,
    pub path: String,
    pub reaches: bool,
}

impl Adapter {
    fn of(f: &Frame, lpar: &Partition, a: &VirtualEthAdapter, on_frame: &[Partition]) -> Adapter {
        let mac = if a.mac_addr.is_empty() {
            super::lshwres::virtualio::mac(f, lpar.id, a.slot)
        } else {
            a.mac_addr.clone()
        };
        Adapter {
            slot: a.slot,
            location: format!(
                "U{}.{}-V{}-C{}-T1",
                f.type_model.replace('-', "."),
                f.serial_num,
                lpar.id,
                a.slot
            ),
            mac: mac.to_lowercase(),
            // Open Firmware names a virtual LAN adapter by its unit address,
            // 0x30000000 plus the slot.
            path: format!("/vdevice/l-lan@{:x}", 0x3000_0000u32 + a.slot),
            reaches: bridged(a, on_frame),
        }
    }

    fn ping_word(&self) -> &'static str {
        if self.reaches {
            "successful"
        } else {
            "unsuccessful"
        }
    }

    fn line(&self, ping: bool) -> String {
        format!(
            "ent {} {} {} {} virtual\n",
            self.location,
            self.mac,
            self.path,
            if ping { self.ping_word() } else { "n/a" }
        )
    }
}

/// Whether an adapter's packets leave the frame: a running VIOS bridges
/// its VLAN on its virtual switch through a trunk adapter (its SEA).
pub fn bridged(a: &VirtualEthAdapter, on_frame: &[Partition]) -> bool {
    let sw = |s: &str| {
        if s.is_empty() {
            "ETHERNET0".to_string()
        } else {
            s.to_string()
        }
    };
    on_frame
        .iter()
        .filter(|p| p.is_vios() && p.state == lpar_state::RUNNING)
        .filter_map(|p| p.curr.as_ref())
        .flat_map(|c| c.eth.iter())
        .any(|t| {
            t.trunk_priority > 0
                && sw(&t.vswitch) == sw(&a.vswitch)
                && (t.port_vlan_id == a.port_vlan_id || t.addl_vlan_ids.contains(&a.port_vlan_id))
        })
}

/// The adapter a network boot uses, or the command's refusal.
pub fn choose<'a>(
    adapters: &'a [Adapter],
    pick: &Pick,
    ping: bool,
) -> Result<&'a Adapter, CmdError> {
    let found = match pick {
        Pick::Location(l) => adapters.iter().find(|a| &a.location == l),
        Pick::Mac(m) => adapters.iter().find(|a| &a.mac == m),
        Pick::First if ping => adapters.iter().find(|a| a.reaches),
        Pick::First => adapters.first(),
    };
    let a = found.ok_or_else(|| -> CmdError {
        match pick {
            Pick::Location(l) => {
                format!("lpar_netboot: Unable to find the adapter with location code {l}.")
            }
            Pick::Mac(m) => {
                format!("lpar_netboot: Unable to find the adapter with MAC address {m}.")
            }
            Pick::First => "lpar_netboot: No adapter could ping the install server.".to_string(),
        }
        .into()
    })?;
    if ping && !a.reaches {
        return Err(format!(
            "# {} ping unsuccessful.\nlpar_netboot: The install server could not be reached through the adapter {}.",
            a.path, a.location
        )
        .into());
    }
    Ok(a)
}

fn refused(e: tonic::Status, frame: &str, lpar: &Partition) -> CmdError {
    if let Some(l) = crate::error::locked(&e) {
        return l;
    }
    match (e.code(), pvmlab_common::failure::reason(&e)) {
        (tonic::Code::Unavailable, _) => Hscl::NoConnection(frame.to_string()).into(),
        (_, Reason::InsufficientMemory | Reason::InsufficientProcessors) => {
            Hscl::Resources(e.message().to_string()).into()
        }
        (_, Reason::PartitionState) => Hscl::PartitionState {
            lpar: lpar.name.clone(),
            state: lpar.state.clone(),
        }
        .into(),
        _ => CmdError::Usage(e.message().to_string()),
    }
}

/// How long firmware and the operating system may take for what this
/// command waits on: the partition stops, or reaches Open Firmware.
const WAIT: Duration = Duration::from_secs(10);

async fn until(ctx: &Ctx<'_>, frame: &str, id: u32, done: impl Fn(&Partition) -> bool) -> bool {
    ctx.hmc
        .view
        .wait_for(WAIT, |fs| {
            fs.iter()
                .any(|f| f.name == frame && f.partitions.iter().any(|p| p.id == id && done(p)))
        })
        .await
}

/// Stops the partition at once if it holds resources, and waits until it
/// is off (lpar_netboot's "Checking for power off").
async fn power_off(
    ctx: &Ctx<'_>,
    frame: &pvmlab_common::proto::hmc::FrameView,
    lpar: &Partition,
) -> Result<(), CmdError> {
    let now = ctx
        .hmc
        .view
        .frames()
        .into_iter()
        .find(|f| f.name == frame.name)
        .and_then(|f| f.partitions.iter().find(|p| p.id == lpar.id).cloned())
        .unwrap_or_else(|| lpar.clone());
    if now.state == lpar_state::NOT_ACTIVATED {
        return Ok(());
    }
    if now.state != lpar_state::SHUTTING_DOWN {
        let conn = crate::hmc::conn(ctx, frame)?;
        let mut fsp = conn.fsp.clone();
        fsp.shutdown_lpar(ShutdownLparRequest {
            session: conn.session,
            lpar_id: lpar.id,
            immediate: true,
            restart: false,
        })
        .await
        .map_err(|e| refused(e, &frame.name, &now))?;
    }
    if !until(ctx, &frame.name, lpar.id, |p| {
        p.state == lpar_state::NOT_ACTIVATED
    })
    .await
    {
        return Err(format!(
            "lpar_netboot: The partition {} did not power off.",
            lpar.name
        )
        .into());
    }
    Ok(())
}

async fn activate(
    ctx: &Ctx<'_>,
    frame: &pvmlab_common::proto::hmc::FrameView,
    lpar: &Partition,
    profile: &str,
    kind: boot::Kind,
) -> Result<(), CmdError> {
    let conn = crate::hmc::conn(ctx, frame)?;
    let mut fsp = conn.fsp.clone();
    let discover = matches!(kind, boot::Kind::OpenFirmware(_));
    fsp.activate_lpar(ActivateLparRequest {
        session: conn.session,
        lpar_id: lpar.id,
        profile: profile.to_string(),
        bootstring: String::new(),
        boot: Some(Boot { kind: Some(kind) }),
    })
    .await
    .map_err(|e| refused(e, &frame.name, lpar))?;
    // Discovery reads the adapters at the Open Firmware prompt; a network
    // boot returns once the firmware is on its way.
    let reached = until(ctx, &frame.name, lpar.id, |p| {
        if discover {
            p.state == lpar_state::OPEN_FIRMWARE
        } else {
            p.state != lpar_state::NOT_ACTIVATED
        }
    })
    .await;
    if !reached {
        return Err(format!(
            "lpar_netboot: The partition {} did not reach Open Firmware.",
            lpar.name
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
