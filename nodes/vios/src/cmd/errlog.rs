//! `errlog [-ls]`, `errlog -rm Days`: the VIOS's error log, where the
//! mover and the SEAs record what they did; kept across restarts.

use super::args::{self, Arity};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: errlog [-ls] [-seq Sequence_number | -rm Days]";

#[derive(Debug, PartialEq, Eq)]
pub enum Errlog {
    List,
    /// `-rm Days`: entries older than that go.
    Remove(u32),
}

impl Command for Errlog {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[("-ls", Arity::Flag), ("-rm", Arity::One)],
            words,
            0,
            USAGE,
        )?;
        match a.one("-rm") {
            None => Ok(Errlog::List),
            Some(_) if a.has("-ls") => Err(CmdError::Usage(USAGE)),
            Some(d) => d
                .parse()
                .map(Errlog::Remove)
                .map_err(|_| CmdError::Usage(USAGE)),
        }
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        Ok(match self {
            Errlog::List => env.errlog.render().into(),
            Errlog::Remove(days) => {
                env.errlog.remove_older_than(days);
                String::new().into()
            }
        })
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
        assert_eq!(run("errlog -ls -rm 1").1, 2);
        assert_eq!(run("errlog -rm 0"), (String::new(), 0));
    }
}
