//! The migration record the FSPs keep with the partition (what a
//! recovery reads to finish or undo a migration), and what -v prints at
//! the end. Pure.

use super::validate::{Asked, Plan};
use pvmlab_common::model::{Migration, MigrationStats, Partition, ViosSlot, migration_state};
use pvmlab_common::proto::hmc::FrameView;
use std::time::Duration;

/// The record a migration starts with: its id (unique across HMCs and
/// restarts), both sides, the movers and destination slots the plan
/// chose, and who runs it.
pub(crate) fn start(
    hmc: &str,
    src: &FrameView,
    dst: &FrameView,
    lpar: &Partition,
    plan: &Plan,
    asked: &Asked,
    nanos: u128,
) -> Migration {
    let msp = |m: &Option<(u32, String)>| m.clone().unwrap_or_default();
    let (smsp, dmsp) = (msp(&plan.source_msp), msp(&plan.dest_msp));
    Migration {
        id: format!("{hmc}-{}-{nanos}", lpar.id),
        state: migration_state::STARTING.into(),
        r#type: if plan.active { "active" } else { "inactive" }.into(),
        source: true,
        source_sys_name: src.name.clone(),
        dest_sys_name: dst.name.clone(),
        source_lpar_id: lpar.id,
        dest_lpar_id: pvmlab_common::model::NO_DEST_LPAR_ID,
        source_msp_name: smsp.1,
        source_msp_id: smsp.0,
        dest_msp_name: dmsp.1,
        dest_msp_id: dmsp.0,
        hmc: hmc.to_string(),
        source_hmc: hmc.to_string(),
        dest_hmc: if dst.remote_hmc.is_empty() {
            hmc.to_string()
        } else {
            dst.remote_hmc.clone()
        },
        remote_user: dst.remote_user.clone(),
        new_profile: asked.new_profile.clone().unwrap_or_default(),
        wait_minutes: asked.wait_minutes,
        dest_vios_slots: plan
            .moves
            .iter()
            .map(|m| ViosSlot {
                vios_id: m.dest_vios,
                slot: m.dest_slot,
                kind: m.kind.as_str().into(),
            })
            .collect(),
        stats: Some(MigrationStats {
            memory_mb: lpar.curr.as_ref().map(|c| c.mem_mb).unwrap_or(0),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What `migrlpar -o m -v` prints of a completed migration.
pub(crate) fn summary(mig: &Migration, st: &MigrationStats, took: Duration) -> String {
    format!(
        "migration_type={},total_ms={},passes={},pages_sent={},zero_pages={},bytes_transmitted={},throughput_mb_s={:.1},dirty_rate_pages_s={:.0},downtime_us={},demand_pages={},source_digest={},dest_digest={},memory_integrity={}\n",
        mig.r#type,
        took.as_millis(),
        st.passes,
        st.pages_sent,
        st.zero_pages,
        st.bytes_transmitted,
        st.throughput_mb_s,
        st.dirty_rate_pages_s,
        st.downtime_us,
        st.demand_pages,
        st.source_digest,
        st.dest_digest,
        if st.source_digest == st.dest_digest {
            "ok"
        } else {
            "MISMATCH"
        }
    )
}

/// The record as the source frame keeps it.
pub(crate) fn source_rec(m: &Migration) -> Migration {
    Migration {
        source: true,
        ..m.clone()
    }
}

/// The record as the destination frame keeps it.
pub(crate) fn dest_rec(m: &Migration) -> Migration {
    Migration {
        source: false,
        ..m.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lpm::adapters::{AdapterKind, AdapterMove};

    #[test]
    fn the_record_names_both_sides_and_the_plan() {
        let src = FrameView {
            name: "sys1".into(),
            ..Default::default()
        };
        let dst = FrameView {
            name: "sys2".into(),
            remote_hmc: "hmc2".into(),
            remote_user: "hscroot".into(),
            ..Default::default()
        };
        let lpar = Partition {
            id: 3,
            ..Default::default()
        };
        let plan = Plan {
            active: true,
            source_msp: Some((1, "vios1".into())),
            moves: vec![AdapterMove {
                kind: AdapterKind::Fc,
                client_slot: 4,
                dest_vios: 2,
                dest_vios_name: "vios2".into(),
                dest_slot: 10,
                luns: Vec::new(),
            }],
            ..Default::default()
        };
        let m = start("hmc1", &src, &dst, &lpar, &plan, &Asked::default(), 42);
        assert_eq!(m.id, "hmc1-3-42");
        assert_eq!(m.r#type, "active");
        assert_eq!((m.source_msp_id, m.source_msp_name.as_str()), (1, "vios1"));
        assert_eq!(m.dest_msp_name, "");
        assert_eq!(
            (m.dest_hmc.as_str(), m.source_hmc.as_str()),
            ("hmc2", "hmc1")
        );
        assert_eq!(m.dest_vios_slots[0].kind, "fc");
        assert!(!dest_rec(&m).source && source_rec(&m).source);
    }

    #[test]
    fn the_summary_says_whether_the_memory_arrived_whole() {
        let mig = Migration {
            r#type: "active".into(),
            ..Default::default()
        };
        let st = MigrationStats {
            source_digest: "a".into(),
            dest_digest: "b".into(),
            ..Default::default()
        };
        let s = summary(&mig, &st, Duration::from_millis(5));
        assert!(s.starts_with("migration_type=active,total_ms=5,"));
        assert!(s.ends_with("memory_integrity=MISMATCH\n"));
    }
}
