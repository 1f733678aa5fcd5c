//! The partition as the destination's shell gets it. Migration creates
//! it through the destination FSP's shell step; remote restart creates it
//! as a plain partition from the same function.

use super::adapters::{AdapterKind, AdapterMove};
use super::validate::{Plan, moving_profile};
use pvmlab_common::model::{Partition, VirtualFcAdapter, VirtualScsiAdapter};

/// A client adapter the shell points at its destination VIOS slot.
trait Client {
    const KIND: AdapterKind;
    fn slot(&self) -> u32;
    fn server(&self) -> bool;
    fn serve_from(&mut self, m: &AdapterMove);
}

macro_rules! client {
    ($t:ty, $kind:expr) => {
        impl Client for $t {
            const KIND: AdapterKind = $kind;
            fn slot(&self) -> u32 {
                self.slot
            }
            fn server(&self) -> bool {
                self.server
            }
            fn serve_from(&mut self, m: &AdapterMove) {
                self.remote_lpar_id = m.dest_vios.to_string();
                self.remote_lpar_name = m.dest_vios_name.clone();
                self.remote_slot = m.dest_slot.to_string();
            }
        }
    };
}

client!(VirtualScsiAdapter, AdapterKind::Scsi);
client!(VirtualFcAdapter, AdapterKind::Fc);

/// Points each client adapter that moves at its destination VIOS slot.
fn remap<A: Client>(moves: &[AdapterMove], adapters: &mut [A]) {
    for a in adapters {
        if let Some(m) = moves
            .iter()
            .find(|m| m.kind == A::KIND && m.client_slot == a.slot() && !a.server())
        {
            a.serve_from(m);
        }
    }
}

/// The partition as the destination shell gets it: its current
/// configuration, all its profiles, the migration profile replacing the
/// last activated one (or named by -n), client adapters pointing at their
/// destination VIOS slots, physical I/O left behind.
pub(crate) fn shell_of(lpar: &Partition, plan: &Plan, new_profile: Option<&str>) -> Partition {
    let mut s = lpar.clone();
    s.migration = None;
    if let Some(id) = plan.dest_lpar_id {
        s.id = id;
    }
    if let Some(c) = s.curr.as_mut() {
        remap(&plan.moves, &mut c.scsi);
        remap(&plan.moves, &mut c.fc);
        c.shared_proc_pool_id = plan.pool_id;
    }
    let base = moving_profile(lpar).cloned().unwrap_or_default();
    let mut mp = base.clone();
    mp.name = new_profile.map(str::to_string).unwrap_or(base.name.clone());
    mp.io_slots.clear();
    mp.shared_proc_pool_id = plan.pool_id;
    if let Some(c) = &lpar.curr {
        mp.desired_mem = c.mem_mb;
        mp.desired_proc_units = c.proc_units;
        mp.desired_procs = c.procs;
    }
    remap(&plan.moves, &mut mp.virtual_scsi_adapters);
    remap(&plan.moves, &mut mp.virtual_fc_adapters);
    s.profiles.retain(|p| p.name != mp.name);
    s.profiles.push(mp.clone());
    s.curr_profile = if lpar.curr.is_some() {
        mp.name.clone()
    } else {
        String::new()
    };
    s.last_activated_profile = mp.name;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{Migration, Profile, Resources};

    #[test]
    fn the_shell_points_its_clients_at_the_planned_slots() {
        let client = VirtualScsiAdapter {
            slot: 2,
            remote_lpar_id: "1".into(),
            remote_slot: "10".into(),
            ..Default::default()
        };
        let lpar = Partition {
            id: 5,
            curr_profile: "default".into(),
            migration: Some(Migration::default()),
            profiles: vec![Profile {
                name: "default".into(),
                io_slots: vec!["U1-P1-C1".into()],
                virtual_scsi_adapters: vec![client.clone()],
                ..Default::default()
            }],
            curr: Some(Resources {
                mem_mb: 4096,
                scsi: vec![client],
                ..Default::default()
            }),
            ..Default::default()
        };
        let plan = Plan {
            dest_lpar_id: Some(8),
            pool_id: 3,
            moves: vec![AdapterMove {
                kind: AdapterKind::Scsi,
                client_slot: 2,
                dest_vios: 4,
                dest_vios_name: "vios2".into(),
                dest_slot: 12,
                luns: Vec::new(),
            }],
            ..Default::default()
        };
        let s = shell_of(&lpar, &plan, Some("moved"));
        assert_eq!(s.id, 8);
        assert!(s.migration.is_none());
        let a = &s.curr.as_ref().unwrap().scsi[0];
        assert_eq!(
            (a.remote_lpar_id.as_str(), a.remote_slot.as_str()),
            ("4", "12")
        );
        assert_eq!(s.curr_profile, "moved");
        assert_eq!(s.last_activated_profile, "moved");
        let p = s.profiles.iter().find(|p| p.name == "moved").unwrap();
        assert!(p.io_slots.is_empty());
        assert_eq!((p.desired_mem, p.shared_proc_pool_id), (4096, 3));
        assert_eq!(p.virtual_scsi_adapters[0].remote_lpar_name, "vios2");
    }
}
