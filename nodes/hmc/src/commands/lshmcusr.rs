//! `lshmcusr [-F attrs] [--header] [--filter "names=a,b"]`: the HMC's users.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form, Record};

const SPEC: &[opts::Opt] = &[value(&["-F"]), flag(&["--header"]), value(&["--filter"])];

const ATTRS: &[&str] = &[
    "name",
    "taskrole",
    "description",
    "pwage",
    "resourcerole",
    "authentication_type",
    "remote_webui_access",
    "remote_ssh_access",
    "min_pwage",
    "session_timeout",
    "verify_timeout",
    "idle_timeout",
    "inactivity_expiration",
    "passwd_authentication",
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lshmcusr {
    pub form: Form,
}

impl Command for Lshmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Lshmcusr { form: o.form() })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let records: Vec<Record> = ctx
            .hmc
            .users
            .all()
            .into_iter()
            .map(|u| record(&u))
            .collect();
        Ok(render::listing(
            records,
            &self.form,
            &[("names", "name"), ("taskroles", "taskrole")],
            ATTRS,
        )?)
    }
}

/// A user's record: what the HMC keeps of them, the rest the defaults of
/// a local user.
fn record(u: &crate::users::User) -> Record {
    let vals = [
        u.name.as_str(),
        u.taskrole.as_str(),
        u.description.as_str(),
        "99999",
        "",
        "local",
        "0",
        "1",
        "0",
        "0",
        "15",
        "0",
        "0",
        "1",
    ];
    ATTRS
        .iter()
        .zip(vals)
        .map(|(k, v)| render::kv(k, v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_form_and_nothing_else() {
        assert_eq!(
            Lshmcusr::parse(&args("-F name,taskrole --header --filter names=a")).ok(),
            Some(Lshmcusr {
                form: Form {
                    fields: Some("name,taskrole".into()),
                    header: true,
                    filter: Some("names=a".into()),
                }
            })
        );
        assert_eq!(
            Lshmcusr::parse(&args("")).ok(),
            Some(Lshmcusr {
                form: Form::default()
            })
        );
        assert!(Lshmcusr::parse(&args("-r all")).is_err());
        assert!(Lshmcusr::parse(&args("-F")).is_err());
    }
}
