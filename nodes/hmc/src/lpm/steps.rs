//! The FSP's migration steps (fsp.proto `MigrationStep`), built from the
//! migration record: each step carries only what that step needs.

use pvmlab_common::model::{Migration, Partition};
use pvmlab_common::proto::fsp::migration_step::{self as ms, Kind as Step};

pub fn begin(m: Migration) -> Step {
    Step::Begin(ms::Begin { migration: Some(m) })
}

pub fn shell(m: Migration, partition: Partition) -> Step {
    Step::Shell(ms::Shell {
        migration: Some(m),
        partition: Some(partition),
    })
}

/// The operating system's check, before the partition has a record.
pub fn check(wait_minutes: Option<u32>) -> Step {
    Step::Check(ms::Check { wait_minutes })
}

pub fn prepare(m: &Migration) -> Step {
    Step::Prepare(ms::Prepare {
        migration_id: m.id.clone(),
        wait_minutes: m.wait_minutes,
    })
}

pub fn post(m: &Migration) -> Step {
    Step::Post(ms::Post {
        migration_id: m.id.clone(),
        wait_minutes: m.wait_minutes,
    })
}

pub fn update(m: Migration) -> Step {
    Step::Update(ms::Update { migration: Some(m) })
}

pub fn fail(m: Migration) -> Step {
    Step::Fail(ms::Fail { migration: Some(m) })
}

pub fn finish(m: &Migration) -> Step {
    Step::Finish(ms::Finish {
        migration_id: m.id.clone(),
    })
}

pub fn rollback(m: &Migration) -> Step {
    Step::Rollback(ms::Rollback {
        migration_id: m.id.clone(),
    })
}

pub fn remove(m: &Migration) -> Step {
    Step::Remove(ms::Remove {
        migration_id: m.id.clone(),
    })
}

/// The step's name in the HMC's messages ("while begin on sys2").
pub fn name(s: &Step) -> &'static str {
    match s {
        Step::Begin(_) => "begin",
        Step::Shell(_) => "shell",
        Step::Check(_) => "check",
        Step::Prepare(_) => "prepare",
        Step::Post(_) => "post",
        Step::Update(_) => "update",
        Step::Finish(_) => "finish",
        Step::Rollback(_) => "rollback",
        Step::Fail(_) => "fail",
        Step::Remove(_) => "remove",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_carries_what_it_needs_and_is_named() {
        let m = Migration {
            id: "m1".into(),
            wait_minutes: Some(3),
            ..Default::default()
        };
        match prepare(&m) {
            Step::Prepare(p) => {
                assert_eq!((p.migration_id.as_str(), p.wait_minutes), ("m1", Some(3)))
            }
            s => panic!("{}", name(&s)),
        }
        assert_eq!(name(&remove(&m)), "remove");
        assert_eq!(name(&check(None)), "check");
        assert_eq!(name(&shell(m.clone(), Partition::default())), "shell");
    }
}
