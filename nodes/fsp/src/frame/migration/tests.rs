//! Each migration step on a frame in a temporary directory: the states it
//! accepts, the state it leaves, and each refusal with its typed reason.

use super::*;
use pvmlab_common::model::Workload;
use pvmlab_common::proto::model::Reason;

/// sys2 of the default lab, as its FSP first opens it: Operating, its
/// partitions Not Activated (nothing boots without `boot`).
fn frame() -> (tempfile::TempDir, Hypervisor) {
    let dir = tempfile::tempdir().unwrap();
    let topo = Topology::default_lab();
    let def = topo.frame("sys2").unwrap().clone();
    let h = Hypervisor::open(dir.path(), &topo, &def).unwrap();
    (dir, h)
}

/// lnx01, a client partition of sys2.
const LPAR: u32 = 3;

fn set(h: &Hypervisor, id: u32, f: impl FnOnce(&mut Partition)) {
    h.change(|p, _| {
        f(p.lpars.get_mut(&id).unwrap());
        Ok(())
    })
    .unwrap();
}

fn running(h: &Hypervisor, id: u32) {
    set(h, id, |l| {
        l.state = lpar_state::RUNNING.into();
        l.curr = Some(Resources {
            mem_mb: 1024,
            proc_mode: "shared".into(),
            proc_units: 0.5,
            procs: 1,
            ..Default::default()
        });
    });
}

fn mig(kind: &str) -> Migration {
    Migration {
        id: "m1".into(),
        r#type: kind.into(),
        source: true,
        dest_sys_name: "sys1".into(),
        ..Default::default()
    }
}

fn run(h: &Hypervisor, id: u32, k: Kind) -> Result<Partition, FspError> {
    h.migration_step(id, Some(k))
}

fn reason(e: FspError) -> Reason {
    pvmlab_common::failure::reason(&e.status())
}

fn begin(m: Migration) -> Kind {
    Kind::Begin(migration_step::Begin { migration: Some(m) })
}

fn finish() -> Kind {
    Kind::Finish(migration_step::Finish {
        migration_id: "m1".into(),
    })
}

fn rollback() -> Kind {
    Kind::Rollback(migration_step::Rollback {
        migration_id: "m1".into(),
    })
}

fn remove() -> Kind {
    Kind::Remove(migration_step::Remove {
        migration_id: "m1".into(),
    })
}

fn prepare(wait_minutes: Option<u32>) -> Kind {
    Kind::Prepare(migration_step::Prepare {
        migration_id: "m1".into(),
        wait_minutes,
    })
}

fn update(m: Migration) -> Kind {
    Kind::Update(migration_step::Update { migration: Some(m) })
}

#[test]
fn no_step_is_invalid() {
    let (_d, h) = frame();
    let e = h.migration_step(LPAR, None).unwrap_err();
    assert_eq!(reason(e), Reason::Invalid);
    let e = run(
        &h,
        LPAR,
        Kind::Begin(migration_step::Begin { migration: None }),
    );
    assert_eq!(e.unwrap_err().to_string(), "begin needs the migration");
}

