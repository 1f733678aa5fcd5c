//! `lspwdpolicy -t p|s [-F attrs] [--header] [--filter "names=a,b"]`: the
//! password policies (`p`), or whether one is active and which (`s`), as
//! Ansible's hmc_pwdpolicy reads them (`NAME`, `ACTIVE`, each value).

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form, kv};

const SPEC: &[opts::Opt] = &[
    value(&["-t"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Policies,
    Status,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lspwdpolicy {
    pub kind: Kind,
    pub form: Form,
}

impl Command for Lspwdpolicy {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = o.word(
            "-t",
            &[("p", Kind::Policies), ("s", Kind::Status)],
            "Valid values are p, s.",
        )?;
        if kind == Kind::Status && o.has("--filter") {
            return Err("The --filter parameter is not valid with -t s."
                .to_string()
                .into());
        }
        Ok(Lspwdpolicy {
            kind,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let users = &ctx.hmc.users;
        let active = users.active_policy_name();
        Ok(match self.kind {
            Kind::Policies => render::listing(
                users
                    .policies()
                    .iter()
                    .map(|p| p.record(active.as_deref() == Some(p.name.as_str())))
                    .collect(),
                &self.form,
                &[("names", "name")],
                crate::pwdpolicy::ATTRS,
            )?,
            Kind::Status => render::listing(
                vec![vec![
                    kv("active", if active.is_some() { "1" } else { "0" }),
                    kv("active_policy_name", active.unwrap_or_default()),
                ]],
                &self.form,
                &[],
                &["active", "active_policy_name"],
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_what_to_list() {
        assert_eq!(
            Lspwdpolicy::parse(&args("-t p --filter names=dummy")).ok(),
            Some(Lspwdpolicy {
                kind: Kind::Policies,
                form: Form {
                    filter: Some("names=dummy".into()),
                    ..Form::default()
                }
            })
        );
        assert_eq!(
            Lspwdpolicy::parse(&args("-t s")).ok().map(|l| l.kind),
            Some(Kind::Status)
        );
        assert!(Lspwdpolicy::parse(&args("")).is_err());
        assert!(Lspwdpolicy::parse(&args("-t x")).is_err());
        assert!(Lspwdpolicy::parse(&args("-t s --filter names=a")).is_err());
    }
}
