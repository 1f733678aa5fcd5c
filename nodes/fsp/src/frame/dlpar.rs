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
                    if nu + 1e-9 < 0.05 * new_procs as f64 {
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
