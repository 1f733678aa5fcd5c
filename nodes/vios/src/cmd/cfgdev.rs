//! `cfgdev [-dev Name]`: configures devices found since the last scan.
//! The lab's VIOS sees its devices as they are made (a LUN zoned, an
//! adapter added by DLPAR), so there is never anything left to find.

use super::args::{self, Arity};
use super::inventory::Inventory;
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: cfgdev [-dev Name]";

#[derive(Debug, PartialEq, Eq)]
pub struct Cfgdev(Option<String>);

impl Command for Cfgdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(&[("-dev", Arity::One)], words, 0, USAGE)?;
        Ok(Cfgdev(a.one("-dev").map(str::to_string)))
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        if let Some(d) = self.0
            && Inventory::of(env).get(&d).is_none()
        {
            return Err(CmdError::NotKnown(d));
        }
        Ok(Done::default())
    }
}
