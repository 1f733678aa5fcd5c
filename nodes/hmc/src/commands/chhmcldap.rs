//! `chhmcldap -o s --primary ldap://host ...` and `chhmcldap -o r -r
//! ldap|backup|binddn|...`. The lab has no LDAP server: setting one up
//! fails as an HMC's does when the server cannot be reached, and removing
//! configuration finds none (the words Ansible's hmc_user looks for).

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-o"]),
    value(&["-r"]),
    value(&["--primary"]),
    value(&["--backup"]),
    value(&["--basedn"]),
    value(&["--binddn"]),
    value(&["--bindpw"]),
    value(&["--timelimit"]),
    value(&["--bindtimelimit"]),
    value(&["--automanage"]),
    value(&["--auth"]),
    value(&["--loginattribute"]),
    value(&["--hmcuserpropsattribute"]),
    value(&["--hmcauthnameattribute"]),
    value(&["--searchfilter"]),
    value(&["--scope"]),
    value(&["--referrals"]),
    value(&["--starttls"]),
    value(&["--hmcgroups"]),
    value(&["--authsearch"]),
    value(&["--tlsreqcert"]),
    value(&["--groupattribute"]),
    value(&["--memberattribute"]),
];

#[derive(Debug, PartialEq, Eq)]
pub enum Chhmcldap {
    /// The server to use.
    Set(String),
    Remove,
}

impl Command for Chhmcldap {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        match o.require("-o")? {
            "s" => Ok(Chhmcldap::Set(o.require("--primary")?.to_string())),
            "r" => {
                o.word(
                    "-r",
                    &[
                        ("ldap", ()),
                        ("backup", ()),
                        ("binddn", ()),
                        ("bindpw", ()),
                        ("searchfilter", ()),
                        ("hmcgroups", ()),
                        ("groupmemberattributes", ()),
                    ],
                    "Valid values are ldap, backup, binddn, bindpw, searchfilter, hmcgroups, groupmemberattributes.",
                )?;
                Ok(Chhmcldap::Remove)
            }
            other => Err(opts::not_one_of("-o", other, &["s", "r"]).into()),
        }
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        Err(match self {
            Chhmcldap::Set(server) => Hscl::ServerUnreachable(server).into(),
            Chhmcldap::Remove => Hscl::LdapNotConfigured.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_set_and_remove() {
        assert_eq!(
            Chhmcldap::parse(&args("-o s --primary ldap://10.0.0.9 --basedn dc=x")).ok(),
            Some(Chhmcldap::Set("ldap://10.0.0.9".into()))
        );
        assert_eq!(
            Chhmcldap::parse(&args("-o r -r ldap")).ok(),
            Some(Chhmcldap::Remove)
        );
        assert!(Chhmcldap::parse(&args("-o s")).is_err());
        assert!(Chhmcldap::parse(&args("-o r -r all")).is_err());
        assert!(Chhmcldap::parse(&args("-o x")).is_err());
    }
}
