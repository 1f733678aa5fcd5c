//! `entstat [-all] entN`: an Ethernet adapter's statistics — a physical
//! port, a virtual (l-lan) adapter, or an SEA with, under `-all`, its real,
//! virtual and control adapters in sections of their own, in the layout
//! hmcscanner's parsers read (its `entstatSEA` and `entstatEth` scripts).
//!
//! An SEA's high-availability figures (`State`, `Bridge Mode`, `Priority`)
//! come from [`ha`], the one place that decides them; with dual VIOS the
//! decision follows the control channel instead of the trunk priority
//! alone.

use super::args::{self, Arity};
use super::inventory::{Device, Inventory, Kind};
use super::{CmdError, Command, Done, Env};
use pvmlab_common::entstat::{common, virt_specific};
use pvmlab_common::model::{Sea, VirtualEthAdapter};
use pvmlab_common::proto::fsp::{HaMode, SeaState};

const USAGE: &str = "Usage: entstat [-all|-d] DeviceName";

const SEP2: &str = "--------------------------------------------------------------\n";

#[derive(Debug, PartialEq, Eq)]
pub struct Entstat {
    pub all: bool,
    pub dev: String,
}

impl Command for Entstat {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[("-all", Arity::Flag), ("-d", Arity::Flag)],
            words,
            1,
            USAGE,
        )?;
        let dev = a.operands.first().cloned().ok_or(CmdError::Usage(USAGE))?;
        Ok(Entstat {
            // -d is root's name for the detailed statistics padmin gets
            // with -all (seed 002 uses both).
            all: a.has("-all") || a.has("-d"),
            dev,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let d = inv
            .get(&self.dev)
            .filter(|d| {
                matches!(
                    d.kind,
                    Kind::PhysEnt { .. } | Kind::VirtEnt { .. } | Kind::Sea(_)
                )
            })
            .ok_or_else(|| CmdError::NoConnect("entstat", self.dev.clone()))?;
        let up = env.site.uptime();
        let out = match &d.kind {
            Kind::Sea(s) => sea(env, &inv, d, s, self.all, up),
            _ => adapter(d, self.all, up, None),
        };
        Ok(out.into())
    }
}

/// An SEA's high-availability state, as `entstat` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ha {
    pub state: &'static str,
    pub bridge: &'static str,
    /// In load sharing, the VLANs this SEA bridges (`VID shared`).
    pub shared: Option<Vec<u32>>,
    pub mode: &'static str,
    pub priority: u32,
    pub became_primary: u64,
    pub became_backup: u64,
    pub control_in: u64,
    pub control_out: u64,
    pub bridged_packets: u64,
}

/// The HA state of an SEA: none when `ha_mode=disabled`; otherwise what
/// its failover decided last (`crate::sea`); before its first heartbeat,
/// INIT.
pub fn ha(env: &Env<'_>, inv: &Inventory, s: &Sea) -> Option<Ha> {
    let mode = crate::sea::ha::parse_mode(&s.ha_mode)?;
    if mode == HaMode::HaDisabled {
        return None;
    }
    let live = env.seas.get(&s.name);
    let priority = s
        .virt_adapters
        .iter()
        .filter_map(|v| inv.virt_ent(v).map(|(_, a)| a.trunk_priority))
        .min()
        .unwrap_or(1);
    let state = live.map(|l| l.status.state()).unwrap_or(SeaState::SeaInit);
    let all: usize = s
        .virt_adapters
        .iter()
        .filter_map(|v| inv.virt_ent(v))
        .map(|(_, a)| 1 + a.addl_vlan_ids.len())
        .sum();
    let bridged = live.map(|l| l.status.bridged.clone()).unwrap_or_default();
    Some(Ha {
        state: crate::sea::ha::state_name(state),
        bridge: if bridged.is_empty() {
            "None"
        } else if bridged.len() < all {
            "Partial"
        } else {
            "All"
        },
        shared: matches!(state, SeaState::SeaPrimarySh | SeaState::SeaBackupSh).then_some(bridged),
        mode: crate::sea::ha::mode_name(mode),
        priority,
        became_primary: live.map_or(0, |l| l.became_primary),
        became_backup: live.map_or(0, |l| l.became_backup),
        control_in: live.map_or(0, |l| l.control_in),
        control_out: live.map_or(0, |l| l.control_out),
        bridged_packets: live.map_or(0, |l| l.bridged_packets),
    })
}

