//! `errlog`: the VIOS's error log, where the mover records what it did.

use super::args::{self, Arity};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: errlog [-ls] [-seq Sequence_number | -rm Days]";

#[derive(Debug, PartialEq, Eq)]
pub struct Errlog;

impl Command for Errlog {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        args::parse(&[("-ls", Arity::Flag)], words, 0, USAGE)?;
        Ok(Errlog)
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        Ok(env.errlog.render().into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn lists_the_log_and_refuses_other_flags() {
        assert_eq!(run("errlog -ls").1, 0);
        assert!(
            run("errlog").0.starts_with("IDENTIFIER"),
            "{}",
            run("errlog").0
        );
        assert_eq!(run("errlog -rm x").1, 2);
    }
}
