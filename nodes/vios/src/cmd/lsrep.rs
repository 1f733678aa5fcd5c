//! `lsrep`: the virtual media repository's size and free space, and its
//! parent pool's. The lab makes no media (`mkvopt`), so the media list
//! that would follow is empty.

use super::args;
use super::inventory::Inventory;
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: lsrep [-field FieldName ...] [-fmt Delimiter]";

#[derive(Debug, PartialEq, Eq)]
pub struct Lsrep;

impl Command for Lsrep {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        args::parse(&[], words, 0, USAGE)?;
        Ok(Lsrep)
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let Some(r) = &env.dev.repository else {
            return Err(CmdError::Method(
                "The DVD repository has not been created yet.".into(),
            ));
        };
        let vg = super::lsvg::rootvg(&Inventory::of(env), env.dev);
        Ok(format!(
            "Size(mb) Free(mb) Parent Pool         Parent Size      Parent Free\n{:>8} {:>8} {:<20}{:>11}{:>17}\n",
            r.size_mb, r.size_mb, r.pool, vg.size_mb, vg.free_mb
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::{run, run_changing, with_devices};

    #[test]
    fn the_repository_and_its_pool() {
        let (out, s) = run("lsrep");
        assert!(out.contains("has not been created") && s == 1, "{out}");
        let (_, _, dev) = run_changing("mkrep -sp rootvg -size 2G");
        with_devices(dev.unwrap(), |env| {
            let (d, s) = crate::cmd::run(env, "lsrep");
            assert_eq!(s, 0);
            let lines: Vec<&str> = d.output.lines().collect();
            assert_eq!(
                lines[0],
                "Size(mb) Free(mb) Parent Pool         Parent Size      Parent Free"
            );
            assert!(
                lines[1].starts_with("    2048     2048 rootvg  "),
                "{}",
                lines[1]
            );
        });
    }
}
