//! `mkauthkeys --add '<public key>' [-u <user>]` and
//! `mkauthkeys --remove '<key or comment>' [-u <user>]`: the SSH keys that
//! may log in as a user. Only a superadmin manages another user's keys.
//!
//! `mkauthkeys --ip <hmc> [-u <user>] [-g] --passwd <password>` and
//! `mkauthkeys --ip <hmc> [-u <user>] --test`: the trust a remote migration
//! needs (seed 002). The remote HMC checks the password of its user and
//! from then on lets this HMC act as that user; with -g the remote HMC may
//! act as the local user here too (what a recovery from the destination
//! HMC needs). `--test` is silent when the trust is there, else HSCL3653.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[
    value(&["-a", "--add"]),
    value(&["-r", "--remove"]),
    value(&["-u"]),
    value(&["--ip"]),
    flag(&["-g"]),
    flag(&["--test"]),
    value(&["--passwd"]),
];

const KEY_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-dss",
];

#[derive(Debug, PartialEq, Eq)]
pub struct Mkauthkeys {
    /// `-u`; the user running the command when not given.
    pub user: Option<String>,
    pub action: Action,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Keys(KeyChange),
    /// `--ip <hmc>`: the trust between this HMC and that one.
    Remote {
        hmc: String,
        trust: Trust,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// An authorized_keys line, checked and trimmed.
    Add(String),
    /// A whole key, or its comment (user@host).
    Remove(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Trust {
    /// `--test`: whether the remote HMC trusts this one.
    Test,
    /// Ask the remote HMC for its trust; `back` (`-g`) trusts it here too.
    /// A missing password is refused in apply, after the remote HMC is
    /// looked up and the authority checked, because its message names the
    /// user, who defaults to the one running the command.
    Ask {
        back: bool,
        password: Option<String>,
    },
}

impl Command for Mkauthkeys {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let user = o.get("-u").map(str::to_string);
        let action = if let Some(ip) = o.get("--ip") {
            let trust = if o.has("--test") {
                Trust::Test
            } else {
                Trust::Ask {
                    back: o.has("-g"),
                    password: o.get("--passwd").map(str::to_string),
                }
            };
            Action::Remote {
                hmc: ip.to_string(),
                trust,
            }
        } else {
            Action::Keys(match (o.get("-a"), o.get("-r")) {
                (Some(key), None) => KeyChange::Add(check_key(key)?),
                (None, Some(which)) => KeyChange::Remove(which.trim().to_string()),
                _ => {
                    return Err(
                        "Specify one of --add '<key>' or --remove '<key or comment>'."
                            .to_string()
                            .into(),
                    );
                }
            })
        };
        Ok(Mkauthkeys { user, action })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let user = self.user.unwrap_or_else(|| ctx.user.name.clone());
        match self.action {
            Action::Remote { hmc, trust } => remote_trust(ctx, &hmc, &user, trust).await,
            Action::Keys(change) => {
                if user != ctx.user.name {
                    superadmin(ctx)?;
                }
                change_keys(ctx, &user, change)
            }
        }
    }
}

/// `--add`'s key: `<type> <base64 key> [comment]`, of a type sshd takes.
fn check_key(key: &str) -> Result<String, CmdError> {
    let mut parts = key.split_whitespace();
    let (Some(kind), Some(body)) = (parts.next(), parts.next()) else {
        return Err(
            "The key must be in the form '<type> <base64 key> [comment]'."
                .to_string()
                .into(),
        );
    };
    if !KEY_TYPES.contains(&kind) || body.len() < 16 {
        return Err(format!("The key type {kind} is not a supported public key type.").into());
    }
    Ok(key.trim().to_string())
}

fn change_keys(ctx: &Ctx<'_>, user: &str, change: KeyChange) -> CmdResult {
    match change {
        KeyChange::Add(key) => {
            ctx.hmc.users.update(user, |old| {
                let mut u = old.ok_or_else(|| format!("The user {user} was not found."))?;
                if !u.keys.contains(&key) {
                    u.keys.push(key);
                }
                Ok(Some(u))
            })?;
        }
        KeyChange::Remove(which) => {
            ctx.hmc.users.update(user, |old| {
                let mut u = old.ok_or_else(|| format!("The user {user} was not found."))?;
                let before = u.keys.len();
                // A key is named by the whole key or by its comment (user@host).
                u.keys
                    .retain(|k| k != &which && k.split_whitespace().nth(2) != Some(which.as_str()));
                if u.keys.len() == before {
                    return Err(format!(
                        "No key matching {which} was found for user {user}."
                    ));
                }
                Ok(Some(u))
            })?;
        }
    }
    Ok(String::new())
}

async fn remote_trust(ctx: &Ctx<'_>, ip: &str, user: &str, trust: Trust) -> CmdResult {
    let remote = crate::lpm::remote::peer(ctx, ip, user)?;
    let (back, password) = match trust {
        Trust::Test => {
            remote.test().await?;
            return Ok(String::new());
        }
        Trust::Ask { back, password } => (back, password),
    };
    ctx.may_change()?;
    let Some(password) = password else {
        return Err(format!(
            "Enter the password for user {user} on the remote host {ip} with --passwd: this session cannot prompt for it."
        )
        .into());
    };
    remote.trust(&password).await?;
    if back {
        ctx.hmc.users.trust(&ctx.user.name, &remote.name)?;
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB admin@lab";

    #[test]
    fn parses_keys_to_add_or_remove() {
        assert_eq!(
            Mkauthkeys::parse(&args(&["--add", &format!(" {KEY} ")])).ok(),
            Some(Mkauthkeys {
                user: None,
                action: Action::Keys(KeyChange::Add(KEY.into()))
            })
        );
        assert_eq!(
            Mkauthkeys::parse(&args(&["-r", "admin@lab", "-u", "u1"])).ok(),
            Some(Mkauthkeys {
                user: Some("u1".into()),
                action: Action::Keys(KeyChange::Remove("admin@lab".into()))
            })
        );
    }

    #[test]
    fn parses_trust_with_a_remote_hmc() {
        assert_eq!(
            Mkauthkeys::parse(&args(&["--ip", "hmc2", "-u", "hscroot", "--test"]))
                .ok()
                .map(|m| m.action),
            Some(Action::Remote {
                hmc: "hmc2".into(),
                trust: Trust::Test
            })
        );
        assert_eq!(
            Mkauthkeys::parse(&args(&["-g", "--ip", "hmc2", "--passwd", "abc123"]))
                .ok()
                .map(|m| m.action),
            Some(Action::Remote {
                hmc: "hmc2".into(),
                trust: Trust::Ask {
                    back: true,
                    password: Some("abc123".into())
                }
            })
        );
        assert_eq!(
            Mkauthkeys::parse(&args(&["--ip", "hmc2"]))
                .ok()
                .map(|m| m.action),
            Some(Action::Remote {
                hmc: "hmc2".into(),
                trust: Trust::Ask {
                    back: false,
                    password: None
                }
            }),
            "the missing password is refused once the remote HMC is known"
        );
    }

    #[test]
    fn refuses_bad_keys_and_unclear_requests() {
        for bad in [
            &[][..],
            &["--add", KEY, "--remove", "admin@lab"],
            &["--add", "ssh-ed25519"],
            &["--add", "ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIB"],
            &["--add", "ssh-rsa short"],
            &["--test"],
            &["--ip"],
        ] {
            assert!(Mkauthkeys::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
