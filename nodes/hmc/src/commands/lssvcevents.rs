//! `lssvcevents -t hardware|console [-d days] [-i minutes] [--filter ...]
//! [-F attrs] [--header]`: serviceable events. Nothing in the lab opens
//! one (a frame fault is the controller's, not a hardware error the
//! service processor reports), so there are none to list.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form};

const SPEC: &[opts::Opt] = &[
    value(&["-t"]),
    value(&["-d"]),
    value(&["-i"]),
    value(&["-m"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

const FILTERS: &[(&str, &str)] = &[
    ("problem_nums", "problem_num"),
    ("status", "status"),
    ("refcodes", "refcode"),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lssvcevents {
    pub form: Form,
}

impl Command for Lssvcevents {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        o.word(
            "-t",
            &[("hardware", ()), ("console", ())],
            "Valid values are hardware, console.",
        )?;
        o.at_most("-d", 366)?;
        o.at_most("-i", 527_040)?;
        Ok(Lssvcevents { form: o.form() })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        Ok(render::listing(Vec::new(), &self.form, FILTERS, &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_kind_and_the_window() {
        assert!(Lssvcevents::parse(&args("-t hardware -d 7")).is_ok());
        assert!(Lssvcevents::parse(&args("-t console -i 60 --filter status=open")).is_ok());
        assert!(Lssvcevents::parse(&args("")).is_err());
        assert!(Lssvcevents::parse(&args("-t software")).is_err());
        assert!(Lssvcevents::parse(&args("-t hardware -d soon")).is_err());
    }
}
