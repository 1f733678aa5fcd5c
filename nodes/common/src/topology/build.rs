//! The model a checked topology starts a lab with: each frame as its FSP
//! first boots it, its partitions as first created, and each VIOS's devices.
//! Everything here trusts the check to have passed, so what would be an
//! error there is a default here.

use super::profile::build_profile;
use super::schema::{FrameDef, LunDef, ProfileTable, Topology, ViosDef};
use crate::model::{
    Frame, LPAR_ENV_VIOS, Lun, NpivMapping, Partition, Profile, Sea, SharedProcPool, ViosDevices,
    VscsiMapping, lpar_state,
};

/// A partition's logical serial number: the frame's serial and the
/// partition id in hexadecimal (06C3A0P and 15 give 06C3A0PF).
pub fn logical_serial(frame_serial: &str, lpar_id: u32) -> String {
    format!("{frame_serial}{lpar_id:X}")
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
            mem: None,
            power_on_lpar_start_policy: String::new(),
            description: String::new(),
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
                  profiles: &[ProfileTable],
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
            p.uuid = crate::ids::first_partition_uuid(&p);
            // A VIOS owns its physical cards: its profiles require them
            // unless the topology lists the slots itself.
            let fc_ports = crate::vios_hw::fc_ports(v.npiv.iter().map(|m| m.fcs.as_str()));
            let slots: Vec<String> = crate::vios_hw::cards(p.id, fc_ports)
                .iter()
                .map(crate::vios_hw::io_slot)
                .collect();
            for prof in p.profiles.iter_mut().filter(|q| q.io_slots.is_empty()) {
                prof.io_slots = slots.clone();
            }
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
            p.uuid = crate::ids::first_partition_uuid(&p);
            p.workload = l.workload.as_ref().map(|w| crate::model::Workload {
                rate_mb_s: w.rate_mb_s,
                working_set_mb: w.working_set_mb,
                pattern: w.pattern.get_ref().clone(),
                refuse_migration: w.refuse_migration.clone(),
                script_ms: w.script_ms,
                disk_iops: w.disk_iops,
                packets_per_s: w.packets_per_s,
            });
            out.push(p);
        }
        out
    }
}

impl ViosDef {
    /// The VIOS's first profile, the one it is activated with: its virtual
    /// adapters are the ones the VIOS lists as devices.
    pub fn first_profile(&self) -> Profile {
        self.profile
            .first()
            .and_then(|t| build_profile(t).ok())
            .unwrap_or_default()
    }

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
                    udid: def.udid(),
                })
            })
            .collect();
        let profile = self.first_profile();
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
                ctl_chan: s.ctl_chan.clone(),
                netaddr: s.netaddr.clone(),
            })
            .collect();
        ViosDevices {
            luns,
            vscsi,
            npiv,
            seas,
            ..Default::default()
        }
    }
}

impl LunDef {
    /// The LUN's unique id: the topology's, or made up from its id (a
    /// `lunNN` numbered by its digits, any other id by a hash of it, so
    /// that `rsd01` and `lun01` differ).
    pub fn udid(&self) -> String {
        if !self.udid.is_empty() {
            return self.udid.clone();
        }
        let id = self.id.get_ref();
        let serial = match id.strip_prefix("lun") {
            Some(n) if n.chars().all(|c| c.is_ascii_digit()) => n.to_string(),
            _ => format!("{:X}", crate::vios_hw::fnv(id)),
        };
        format!("332136005076801{serial:0>16}04214503IBMfcp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::DEFAULT_LAB;

    #[test]
    fn an_mtms_splits_into_type_model_and_serial() {
        assert_eq!(
            parse_mtms("8286-42A*21A5E8V"),
            Some(("8286-42A".into(), "21A5E8V".into()))
        );
        for bad in [
            "8286-42A",
            "8286*21A5E8V",
            "828-42A*21A5E8V",
            "8286-42A*21A5",
            "8286-4_A*21A5E8V",
        ] {
            assert_eq!(parse_mtms(bad), None, "{bad}");
        }
    }

    #[test]
    fn serials_and_firmware_memory_are_derived() {
        assert_eq!(logical_serial("06C3A0P", 15), "06C3A0PF");
        assert_eq!(firmware_mem_mb(65536), 2048);
    }

    #[test]
    fn a_frame_starts_powered_off_with_its_default_pool_and_address() {
        let t = Topology::parse("default", DEFAULT_LAB).unwrap();
        let f = &t.frame[0];
        let m = f.frame_model(&t);
        assert_eq!(m.state, crate::model::frame_state::POWER_OFF);
        assert_eq!(m.pools[0].name, "DefaultPool");
        assert_eq!(m.pools.len(), f.pool.len() + 1);
        assert_eq!(
            m.address,
            format!("{}:{}", f.address.get_ref(), t.lab.grpc_port)
        );
        assert_eq!(
            format!("{}*{}", m.type_model, m.serial_num),
            *f.mtms.get_ref()
        );
    }

    #[test]
    fn partitions_are_created_vios_first_with_their_default_profile() {
        let t = Topology::parse("default", DEFAULT_LAB).unwrap();
        let f = &t.frame[0];
        let parts = f.partitions();
        let (vios, clients) = parts.split_at(f.vios.len());
        assert!(
            vios.iter()
                .all(|p| p.lpar_env == LPAR_ENV_VIOS && p.lpar_avail_priority == 191)
        );
        assert!(clients.iter().all(|p| p.lpar_env != LPAR_ENV_VIOS));
        for p in &parts {
            assert_eq!(p.state, lpar_state::NOT_ACTIVATED);
            assert!(
                p.profiles.iter().any(|q| q.name == p.default_profile),
                "{}",
                p.name
            );
            assert!(p.logical_serial_num.starts_with(&m_serial(f)));
        }
    }

    fn m_serial(f: &FrameDef) -> String {
        parse_mtms(f.mtms.get_ref()).unwrap().1
    }

    #[test]
    fn a_lun_without_a_udid_gets_one_from_its_id() {
        let t = Topology::parse(
            "t",
            "[[lun]]\nid = \"lun07\"\nsize_mb = 1024\n[[frame]]\nname = \"f1\"\nmtms = \"8286-42A*21A5E8V\"\nproc_generation = \"POWER8\"\ncompat_modes = [\"default\"]\nmemory_mb = 65536\nprocessors = 8\nfirmware = \"SV860\"\npassword = \"pw\"\naddress = \"127.0.0.3\"\n[[frame.vios]]\nid = 1\nname = \"vios1\"\naddress = \"127.0.0.4\"\nluns = [\"lun07\"]\n[[frame.vios.profile]]\nname = \"p\"\nmin_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let f = &t.frame[0];
        let d = f.vios[0].devices(&t, f);
        assert_eq!(d.luns.len(), 1);
        assert_eq!(d.luns[0].hdisk, "hdisk2");
        assert_eq!(
            d.luns[0].udid,
            "332136005076801000000000000000704214503IBMfcp"
        );
    }
}