#[test]
fn an_active_begin_needs_a_running_partition_and_leaves_it_migrating() {
    let (_d, h) = frame();
    let e = run(&h, LPAR, begin(mig("active"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 is in state Not Activated, and the operation needs Running"
    );
    assert_eq!(reason(e), Reason::PartitionState);
    running(&h, LPAR);
    let l = run(&h, LPAR, begin(mig("active"))).unwrap();
    assert_eq!(l.state, lpar_state::MIGRATING_RUNNING);
    assert_eq!(l.migration.as_ref().map(|m| m.id.as_str()), Some("m1"));
    assert!(
        l.errpt
            .last()
            .is_some_and(|x| x.starts_with(errpt::CLIENT_PMIG_STARTED.0))
    );
    let e = run(&h, LPAR, begin(mig("active"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 already takes part in migration m1; recover it first"
    );
    assert_eq!(reason(e), Reason::NotPermitted);
}

#[test]
fn an_inactive_begin_needs_a_partition_that_is_not_activated() {
    let (_d, h) = frame();
    let l = run(&h, LPAR, begin(mig("inactive"))).unwrap();
    assert_eq!(l.state, lpar_state::MIGRATING_NOT_ACTIVATED);
    assert_eq!(l.ref_code, "C2001020");
    let (_d, h) = frame();
    running(&h, LPAR);
    let e = run(&h, LPAR, begin(mig("inactive"))).unwrap_err();
    assert_eq!(reason(e), Reason::PartitionState);
}

#[test]
fn a_shell_takes_a_free_id_and_holds_what_the_partition_runs_with() {
    let (_d, h) = frame();
    let mut moved = h.partition(LPAR).unwrap();
    let shell = |m: Migration, p: Partition| {
        Kind::Shell(migration_step::Shell {
            migration: Some(m),
            partition: Some(p),
        })
    };
    let e = run(&h, 0, shell(mig("active"), moved.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the name lnx01 is already used by partition 3"
    );
    moved.name = "moved".into();
    moved.curr = Some(Resources {
        mem_mb: 1 << 30,
        ..Default::default()
    });
    let e = run(&h, 0, shell(mig("active"), moved.clone())).unwrap_err();
    assert_eq!(reason(e), Reason::InsufficientMemory);
    moved.curr = Some(Resources {
        mem_mb: 1024,
        proc_mode: "shared".into(),
        proc_units: 0.5,
        ..Default::default()
    });
    let s = run(&h, 0, shell(mig("active"), moved.clone())).unwrap();
    assert_ne!(s.id, LPAR, "id 3 is taken here: the next free one");
    assert_eq!(s.state, lpar_state::MIGRATING_NOT_ACTIVATED);
    assert_eq!(s.ref_code, "C2001040");
    let rec = s.migration.unwrap();
    assert!(!rec.source);
    assert_eq!(rec.dest_lpar_id, s.id);
    assert!(h.partition(s.id).is_some(), "persisted and published");

    let (_d, h) = frame();
    h.change(|p, _| {
        p.frame.state = frame_state::STANDBY.into();
        Ok(())
    })
    .unwrap();
    let e = run(&h, 0, shell(mig("active"), moved)).unwrap_err();
    assert_eq!(reason(e), Reason::FrameState);
}

#[test]
fn the_operating_system_may_refuse_or_overrun_its_wait_time() {
    let (_d, h) = frame();
    running(&h, LPAR);
    let check = |wait_minutes| Kind::Check(migration_step::Check { wait_minutes });
    // The check comes before the record.
    assert!(run(&h, LPAR, check(None)).is_ok());
    let e = run(&h, LPAR, prepare(None)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 does not take part in migration m1"
    );
    run(&h, LPAR, begin(mig("active"))).unwrap();
    let workload = |refuse: &str, script_ms| Workload {
        refuse_migration: refuse.into(),
        script_ms,
        ..Default::default()
    };
    set(&h, LPAR, |l| l.workload = Some(workload("prepare", 0)));
    assert!(
        run(&h, LPAR, check(None)).is_ok(),
        "it refuses prepare only"
    );
    let e = run(&h, LPAR, prepare(None)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the operating system of partition lnx01 refused the migration in the prepare phase"
    );
    assert_eq!(e.code(), tonic::Code::PermissionDenied);
    assert_eq!(reason(e), Reason::OsRefused);
    set(&h, LPAR, |l| l.workload = Some(workload("", 90_000)));
    let e = run(&h, LPAR, prepare(Some(1))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the migration scripts of partition lnx01 did not finish within the wait time of 1 minutes in the prepare phase"
    );
    assert_eq!(reason(e), Reason::ScriptsTimedOut);
    assert_eq!(
        h.script_time(&prepare(Some(1)), LPAR),
        Duration::from_secs(60),
        "cut at the wait time"
    );
    assert_eq!(h.script_time(&prepare(None), LPAR), Duration::from_secs(90));
    assert_eq!(h.script_time(&finish(), LPAR), Duration::ZERO);
    let l = run(&h, LPAR, prepare(None)).unwrap();
    assert_eq!(l.ref_code, "2004");
    let post = Kind::Post(migration_step::Post {
        migration_id: "m1".into(),
        wait_minutes: None,
    });
    let l = run(&h, LPAR, post).unwrap();
    assert!(
        l.errpt
            .last()
            .is_some_and(|x| x.starts_with(errpt::CLIENT_PMIG_DONE.0))
    );
}

#[test]
fn an_update_keeps_what_the_hypervisor_recorded() {
    let (_d, h) = frame();
    running(&h, LPAR);
    run(&h, LPAR, begin(mig("active"))).unwrap();
    set(&h, LPAR, |l| {
        let r = l.migration.as_mut().unwrap();
        r.suspended = true;
        r.resumed = true;
        r.state = migration_state::INVALID.into();
    });
    let l = run(&h, LPAR, update(mig("active"))).unwrap();
    let r = l.migration.unwrap();
    assert!(r.suspended && r.resumed);
    assert_eq!(r.state, migration_state::INVALID);
    let other = Migration {
        id: "m2".into(),
        ..mig("active")
    };
    let e = run(&h, LPAR, update(other)).unwrap_err();
    assert_eq!(reason(e), Reason::NotPermitted);
}

#[test]
fn a_failure_tells_the_operating_system_once() {
    let (_d, h) = frame();
    running(&h, LPAR);
    run(&h, LPAR, begin(mig("active"))).unwrap();
    let fail = || {
        Kind::Fail(migration_step::Fail {
            migration: Some(mig("active")),
        })
    };
    run(&h, LPAR, fail()).unwrap();
    let l = run(&h, LPAR, fail()).unwrap();
    let aborted = l
        .errpt
        .iter()
        .filter(|x| x.starts_with(errpt::CLIENT_PMIG_ABORTED.0))
        .count();
    assert_eq!(aborted, 1);
    // A rollback after the failure does not log it again.
    let l = run(&h, LPAR, rollback()).unwrap();
    let again = l
        .errpt
        .iter()
        .filter(|x| x.starts_with(errpt::CLIENT_PMIG_ABORTED.0))
        .count();
    assert_eq!(again, 1);
}

#[test]
fn only_a_destination_that_resumed_finishes() {
    let (_d, h) = frame();
    running(&h, LPAR);
    run(&h, LPAR, begin(mig("active"))).unwrap();
    let e = run(&h, LPAR, finish()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 is the source of the migration; only the destination finishes"
    );
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().source = false);
    let e = run(&h, LPAR, finish()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 has not resumed here; the migration cannot finish"
    );
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().resumed = true);
    let l = run(&h, LPAR, finish()).unwrap();
    assert_eq!(l.state, lpar_state::RUNNING);
    assert!(l.migration.is_none());
    assert_eq!(l.ref_code, "");
}

#[test]
fn an_inactive_destination_finishes_not_activated() {
    let (_d, h) = frame();
    run(&h, LPAR, begin(mig("inactive"))).unwrap();
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().source = false);
    let l = run(&h, LPAR, finish()).unwrap();
    assert_eq!(l.state, lpar_state::NOT_ACTIVATED);
    assert!(l.migration.is_none());
}

#[test]
fn a_source_rolls_back_until_the_partition_resumed_elsewhere() {
    let (_d, h) = frame();
    running(&h, LPAR);
    run(&h, LPAR, begin(mig("active"))).unwrap();
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().resumed = true);
    let e = run(&h, LPAR, rollback()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 resumed on sys1: the migration can only complete"
    );
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().resumed = false);
    let l = run(&h, LPAR, rollback()).unwrap();
    assert_eq!(l.state, lpar_state::RUNNING);
    assert!(l.migration.is_none());
    assert!(
        l.errpt
            .last()
            .is_some_and(|x| x.starts_with(errpt::CLIENT_PMIG_ABORTED.0))
    );

    let (_d, h) = frame();
    run(&h, LPAR, begin(mig("inactive"))).unwrap();
    let l = run(&h, LPAR, rollback()).unwrap();
    assert_eq!(l.state, lpar_state::NOT_ACTIVATED);
    assert_eq!(l.ref_code, "00000000");
}

#[test]
fn a_destination_shell_is_removed_not_rolled_back() {
    let (_d, h) = frame();
    run(&h, LPAR, begin(mig("inactive"))).unwrap();
    set(&h, LPAR, |l| l.migration.as_mut().unwrap().source = false);
    let e = run(&h, LPAR, rollback()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "partition lnx01 is the destination shell; remove it instead"
    );
    let gone = run(&h, LPAR, remove()).unwrap();
    assert_eq!(gone.id, LPAR);
    assert!(h.partition(LPAR).is_none());
    let e = run(&h, LPAR, remove()).unwrap_err();
    assert_eq!(reason(e), Reason::NoPartition);
}

#[test]
fn a_partition_in_no_migration_is_not_removed() {
    let (_d, h) = frame();
    let e = run(&h, LPAR, remove()).unwrap_err();
    assert_eq!(reason(e), Reason::NotPermitted);
    assert!(h.partition(LPAR).is_some());
}
