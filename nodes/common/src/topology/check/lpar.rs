//! `[[frame.lpar]]`: what only a client partition has, its environment and
//! the workload its applications run.

use super::Fault;
use crate::model::{LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS, MAX_SCRIPT_MS};
use crate::topology::schema::{LparDef, WorkloadDef};

pub(super) fn check(l: &LparDef) -> Result<(), Fault> {
    if ![LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS].contains(&l.lpar_env.get_ref().as_str()) {
        return Err(Fault::at(
            l.lpar_env.span(),
            "lpar_env",
            format!("{:?} is not aixlinux or vioserver", l.lpar_env.get_ref()),
        ));
    }
    if l.lpar_env.get_ref() == LPAR_ENV_VIOS {
        return Err(Fault::at(
            l.lpar_env.span(),
            "lpar_env",
            "a VIOS is declared under [[frame.vios]], not [[frame.lpar]]",
        ));
    }
    match &l.workload {
        Some(w) => workload(w),
        None => Ok(()),
    }
}

/// Workload faults point at `pattern`, the one spanned key of the table.
fn workload(w: &WorkloadDef) -> Result<(), Fault> {
    if !["uniform", "hotspot", "sequential"].contains(&w.pattern.get_ref().as_str()) {
        return Err(Fault::at(
            w.pattern.span(),
            "pattern",
            format!(
                "{:?} is not uniform, hotspot or sequential",
                w.pattern.get_ref()
            ),
        ));
    }
    if !["", "check", "prepare"].contains(&w.refuse_migration.as_str()) {
        return Err(Fault::at(
            w.pattern.span(),
            "refuse_migration",
            format!("{:?} is not check, prepare or empty", w.refuse_migration),
        ));
    }
    if w.script_ms > MAX_SCRIPT_MS {
        return Err(Fault::at(
            w.pattern.span(),
            "script_ms",
            format!("{} ms is over a day", w.script_ms),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::check::tests::{message, section};

    fn lpar(extra: &str) -> LparDef {
        section(&format!("id = 2\nname = \"a\"\n{extra}profile = []\n"))
    }

    #[test]
    fn a_client_is_aixlinux() {
        check(&lpar("")).unwrap();
        assert_eq!(
            message(check(&lpar("lpar_env = \"os400\"\n")), "lpar_env"),
            "\"os400\" is not aixlinux or vioserver"
        );
        assert_eq!(
            message(check(&lpar("lpar_env = \"vioserver\"\n")), "lpar_env"),
            "a VIOS is declared under [[frame.vios]], not [[frame.lpar]]"
        );
    }

    #[test]
    fn its_workload_is_one_the_frame_can_run() {
        let w = |extra: &str| lpar(&format!("workload = {{ rate_mb_s = 10.0{extra} }}\n"));
        check(&w(
            ", pattern = \"hotspot\", refuse_migration = \"prepare\"",
        ))
        .unwrap();
        assert_eq!(
            message(check(&w(", pattern = \"random\"")), "pattern"),
            "\"random\" is not uniform, hotspot or sequential"
        );
        assert_eq!(
            message(
                check(&w(", refuse_migration = \"post\"")),
                "refuse_migration"
            ),
            "\"post\" is not check, prepare or empty"
        );
        let over = MAX_SCRIPT_MS + 1;
        assert_eq!(
            message(check(&w(&format!(", script_ms = {over}"))), "script_ms"),
            format!("{over} ms is over a day")
        );
    }
}
