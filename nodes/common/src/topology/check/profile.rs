//! A partition's profile against its frame: memory in whole logical memory
//! blocks and no more than the frame has, processors and a compatibility
//! mode the frame can give, client adapters that name one of its VIOS.

use super::Fault;
use crate::model::Profile;
use crate::topology::schema::FrameDef;
use std::collections::BTreeMap;
use std::ops::Range;

/// `span` is where the profile's table starts, `partition` whose it is.
pub(super) fn check(
    p: &Profile,
    span: Range<usize>,
    partition: &str,
    f: &FrameDef,
    vios_ids: &BTreeMap<u32, String>,
) -> Result<(), Fault> {
    memory(p, &span, partition, f)?;
    processors(p, &span, partition, f)?;
    adapters(p, &span, f, vios_ids)
}

fn memory(p: &Profile, span: &Range<usize>, partition: &str, f: &FrameDef) -> Result<(), Fault> {
    let lmb = *f.lmb_mb.get_ref();
    for (field, mb) in [
        ("min_mem", p.min_mem),
        ("desired_mem", p.desired_mem),
        ("max_mem", p.max_mem),
    ] {
        if mb % lmb != 0 {
            return Err(Fault::at(
                span.clone(),
                field,
                format!("{mb} MB is not a multiple of the logical memory block size {lmb} MB"),
            ));
        }
    }
    if p.desired_mem > f.memory_mb {
        return Err(Fault::at(
            span.clone(),
            "desired_mem",
            format!(
                "partition {partition} wants {} MB but frame {} has {} MB",
                p.desired_mem,
                f.name.get_ref(),
                f.memory_mb
            ),
        ));
    }
    Ok(())
}

fn processors(
    p: &Profile,
    span: &Range<usize>,
    partition: &str,
    f: &FrameDef,
) -> Result<(), Fault> {
    let procs = if p.proc_mode == "shared" {
        p.desired_proc_units
    } else {
        f64::from(p.desired_procs)
    };
    if procs > f.processors {
        return Err(Fault::at(
            span.clone(),
            "desired_procs",
            format!(
                "partition {partition} wants {procs} processors but frame {} has {}",
                f.name.get_ref(),
                f.processors
            ),
        ));
    }
    if !f.compat_modes.get_ref().contains(&p.lpar_proc_compat_mode) {
        return Err(Fault::at(
            span.clone(),
            "lpar_proc_compat_mode",
            format!(
                "frame {} does not support processor mode {:?} (it supports {})",
                f.name.get_ref(),
                p.lpar_proc_compat_mode,
                f.compat_modes.get_ref().join(", ")
            ),
        ));
    }
    Ok(())
}

/// Client virtual SCSI and FC adapters: the VIOS they name, by id and (if
/// given) name, is one of this frame's.
fn adapters(
    p: &Profile,
    span: &Range<usize>,
    f: &FrameDef,
    vios_ids: &BTreeMap<u32, String>,
) -> Result<(), Fault> {
    let scsi = p
        .virtual_scsi_adapters
        .iter()
        .filter(|a| !a.server)
        .map(|a| {
            (
                "virtual_scsi_adapters",
                &a.remote_lpar_id,
                &a.remote_lpar_name,
            )
        });
    let fc = p.virtual_fc_adapters.iter().filter(|a| !a.server).map(|a| {
        (
            "virtual_fc_adapters",
            &a.remote_lpar_id,
            &a.remote_lpar_name,
        )
    });
    for (what, rid, rname) in scsi.chain(fc) {
        let ok = rid
            .parse::<u32>()
            .ok()
            .and_then(|i| vios_ids.get(&i))
            .is_some_and(|n| rname.is_empty() || n == rname);
        if !ok {
            return Err(Fault::at(
                span.clone(),
                what,
                format!(
                    "client adapter names VIOS {rid}/{rname}, which is not a VIOS on frame {}",
                    f.name.get_ref()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::frame::tests::frame;
    use crate::topology::check::tests::message;
    use crate::topology::profile::build_profile;
    use crate::topology::profile::tests::table;

    fn refused(profile: &str, field: &str) -> String {
        let f = frame("lmb_mb = 128\n");
        let p = build_profile(&table(&format!("name = \"p\"\n{profile}")))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let vios = BTreeMap::from([(1, "vios1".to_string())]);
        message(check(&p, 0..0, "a", &f, &vios), field)
    }

    fn passes(profile: &str) {
        let f = frame("lmb_mb = 128\n");
        let p = build_profile(&table(&format!("name = \"p\"\n{profile}"))).unwrap();
        let vios = BTreeMap::from([(1, "vios1".to_string())]);
        check(&p, 0..0, "a", &f, &vios).unwrap();
    }

    const MEM: &str = "min_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n";
    const PROCS: &str = "min_procs = 1\ndesired_procs = 1\nmax_procs = 1\nmin_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 0.1\n";

    #[test]
    fn memory_is_whole_blocks_the_frame_has() {
        passes(MEM);
        assert_eq!(
            refused(
                &format!("min_mem = 1000\ndesired_mem = 2048\nmax_mem = 4096\n{PROCS}"),
                "min_mem"
            ),
            "1000 MB is not a multiple of the logical memory block size 128 MB"
        );
        assert_eq!(
            refused(
                &format!("min_mem = 1024\ndesired_mem = 2000\nmax_mem = 4096\n{PROCS}"),
                "desired_mem"
            ),
            "2000 MB is not a multiple of the logical memory block size 128 MB"
        );
        assert_eq!(
            refused(
                &format!("min_mem = 1024\ndesired_mem = 2048\nmax_mem = 4000\n{PROCS}"),
                "max_mem"
            ),
            "4000 MB is not a multiple of the logical memory block size 128 MB"
        );
        assert_eq!(
            refused(
                &format!("min_mem = 1024\ndesired_mem = 131072\nmax_mem = 131072\n{PROCS}"),
                "desired_mem"
            ),
            "partition a wants 131072 MB but frame f1 has 65536 MB"
        );
    }

    #[test]
    fn processors_are_ones_the_frame_has() {
        assert_eq!(
            refused(
                "min_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nproc_mode = \"ded\"\nmin_procs = 1\ndesired_procs = 9\nmax_procs = 9\nsharing_mode = \"share_idle_procs\"\n",
                "desired_procs"
            ),
            "partition a wants 9 processors but frame f1 has 8"
        );
        assert_eq!(
            refused(
                &format!("{MEM}lpar_proc_compat_mode = \"POWER7\"\n"),
                "lpar_proc_compat_mode"
            ),
            "frame f1 does not support processor mode \"POWER7\" (it supports default, POWER8)"
        );
    }

    #[test]
    fn client_adapters_name_a_vios_of_the_frame() {
        passes(&format!(
            "{MEM}virtual_scsi_adapters = [\"3/client/1/vios1/11/1\"]\n"
        ));
        passes(&format!(
            "{MEM}virtual_scsi_adapters = [\"3/client/1//11/1\"]\n"
        ));
        assert_eq!(
            refused(
                &format!("{MEM}virtual_scsi_adapters = [\"3/client/2/vios2/11/1\"]\n"),
                "virtual_scsi_adapters"
            ),
            "client adapter names VIOS 2/vios2, which is not a VIOS on frame f1"
        );
        assert_eq!(
            refused(
                &format!("{MEM}virtual_fc_adapters = [\"4/client/1/vios9/12//0\"]\n"),
                "virtual_fc_adapters"
            ),
            "client adapter names VIOS 1/vios9, which is not a VIOS on frame f1"
        );
    }
}
