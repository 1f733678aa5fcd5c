//! `lshmcusr [-t user|default] [-F attrs] [--header] [--filter "names=a,b"]`:
//! the HMC's users, or (`-t default`) the settings new users get.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form, Record, kv};
use crate::users::{Defaults, User};

const SPEC: &[opts::Opt] = &[
    value(&["-t"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

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

const DEFAULT_ATTRS: &[&str] = &[
    "pwage",
    "min_pwage",
    "session_timeout",
    "verify_timeout",
    "idle_timeout",
    "inactivity_expiration",
    "max_webui_login_attempts",
    "webui_login_suspend_time",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Defaults,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lshmcusr {
    pub kind: Kind,
    pub form: Form,
}

impl Command for Lshmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = match o.get("-t") {
            None => Kind::Users,
            Some(t) => opts::one_of(
                "-t",
                t,
                &[("user", Kind::Users), ("default", Kind::Defaults)],
                "Valid values are user, default.",
            )?,
        };
        if kind == Kind::Defaults && o.has("--filter") {
            return Err("The --filter parameter is not valid with -t default."
                .to_string()
                .into());
        }
        Ok(Lshmcusr {
            kind,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        Ok(match self.kind {
            Kind::Users => render::listing(
                ctx.hmc.users.all().iter().map(record).collect(),
                &self.form,
                &[
                    ("names", "name"),
                    ("taskroles", "taskrole"),
                    ("resourceroles", "resourcerole"),
                ],
                ATTRS,
            )?,
            Kind::Defaults => render::listing(
                vec![defaults_record(&ctx.hmc.users.defaults())],
                &self.form,
                &[],
                DEFAULT_ATTRS,
            )?,
        })
    }
}

fn b(v: bool) -> &'static str {
    if v { "1" } else { "0" }
}

/// A user's record. Users here are all authenticated locally.
fn record(u: &User) -> Record {
    let s = &u.settings;
    vec![
        kv("name", &u.name),
        kv("taskrole", &u.taskrole),
        kv("description", &u.description),
        kv("pwage", s.pwage),
        kv("resourcerole", &s.resourcerole),
        kv("authentication_type", "local"),
        kv("remote_webui_access", b(s.remote_webui_access)),
        kv("remote_ssh_access", b(s.remote_ssh_access)),
        kv("min_pwage", s.min_pwage),
        kv("session_timeout", s.session_timeout),
        kv("verify_timeout", s.verify_timeout),
        kv("idle_timeout", s.idle_timeout),
        kv("inactivity_expiration", s.inactivity_expiration),
        kv("passwd_authentication", b(s.passwd_authentication)),
    ]
}

fn defaults_record(d: &Defaults) -> Record {
    vec![
        kv("pwage", d.pwage),
        kv("min_pwage", d.min_pwage),
        kv("session_timeout", d.session_timeout),
        kv("verify_timeout", d.verify_timeout),
        kv("idle_timeout", d.idle_timeout),
        kv("inactivity_expiration", d.inactivity_expiration),
        kv("max_webui_login_attempts", d.max_webui_login_attempts),
        kv("webui_login_suspend_time", d.webui_login_suspend_time),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_kind_and_the_form() {
        assert_eq!(
            Lshmcusr::parse(&args("-F name,taskrole --header --filter names=a")).ok(),
            Some(Lshmcusr {
                kind: Kind::Users,
                form: Form {
                    fields: Some("name,taskrole".into()),
                    header: true,
                    filter: Some("names=a".into()),
                }
            })
        );
        assert_eq!(
            Lshmcusr::parse(&args("-t default")).ok().map(|l| l.kind),
            Some(Kind::Defaults)
        );
        assert_eq!(
            Lshmcusr::parse(&args("-t user")).ok().map(|l| l.kind),
            Some(Kind::Users)
        );
        assert!(Lshmcusr::parse(&args("-t all")).is_err());
        assert!(Lshmcusr::parse(&args("-t default --filter names=a")).is_err());
        assert!(Lshmcusr::parse(&args("-r all")).is_err());
        assert!(Lshmcusr::parse(&args("-F")).is_err());
    }

    #[test]
    fn records_list_every_attribute_in_order() {
        let u = User {
            name: "ops".into(),
            password: "x".into(),
            taskrole: "hmcoperator".into(),
            description: "d".into(),
            keys: Vec::new(),
            trusted_hmcs: Vec::new(),
            settings: Default::default(),
        };
        let keys: Vec<String> = record(&u).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ATTRS);
        let keys: Vec<String> = defaults_record(&Defaults::default())
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, DEFAULT_ATTRS);
    }
}
