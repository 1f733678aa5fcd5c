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

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::Ctx;
use crate::hscl::Hscl;

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

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let user = o.get("-u").unwrap_or(&ctx.user.name).to_string();
    if let Some(ip) = o.get("--ip") {
        return remote_trust(ctx, ip, &user, &o).await;
    }
    if user != ctx.user.name && ctx.user.taskrole != "hmcsuperadmin" {
        return Err(Hscl::NoAuthority.into());
    }
    match (o.get("-a"), o.get("-r")) {
        (Some(key), None) => {
            let mut parts = key.split_whitespace();
            let (Some(kind), Some(body)) = (parts.next(), parts.next()) else {
                return Err(
                    "The key must be in the form '<type> <base64 key> [comment]'."
                        .to_string()
                        .into(),
                );
            };
            if !KEY_TYPES.contains(&kind) || body.len() < 16 {
                return Err(
                    format!("The key type {kind} is not a supported public key type.").into(),
                );
            }
            let key = key.trim().to_string();
            ctx.hmc.users.update(&user, |old| {
                let mut u = old.ok_or_else(|| format!("The user {user} was not found."))?;
                if !u.keys.contains(&key) {
                    u.keys.push(key);
                }
                Ok(Some(u))
            })?;
            Ok(String::new())
        }
        (None, Some(which)) => {
            let which = which.trim().to_string();
            ctx.hmc.users.update(&user, |old| {
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
            Ok(String::new())
        }
        _ => Err(
            "Specify one of --add '<key>' or --remove '<key or comment>'."
                .to_string()
                .into(),
        ),
    }
}

async fn remote_trust(ctx: &Ctx<'_>, ip: &str, user: &str, o: &opts::Parsed) -> CmdResult {
    let remote = crate::lpm::remote::peer(ctx, ip, user)?;
    if o.has("--test") {
        remote.test().await?;
        return Ok(String::new());
    }
    ctx.may_change()?;
    let Some(password) = o.get("--passwd") else {
        return Err(format!(
            "Enter the password for user {user} on the remote host {ip} with --passwd: this session cannot prompt for it."
        )
        .into());
    };
    remote.trust(password).await?;
    if o.has("-g") {
        ctx.hmc.users.trust(&ctx.user.name, &remote.name)?;
    }
    Ok(String::new())
}
