//! The hypervisor's part in client I/O: which adapters a running client
//! has, the VIOS whose SEA bridges a VLAN now (learned from the SEAs'
//! heartbeats, which it carries between the VIOS), and the client's error
//! log.

use super::*;
use crate::clientio::ClientAdapter;
use pvmlab_common::proto::fsp::{PeerSea, SeaStatus};
use std::time::Instant;

/// The error log keeps this many lines, as AIX's does its size.
const ERRPT_LINES: usize = 1000;

impl Hypervisor {
    pub fn running_partitions(&self) -> Vec<(u32, Arc<crate::workload::Running>)> {
        self.with(|l| l.running.iter().map(|(id, r)| (*id, r.clone())).collect())
    }

    pub fn lpar_name(&self, id: u32) -> Option<String> {
        self.with(|l| l.state.lpars.get(&id).map(|p| p.name.clone()))
    }

    /// The virtual SCSI and FC client adapters of partition `id`, by slot.
    pub fn client_storage(&self, id: u32) -> Vec<ClientAdapter> {
        let mut out: Vec<ClientAdapter> = self.with(|l| {
            let Some(c) = l.state.lpars.get(&id).and_then(|p| p.curr.as_ref()) else {
                return Vec::new();
            };
            let scsi = c.scsi.iter().filter(|a| !a.server).filter_map(|a| {
                Some(ClientAdapter {
                    slot: a.slot,
                    remote_lpar_id: a.remote_lpar_id.parse().ok()?,
                    remote_slot: a.remote_slot.parse().ok()?,
                    wwpn: String::new(),
                })
            });
            // A virtual FC adapter logs in with the first WWPN of its pair
            // (the second is the one a migration's destination uses).
            let fc = c.fc.iter().filter(|a| !a.server).filter_map(|a| {
                Some(ClientAdapter {
                    slot: a.slot,
                    remote_lpar_id: a.remote_lpar_id.parse().ok()?,
                    remote_slot: a.remote_slot.parse().ok()?,
                    wwpn: a.wwpns.first()?.clone(),
                })
            });
            scsi.chain(fc).collect()
        });
        out.sort_by_key(|a| a.slot);
        out
    }

    /// The VLAN of the partition's first virtual Ethernet adapter, and its name.
    pub fn client_vlan(&self, id: u32) -> Option<(u32, String)> {
        self.with(|l| {
            let p = l.state.lpars.get(&id)?;
            let eth = p.curr.as_ref()?.eth.iter().min_by_key(|a| a.slot)?;
            Some((eth.port_vlan_id, p.name.clone()))
        })
    }

    /// Appends a line to the partition's error log (kept with the
    /// partition, so it survives a restart of the service processor and
    /// moves with a migration).
    pub fn os_log(&self, id: u32, line: String) {
        let _ = self.change(|p, _| {
            if let Some(l) = p.lpars.get_mut(&id) {
                l.errpt.push(line);
                let over = l.errpt.len().saturating_sub(ERRPT_LINES);
                l.errpt.drain(..over);
            }
            Ok(())
        });
    }

    /// Runs a command inside client partition `name` (`pvmlab os`).
    pub fn os_command(&self, name: &str, line: &str) -> Result<(String, u32), FspError> {
        let (id, state, errpt, eth) = self
            .with(|l| {
                let serial = &l.state.frame.serial_num;
                l.state.lpars.values().find(|p| p.name == name).map(|p| {
                    let mut eth = p.curr.as_ref().map(|c| c.eth.clone()).unwrap_or_default();
                    eth.sort_by_key(|a| a.slot);
                    let eth = eth
                        .into_iter()
                        .map(|a| crate::os::Eth {
                            mac: if a.mac_addr.is_empty() {
                                pvmlab_common::vios_hw::virtual_eth_mac(serial, p.id, a.slot)
                            } else {
                                a.mac_addr.replace(':', "")
                            },
                            adapter: a,
                        })
                        .collect();
                    (p.id, p.state.clone(), p.errpt.clone(), eth)
                })
            })
            .ok_or_else(|| FspError::NoPartition(name.to_string()))?;
        let running =
            self.with(|l| l.running.get(&id).cloned())
                .ok_or_else(|| FspError::LparState {
                    name: name.to_string(),
                    state,
                    needed: "Running (a client partition)".into(),
                })?;
        let hcheck = self
            .io
            .get()
            .map_or(60, |e| e.hcheck_interval.as_secs_f64().ceil() as u64);
        let env = crate::os::Env {
            os: &running.os,
            errpt: &errpt,
            hcheck_interval_s: hcheck,
            eth,
            // The heartbeat ticks every millisecond the partition runs.
            up_s: running.heartbeat_ticks() / 1000,
        };
        Ok(crate::os::run(&env, line))
    }

