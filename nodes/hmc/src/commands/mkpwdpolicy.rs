//! `mkpwdpolicy -i "name=...,pwage=...,min_length=..."`: a new password
//! policy, with the values it is not given taken from
//! [`PwdPolicy::new`]. It is not active until `chpwdpolicy -o a`.

use super::Command;
use super::input::input_attrs;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::pwdpolicy::{NUMBERS, PwdPolicy};

const SPEC: &[opts::Opt] = &[value(&["-i"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Mkpwdpolicy {
    pub policy: PwdPolicy,
}

/// What `-i` takes when making or changing a policy (`new_name` only when
/// changing).
pub(super) fn input_names(with_new_name: bool) -> Vec<&'static str> {
    let mut v = vec!["name", "description"];
    v.extend_from_slice(NUMBERS);
    if with_new_name {
        v.push("new_name");
    }
    v
}

impl Command for Mkpwdpolicy {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let attrs = input_attrs(o.require("-i")?, &input_names(false))?;
        let name = attrs
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| "The name attribute is required.".to_string())?;
        let mut policy = PwdPolicy::new(&name);
        for (k, v) in attrs.iter().filter(|(k, _)| k != "name") {
            policy.set(k, v)?;
        }
        policy.validate()?;
        Ok(Mkpwdpolicy { policy })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let name = self.policy.name.clone();
        if ctx.hmc.users.policy(&name).is_some() {
            return Err(Hscl::PwdPolicyExists(name).into());
        }
        ctx.hmc.users.change_policies(|ps, _| {
            // Checked again under the lock: two sessions may race.
            if ps.iter().any(|p| p.name == name) {
                return Err(Hscl::PwdPolicyExists(name.clone()).to_string());
            }
            ps.push(self.policy);
            Ok(())
        })?;
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_a_policy_with_defaults_for_the_rest() {
        let m = Mkpwdpolicy::parse(&args(&["-i", "pwage=80,hist_size=12,name=dummy"])).unwrap();
        assert_eq!(
            m.policy,
            PwdPolicy {
                pwage: 80,
                hist_size: 12,
                ..PwdPolicy::new("dummy")
            }
        );
        for bad in [
            "pwage=80",
            "name=x,pwage=often",
            "name=x,new_name=y",
            "name=x,hist_size=51",
            "name=x,shell=1",
            "name=x,name=y",
        ] {
            assert!(Mkpwdpolicy::parse(&args(&["-i", bad])).is_err(), "{bad}");
        }
        assert!(Mkpwdpolicy::parse(&args(&[])).is_err());
    }
}
