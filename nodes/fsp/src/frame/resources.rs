//! What the frame has free and what a partition gets of it: pure
//! functions over the persisted state, shared by activation, DLPAR and
//! migration shells.

use super::*;

/// The lowest partition id not in use.
pub(super) fn next_free_id(p: &Persisted) -> Result<u32, FspError> {
    (1..=p.frame.max_lpars)
        .find(|i| !p.lpars.contains_key(i))
        .ok_or_else(|| {
            FspError::NotPermitted(format!(
                "the managed system already has its maximum of {} partitions",
                p.frame.max_lpars
            ))
        })
}

/// What is free on the frame, not counting `except`.
pub(super) fn available(p: &Persisted, except: Option<u32>) -> Available {
    p.frame
        .available(p.lpars.values().filter(|l| Some(l.id) != except))
}

/// Takes what the profile desires if the frame has it, else as much as is
/// free down to the profile's minimum, as the hypervisor does at activation.
pub(super) fn allocate(prof: &Profile, avail: Available, lmb: u64) -> Result<Resources, FspError> {
    let free_mem = avail.mem_mb / lmb.max(1) * lmb.max(1);
    let mem = prof.desired_mem.min(free_mem);
    if mem < prof.min_mem {
        return Err(FspError::Memory {
            obtained: free_mem,
            required: prof.min_mem,
        });
    }
    let eps = 1e-9;
    let (units, procs) = if prof.proc_mode == "ded" {
        let free = avail.proc_units.floor() as u32;
        let n = prof.desired_procs.min(free);
        if n < prof.min_procs {
            return Err(FspError::Processors {
                available: free.to_string(),
                required: prof.min_procs.to_string(),
            });
        }
        (f64::from(n), n)
    } else {
        let u = prof
            .desired_proc_units
            .min((avail.proc_units * 100.0 + eps).floor() / 100.0);
        if u + eps < prof.min_proc_units {
            return Err(FspError::Processors {
                available: pvmlab_common::attrs::fmt_units(avail.proc_units),
                required: pvmlab_common::attrs::fmt_units(prof.min_proc_units),
            });
        }
        (u, prof.desired_procs)
    };
    Ok(Resources {
        mem_mb: mem,
        proc_mode: prof.proc_mode.clone(),
        proc_units: units,
        procs,
        shared_proc_pool_id: prof.shared_proc_pool_id,
        scsi: prof.virtual_scsi_adapters.clone(),
        eth: prof.virtual_eth_adapters.clone(),
        fc: prof.virtual_fc_adapters.clone(),
        serial: prof.virtual_serial_adapters.clone(),
        max_virtual_slots: prof.max_virtual_slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prof(min: u64, desired: u64) -> Profile {
        let mut p = pvmlab_common::attrs::default_profile("p");
        p.min_mem = min;
        p.desired_mem = desired;
        p.max_mem = desired;
        p.min_procs = 1;
        p.desired_procs = 2;
        p.max_procs = 2;
        p.min_proc_units = 0.1;
        p.desired_proc_units = 0.5;
        p.max_proc_units = 1.0;
        p
    }

    #[test]
    fn allocation_takes_desired_or_what_is_free_down_to_min() {
        let a = allocate(
            &prof(1024, 4096),
            Available {
                mem_mb: 8192,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap();
        assert_eq!((a.mem_mb, a.proc_units), (4096, 0.5));
        let a = allocate(
            &prof(1024, 4096),
            Available {
                mem_mb: 2000,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap();
        assert_eq!(a.mem_mb, 1792, "rounded down to the LMB");
        let e = allocate(
            &prof(2048, 4096),
            Available {
                mem_mb: 1000,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "insufficient memory: Obtained - 768 MB, Required - 2048 MB"
        );
        assert!(
            allocate(
                &prof(256, 512),
                Available {
                    mem_mb: 8192,
                    proc_units: 0.05
                },
                256
            )
            .is_err()
        );
    }
}