/// The SEA's state lines as seed 002 prints them; `counts` adds the
/// failover counters `entstat -all` has between them.
fn ha_lines(h: &Ha, counts: bool) -> String {
    let mut o = format!("State: {}\nBridge Mode: {}\n", h.state, h.bridge);
    if let Some(v) = &h.shared {
        let ids: Vec<String> = v.iter().map(u32::to_string).collect();
        o.push_str(&format!("VID shared: {}\n", ids.join(" ")));
    }
    if counts {
        o.push_str(&format!(
            "Number of Times Server became Backup: {}\nNumber of Times Server became Primary: {}\n",
            h.became_backup, h.became_primary
        ));
    }
    o.push_str(&format!("High Availability Mode: {}\n", h.mode));
    o.push_str(&format!("Priority: {}\n", h.priority));
    o
}

/// Counters that grow with the time the VIOS has been up: `n` a second.
fn count(up: u64, n: u64) -> u64 {
    up * n
}

fn adapter(d: &Device, all: bool, up: u64, trunk_active: Option<bool>) -> String {
    match &d.kind {
        Kind::PhysEnt { mac, .. } => {
            let mut o = common(
                &d.name,
                &d.description,
                mac,
                up,
                (count(up, 11), count(up, 17)),
                2000,
                "Up Broadcast Running\n\tSimplex 64BitSupport ChecksumOffload\n\tLargeSend DataRateSet",
            );
            if all {
                o.push_str(&format!("{} Specific Statistics:\n", d.description));
                o.push_str(
                    "------------------------------------------------------------------------\n",
                );
                o.push_str("Link Status : Up\n");
                o.push_str("Media Speed Selected: Auto negotiation\n");
                o.push_str("Media Speed Running: 1000 Mbps / 1 Gbps, Full Duplex\n");
                o.push_str("PCI Mode: PCI-Express X4\n    Relaxed Ordering: Disabled\n    TLP Size: 512\n    MRR Size: 4096\n");
                o.push_str("Jumbo Frames: Disabled\n");
                o.push_str("Transmit and Receive Flow Control Status: Enabled\n");
                o.push_str("Transmit TCP Segmentation Offload: Enabled\n");
                o.push_str("Receive TCP Segment Aggregation: Enabled\n");
                o.push_str("Physical Port MTU: 1500\n\n");
            }
            o
        }
        Kind::VirtEnt { a, mac } => {
            let mut o = common(
                &d.name,
                &d.description,
                mac,
                up,
                (count(up, 11), count(up, 17)),
                20000,
                "Up Broadcast Running\n\tSimplex 64BitSupport ChecksumOffload\n\tDataRateSet VIOENT",
            );
            if all {
                o.push_str(&virt_specific(
                    a,
                    trunk_active.unwrap_or(a.trunk_priority > 0),
                ));
            }
            o
        }
        _ => String::new(),
    }
}

