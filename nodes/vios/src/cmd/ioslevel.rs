//! `ioslevel`: the VIOS's level (`3.1.4.10`), which hmcscanner reports.

use super::{CmdError, Command, Done, Env, args};

const USAGE: &str = "Usage: ioslevel";

#[derive(Debug, PartialEq, Eq)]
pub struct Ioslevel;

impl Command for Ioslevel {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        args::parse(&[], words, 0, USAGE)?;
        Ok(Ioslevel)
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        Ok(format!("{}\n", env.site.level.trim_start_matches("VIOS ")).into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::{CmdError, testenv::run};

    #[test]
    fn prints_the_level_without_the_product_name() {
        assert_eq!(run("ioslevel"), ("3.1.4.10\n".into(), 0));
        assert_eq!(
            run("ioslevel -x"),
            (format!("{}\n", CmdError::Usage(super::USAGE)), 2)
        );
    }
}
