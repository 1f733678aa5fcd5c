//! Dynamic LPAR of memory and processors.

use super::resources::available;
use super::*;

impl Hypervisor {
    /// Dynamic LPAR: changes what running partitions hold, all or nothing.
    /// Each partition stays within its profile's minimum and maximum; an
    /// add or a move draws on what the frame has free.
    pub fn dlpar(
        &self,
        id: u32,
        mem: i64,
        procs: i32,
        units: f64,
        target: Option<u32>,
    ) -> Result<Partition, FspError> {
        self.change(|p, _| {
            let lmb = p.frame.lmb_mb.max(1) as i64;
            if mem % lmb != 0 {
                return Err(FspError::Invalid(format!("{} MB is not a multiple of the logical memory block size {lmb} MB", mem.abs())));
            }
            // A move takes from `id` and gives to `target`; otherwise `id` gets the change.
            let changes: Vec<(u32, i64, i32, f64)> = match target {
                Some(t) => vec![(id, -mem, -procs, -units), (t, mem, procs, units)],
                None => vec![(id, mem, procs, units)],
            };
            for &(lid, m, n, u) in &changes {
                let avail = available(p, None);
                let l = p.lpars.get_mut(&lid).ok_or_else(|| FspError::NoPartition(lid.to_string()))?;
                if l.state != lpar_state::RUNNING {
                    return Err(FspError::LparState { name: l.name.clone(), state: l.state.clone(), needed: lpar_state::RUNNING.into() });
                }
                let prof = l.profile(&l.curr_profile).cloned().unwrap_or_default();
                let c = l.curr.get_or_insert_with(Default::default);
                let new_mem = c.mem_mb as i64 + m;
                if new_mem < prof.min_mem as i64 || new_mem > prof.max_mem as i64 {
                    return Err(FspError::Invalid(format!(
                        "partition {} would have {new_mem} MB, outside its minimum {} MB and maximum {} MB",
                        l.name, prof.min_mem, prof.max_mem
                    )));
                }
                if m > 0 && m as u64 > avail.mem_mb {
                    return Err(FspError::Memory { obtained: avail.mem_mb, required: m as u64 });
                }
                let new_procs = c.procs as i64 + i64::from(n);
                if new_procs < i64::from(prof.min_procs) || new_procs > i64::from(prof.max_procs) {
                    return Err(FspError::Invalid(format!(
                        "partition {} would have {new_procs} processors, outside its minimum {} and maximum {}",
                        l.name, prof.min_procs, prof.max_procs
                    )));
                }
                let (new_units, draw) = if c.proc_mode == "ded" {
                    (new_procs as f64, f64::from(n))
                } else {
                    let nu = ((c.proc_units + u) * 100.0).round() / 100.0;
                    if nu + 1e-9 < prof.min_proc_units || nu > prof.max_proc_units + 1e-9 {
                        return Err(FspError::Invalid(format!(
                            "partition {} would have {} processing units, outside its minimum {} and maximum {}",
                            l.name,
                            pvmlab_common::attrs::fmt_units(nu),
                            pvmlab_common::attrs::fmt_units(prof.min_proc_units),
                            pvmlab_common::attrs::fmt_units(prof.max_proc_units)
                        )));
                    }
                    if nu + 1e-9 < pvmlab_common::model::MIN_UNITS_PER_VIRTUAL_PROC * new_procs as f64 {
                        return Err(FspError::Invalid(format!("{} processing units cannot serve {new_procs} virtual processors (0.05 each at least)", pvmlab_common::attrs::fmt_units(nu))));
                    }
                    (nu, u)
                };
                if draw > 1e-9 && draw > avail.proc_units + 1e-9 {
                    return Err(FspError::Processors {
                        available: pvmlab_common::attrs::fmt_units(avail.proc_units),
                        required: pvmlab_common::attrs::fmt_units(draw),
                    });
                }
                c.mem_mb = new_mem as u64;
                c.procs = new_procs as u32;
                c.proc_units = new_units;
            }
            p.lpars.get(&id).cloned().ok_or_else(|| FspError::NoPartition(id.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::proto::model::Reason;

    /// sys2 of the default lab with lnx01 (3) and aix72a (4) running with
    /// lnx01's profile: 8 GB and 1.0 processing units on 2 virtual
    /// processors each, within 4-16 GB, 0.5-2.0 units, 1-4 processors.
    fn frame() -> (tempfile::TempDir, Hypervisor) {
        let dir = tempfile::tempdir().unwrap();
        let topo = Topology::default_lab();
        let def = topo.frame("sys2").unwrap().clone();
        let h = Hypervisor::open(dir.path(), &topo, &def).unwrap();
        h.change(|p, _| {
            let prof = p.lpars[&3].profile("default_profile").unwrap().clone();
            for id in [3, 4] {
                let l = p.lpars.get_mut(&id).unwrap();
                l.state = lpar_state::RUNNING.into();
                l.curr_profile = prof.name.clone();
                l.profiles = vec![prof.clone()];
                l.curr = Some(Resources {
                    mem_mb: 8192,
                    proc_mode: "shared".into(),
                    proc_units: 1.0,
                    procs: 2,
                    ..Default::default()
                });
            }
            Ok(())
        })
        .unwrap();
        (dir, h)
    }

    fn held(h: &Hypervisor, id: u32) -> (u64, f64, u32) {
        let c = h.partition(id).unwrap().curr.unwrap();
        (c.mem_mb, c.proc_units, c.procs)
    }

    #[test]
    fn a_partition_grows_and_shrinks_within_its_profile() {
        let (_d, h) = frame();
        h.dlpar(3, 1024, 1, 0.5, None).unwrap();
        assert_eq!(held(&h, 3), (9216, 1.5, 3));
        let e = h.dlpar(3, -8192, 0, 0.0, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "partition lnx01 would have 1024 MB, outside its minimum 4096 MB and maximum 16384 MB"
        );
        assert_eq!(failure_reason(e), Reason::Invalid);
        let e = h.dlpar(3, 100, 0, 0.0, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "100 MB is not a multiple of the logical memory block size 256 MB"
        );
        assert_eq!(held(&h, 3), (9216, 1.5, 3), "a refusal changes nothing");
    }

    #[test]
    fn a_move_is_all_or_nothing() {
        let (_d, h) = frame();
        h.dlpar(3, 2048, 0, 0.5, Some(4)).unwrap();
        assert_eq!(held(&h, 3), (6144, 0.5, 2));
        assert_eq!(held(&h, 4), (10240, 1.5, 2));
        // db01 does not run: lnx01 keeps what it would have given.
        let e = h.dlpar(3, 1024, 0, 0.0, Some(5)).unwrap_err();
        assert_eq!(failure_reason(e), Reason::PartitionState);
        assert_eq!(held(&h, 3), (6144, 0.5, 2), "the first half did not stay");
    }

    #[test]
    fn what_the_frame_has_not_free_is_refused_with_its_figures() {
        let (_d, h) = frame();
        h.change(|p, _| {
            let l = p.lpars.get_mut(&3).unwrap();
            l.profiles[0].max_mem = 1 << 20;
            Ok(())
        })
        .unwrap();
        let e = h.dlpar(3, 512 * 1024, 0, 0.0, None).unwrap_err();
        let f = pvmlab_common::failure::of(&e.status()).unwrap();
        assert_eq!(f.reason, Reason::InsufficientMemory as i32);
        assert_eq!(f.required, 512 * 1024);
        let e = h.dlpar(5, 1024, 0, 0.0, None).unwrap_err();
        assert_eq!(
            failure_reason(e),
            Reason::PartitionState,
            "db01 is not running"
        );
    }

    fn failure_reason(e: FspError) -> Reason {
        pvmlab_common::failure::reason(&e.status())
    }
}
