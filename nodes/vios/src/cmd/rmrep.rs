//! `rmrep [-f]`: the virtual media repository removed, refused while a
//! file-backed optical device exists to read from it.

use super::args::{self, Arity};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: rmrep [-f]";

#[derive(Debug, PartialEq, Eq)]
pub struct Rmrep;

impl Command for Rmrep {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        args::parse(&[("-f", Arity::Flag)], words, 0, USAGE)?;
        Ok(Rmrep)
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        if env.dev.repository.is_none() {
            return Err(CmdError::Method(
                "The DVD repository has not been created yet.".into(),
            ));
        }
        if let Some(o) = env.dev.optical.first() {
            return Err(CmdError::Method(format!(
                "The repository cannot be removed: the virtual optical device \"{}\" uses it.",
                o.vtd
            )));
        }
        let mut next = env.dev.clone();
        next.repository = None;
        Ok(Done::storing(String::new(), next))
    }
}