    /// Carries an SEA heartbeat: keeps it, and answers with the last
    /// heartbeat of every other VIOS's SEAs.
    pub fn sea_beat(&self, lpar_id: u32, seas: Vec<SeaStatus>) -> Vec<PeerSea> {
        let now = Instant::now();
        let mut beats = self.seas.lock().unwrap_or_else(|e| e.into_inner());
        beats.retain(|(id, _), _| *id != lpar_id);
        for s in seas {
            beats.insert((lpar_id, s.name.clone()), (s, now));
        }
        drop(beats);
        if let Some(detect) = self.io.get().map(|e| e.sea_detect) {
            for (vlan, ids) in self.doubly_bridged(detect) {
                self.double_bridged_seen
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(vlan, vios = ?ids, "two SEAs bridge one VLAN at once");
            }
        }
        let beats = self.seas.lock().unwrap_or_else(|e| e.into_inner());
        beats
            .iter()
            .filter(|((id, _), _)| *id != lpar_id)
            .map(|((id, _), (s, at))| PeerSea {
                lpar_id: *id,
                sea: Some(s.clone()),
                age_ms: now.duration_since(*at).as_millis() as u64,
            })
            .collect()
    }

    /// The VIOS whose SEA bridges `vlan` now: of the running VIOS whose
    /// last heartbeat (within `fresh`) says they bridge it, the one that
    /// took it over last, as the hypervisor activates the trunk adapter of
    /// the SEA that claimed it last.
    pub fn bridge_for(&self, vlan: u32, fresh: Duration) -> Option<u32> {
        let attached: Vec<u32> = self.with(|l| l.vios.keys().copied().collect());
        let beats = self.seas.lock().unwrap_or_else(|e| e.into_inner());
        beats
            .iter()
            .filter(|((id, _), (s, at))| {
                attached.contains(id) && at.elapsed() < fresh && s.bridged.contains(&vlan)
            })
            .max_by_key(|(_, (s, _))| s.since_unix_ms)
            .map(|((id, _), _)| *id)
    }

    /// Which VIOS bridges each VLAN now (by the SEAs' heartbeats within
    /// the detection time), and how often two were seen bridging one.
    pub fn bridging(&self) -> pvmlab_common::proto::fsp::BridgingReply {
        use pvmlab_common::proto::fsp::{BridgingReply, VlanBridge};
        let fresh = self
            .io
            .get()
            .map_or(Duration::from_secs(3), |e| e.sea_detect);
        BridgingReply {
            vlans: self
                .bridged_by(fresh)
                .into_iter()
                .map(|(vlan, vios_lpar_ids)| VlanBridge {
                    vlan,
                    vios_lpar_ids,
                })
                .collect(),
            double_bridged_seen: self
                .double_bridged_seen
                .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The SEAs that bridge each VLAN now, where more than one does: what
    /// must never happen (a chaos invariant).
    pub fn doubly_bridged(&self, fresh: Duration) -> Vec<(u32, Vec<u32>)> {
        self.bridged_by(fresh)
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .collect()
    }

    /// The VIOS bridging each VLAN by their SEAs' heartbeats within `fresh`.
    fn bridged_by(&self, fresh: Duration) -> BTreeMap<u32, Vec<u32>> {
        let attached: Vec<u32> = self.with(|l| l.vios.keys().copied().collect());
        let beats = self.seas.lock().unwrap_or_else(|e| e.into_inner());
        let mut by_vlan: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for ((id, _), (s, at)) in beats.iter() {
            if attached.contains(id) && at.elapsed() < fresh {
                for v in &s.bridged {
                    by_vlan.entry(*v).or_default().push(*id);
                }
            }
        }
        by_vlan
    }
}