fn sea(env: &Env<'_>, inv: &Inventory, d: &Device, s: &Sea, all: bool, up: u64) -> String {
    let real = inv.get(&s.real_adapter);
    let mac = match real.map(|r| &r.kind) {
        Some(Kind::PhysEnt { mac, .. }) => mac.clone(),
        _ => String::from("000000000000"),
    };
    let mut o = common(
        &d.name,
        &d.description,
        &mac,
        up,
        (count(up, 11), count(up, 17)),
        2000,
        "Up Broadcast Running\n\tSimplex 64BitSupport ChecksumOffload\n\tLargeSend DataRateSet",
    );
    if !all {
        return o;
    }
    let ha = ha(env, inv, s);
    let ctl = inv.ctl_chan(s);
    let virts: Vec<(&Device, &VirtualEthAdapter)> = s
        .virt_adapters
        .iter()
        .filter_map(|v| inv.virt_ent(v))
        .collect();
    o.push_str(SEP2);
    o.push_str(&format!(
        "Statistics for adapters in the Shared Ethernet Adapter {}\n",
        d.name
    ));
    o.push_str(SEP2);
    o.push_str(&format!(
        "Number of adapters: {}\n",
        1 + virts.len() + usize::from(ctl.is_some())
    ));
    o.push_str("SEA Flags: 00000009\n\t< THREAD >\n\t< LARGESEND >\n");
    o.push_str("VLAN Ids :\n");
    for (v, a) in &virts {
        let ids: Vec<String> = std::iter::once(a.port_vlan_id)
            .chain(a.addl_vlan_ids.iter().copied())
            .map(|x| x.to_string())
            .collect();
        o.push_str(&format!("    {}: {}\n", v.name, ids.join(" ")));
    }
    let bridged = ha.as_ref().is_none_or(|h| h.bridge != "None");
    // Packets the SEA has carried for its clients, beside the background
    // traffic of an SEA that bridges.
    let carried = ha.as_ref().map_or(0, |h| h.bridged_packets);
    let (rx, tx) = if bridged {
        (count(up, 17) + carried, count(up, 11) + carried)
    } else {
        (carried, carried)
    };
    o.push_str(&format!(
        "Real Side Statistics:\n    Packets received: {rx}\n    Packets bridged: {rx}\n    Packets consumed: 0\n    Packets fragmented: 0\n    Packets transmitted: {tx}\n    Packets dropped: 0\n"
    ));
    o.push_str(&format!(
        "Virtual Side Statistics:\n    Packets received: {tx}\n    Packets bridged: {tx}\n    Packets consumed: 0\n    Packets fragmented: 0\n    Packets transmitted: {rx}\n    Packets dropped: 0\n"
    ));
    o.push_str("Other Statistics:\n    Output packets generated: 0\n    Output packets dropped: 0\n    Device output failures: 0\n    Memory allocation failures: 0\n    ICMP error packets sent: 0\n    Non IP packets larger than MTU: 0\n    Thread queue overflow packets: 0\n");
    if let Some(h) = &ha {
        let pvid = ctl
            .and_then(|c| inv.virt_ent(&c.name))
            .map(|(_, a)| a.port_vlan_id)
            .unwrap_or(4095);
        o.push_str(&format!(
            "High Availability Statistics:\n    Control Channel PVID: {pvid}\n    Control Packets in: {}\n    Control Packets out: {}\n",
            h.control_in, h.control_out
        ));
        o.push_str(&format!(
            "Type of Packets Received:\n    Keep alive: {}\n    Recovery: 0\n    Notify: 0\n    Limbo: 0\n",
            h.control_in
        ));
        o.push_str(&ha_lines(h, true));
    }
    o.push('\n');
    if let Some(r) = real {
        o.push_str(SEP2);
        o.push_str(&format!("Real Adapter: {}\n\n", r.name));
        o.push_str(&adapter(r, true, up, None));
    }
    for (v, _) in &virts {
        o.push_str(SEP2);
        o.push_str(&format!("Virtual Adapter: {}\n\n", v.name));
        o.push_str(&adapter(v, true, up, Some(bridged)));
    }
    if let Some(c) = ctl {
        o.push_str(SEP2);
        o.push_str(&format!("Control Adapter: {}\n\n", c.name));
        o.push_str(&adapter(c, true, up, None));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testenv::run;

    #[test]
    fn an_sea_lists_its_state_and_its_adapters() {
        let (out, s) = run("entstat -all ent5");
        assert_eq!(s, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "ETHERNET STATISTICS (ent5) :");
        assert_eq!(lines[2], "Device Type: Shared Ethernet Adapter");
        for want in [
            "State: PRIMARY",
            "Bridge Mode: All",
            "High Availability Mode: Auto",
            "Priority: 1",
            "Real Adapter: ent0",
            "Virtual Adapter: ent2",
            "Control Adapter: ent3",
            "  Priority: 1  Active: True",
            "Port VLAN ID:     1",
            "VLAN Tag IDs:   100   200",
            "    Buffer Type              Tiny   Small  Medium   Large    Huge",
            "Link Status : Up",
            "    ent2: 1 100 200",
            "\t< THREAD >",
        ] {
            assert!(lines.contains(&want), "{want}: {out}");
        }
        let order = |w: &str| lines.iter().position(|l| *l == w).unwrap();
        assert!(order("Priority: 1") < order("Real Adapter: ent0"));
        assert!(order("Real Adapter: ent0") < order("Virtual Adapter: ent2"));
        assert!(order("Virtual Adapter: ent2") < order("Control Adapter: ent3"));
        assert_eq!(out.matches("ETHERNET STATISTICS (").count(), 4);
    }

    #[test]
    fn a_physical_port_and_bad_devices() {
        let (out, _) = run("entstat -all ent1");
        assert!(out.contains("Media Speed Running: 1000 Mbps / 1 Gbps, Full Duplex\n"));
        assert!(out.contains("\nHardware Address: 00:14:5e:"), "{out}");
        assert!(!run("entstat ent1").0.contains("Specific Statistics"));
        let (e, s) = run("entstat -all fcs0");
        assert_eq!(s, 1);
        assert!(
            e.ends_with("entstat: 0909-003 Unable to connect to device fcs0, errno = 19\n"),
            "{e}"
        );
        assert_eq!(run("entstat -all").1, 2);
    }

    #[test]
    fn the_sea_shows_what_its_failover_decided() {
        use crate::sea::{SeaLive, Seas};
        use pvmlab_common::proto::fsp::SeaStatus;
        let site = crate::cmd::testenv::site();
        let dev = crate::cmd::testenv::devices();
        let errlog = crate::errlog::Errlog::default();
        let live = |state: SeaState, bridged: Vec<u32>| -> Seas {
            [(
                "ent5".to_string(),
                SeaLive {
                    status: SeaStatus {
                        state: state as i32,
                        bridged,
                        ..Default::default()
                    },
                    became_backup: 1,
                    ..Default::default()
                },
            )]
            .into()
        };
        let out = |seas: &Seas, line: &str| {
            let env = Env {
                site: &site,
                dev: &dev,
                state: &Default::default(),
                clients: &[],
                errlog: &errlog,
                seas,
                san_ok: true,
            };
            crate::cmd::run(&env, line).0.output
        };
        // Seed 002's lines, in its order, inside the real layout.
        let backup = out(&live(SeaState::SeaBackup, vec![]), "entstat -all ent5");
        assert!(
            backup.contains(
                "State: BACKUP\nBridge Mode: None\nNumber of Times Server became Backup: 1\nNumber of Times Server became Primary: 0\nHigh Availability Mode: Auto\nPriority: 1\n"
            ),
            "{backup}"
        );
        assert!(backup.contains("  Priority: 1  Active: False\n"));
        let sharing = out(&live(SeaState::SeaBackupSh, vec![100]), "entstat -d ent5");
        assert!(
            sharing.contains("State: BACKUP_SH\nBridge Mode: Partial\nVID shared: 100\n"),
            "{sharing}"
        );
        assert!(out(&Seas::new(), "entstat -all ent5").contains("State: INIT\n"));
    }
}
