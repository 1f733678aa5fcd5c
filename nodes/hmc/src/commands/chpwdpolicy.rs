//! `chpwdpolicy -o a -n <policy>` activates a password policy, `-o d`
//! deactivates the active one, `-o m -i "name=...,new_name=...,pwage=..."`
//! changes one. The HMC's own policy is activated but never changed.

use super::Command;
use super::input::input_attrs;
use super::mkhmcusr::superadmin;
use super::mkpwdpolicy::input_names;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::pwdpolicy::{MEDIUM_SECURITY_NAME, PwdPolicy};

const SPEC: &[opts::Opt] = &[value(&["-o"]), value(&["-n"]), value(&["-i"])];

#[derive(Debug, PartialEq, Eq)]
pub enum Chpwdpolicy {
    Activate(String),
    Deactivate,
    Modify {
        name: String,
        new_name: Option<String>,
        /// In input order; checked against the policy when applied.
        attrs: Vec<(String, String)>,
    },
}

impl Command for Chpwdpolicy {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let op = o.require("-o")?;
        Ok(match op {
            "a" => Chpwdpolicy::Activate(o.require("-n")?.to_string()),
            "d" => Chpwdpolicy::Deactivate,
            "m" => {
                let mut attrs = input_attrs(o.require("-i")?, &input_names(true))?;
                let take = |attrs: &mut Vec<(String, String)>, k: &str| {
                    attrs
                        .iter()
                        .position(|(a, _)| a == k)
                        .map(|i| attrs.remove(i).1)
                };
                let name = take(&mut attrs, "name")
                    .ok_or_else(|| "The name attribute is required.".to_string())?;
                let new_name = take(&mut attrs, "new_name");
                // Syntax of each value now, the rules among them when applied.
                let mut probe = PwdPolicy::new(&name);
                for (k, v) in &attrs {
                    probe.set(k, v)?;
                }
                Chpwdpolicy::Modify {
                    name,
                    new_name,
                    attrs,
                }
            }
            other => return Err(opts::not_one_of("-o", other, &["a", "d", "m"]).into()),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let users = &ctx.hmc.users;
        match self {
            Chpwdpolicy::Activate(name) => {
                if users.policy(&name).is_none() {
                    return Err(Hscl::PwdPolicyNotFound(name).into());
                }
                users.change_policies(|_, active| {
                    *active = Some(name);
                    Ok(())
                })?;
            }
            Chpwdpolicy::Deactivate => {
                if users.active_policy_name().is_none() {
                    return Err(Hscl::NoActivePwdPolicy.into());
                }
                users.change_policies(|_, active| {
                    *active = None;
                    Ok(())
                })?;
            }
            Chpwdpolicy::Modify {
                name,
                new_name,
                attrs,
            } => {
                if name == MEDIUM_SECURITY_NAME {
                    return Err(Hscl::PwdPolicyBuiltin(name).into());
                }
                users.change_policies(|ps, active| {
                    let taken = new_name.as_ref().is_some_and(|n| {
                        *n != name && (n == MEDIUM_SECURITY_NAME || ps.iter().any(|p| &p.name == n))
                    });
                    if taken {
                        return Err(
                            Hscl::PwdPolicyExists(new_name.clone().unwrap_or_default()).to_string()
                        );
                    }
                    let p = ps
                        .iter_mut()
                        .find(|p| p.name == name)
                        .ok_or_else(|| Hscl::PwdPolicyNotFound(name.clone()).to_string())?;
                    let mut changed = p.clone();
                    for (k, v) in &attrs {
                        changed.set(k, v)?;
                    }
                    if let Some(n) = &new_name {
                        changed.name = n.clone();
                        if active.as_deref() == Some(name.as_str()) {
                            *active = Some(n.clone());
                        }
                    }
                    changed.validate()?;
                    *p = changed;
                    Ok(())
                })?;
            }
        }
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_each_operation_as_ansible_sends_it() {
        assert_eq!(
            Chpwdpolicy::parse(&args(&["-o", "a", "-n", "dummy"])).ok(),
            Some(Chpwdpolicy::Activate("dummy".into()))
        );
        assert_eq!(
            Chpwdpolicy::parse(&args(&["-o", "d"])).ok(),
            Some(Chpwdpolicy::Deactivate)
        );
        assert_eq!(
            Chpwdpolicy::parse(&args(&[
                "-o",
                "m",
                "-i",
                "pwage=80,hist_size=12,new_name=d2,name=dummy"
            ]))
            .ok(),
            Some(Chpwdpolicy::Modify {
                name: "dummy".into(),
                new_name: Some("d2".into()),
                attrs: vec![
                    ("pwage".into(), "80".into()),
                    ("hist_size".into(), "12".into())
                ],
            })
        );
        for bad in [
            &["-o", "a"][..],
            &["-o", "m"],
            &["-o", "m", "-i", "pwage=80"],
            &["-o", "m", "-i", "name=x,pwage=soon"],
            &["-o", "x"],
            &[],
        ] {
            assert!(Chpwdpolicy::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
