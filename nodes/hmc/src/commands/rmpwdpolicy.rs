//! `rmpwdpolicy -n <policy>`: removes a password policy that is neither
//! the HMC's own nor the active one.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::pwdpolicy::MEDIUM_SECURITY_NAME;

const SPEC: &[opts::Opt] = &[value(&["-n"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Rmpwdpolicy {
    pub name: String,
}

impl Command for Rmpwdpolicy {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Rmpwdpolicy {
            name: o.require("-n")?.to_string(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let name = self.name;
        if name == MEDIUM_SECURITY_NAME {
            return Err(Hscl::PwdPolicyBuiltin(name).into());
        }
        ctx.hmc.users.change_policies(|ps, active| {
            if active.as_deref() == Some(name.as_str()) {
                return Err(Hscl::PwdPolicyActive(name.clone()).to_string());
            }
            let before = ps.len();
            ps.retain(|p| p.name != name);
            if ps.len() == before {
                return Err(Hscl::PwdPolicyNotFound(name.clone()).to_string());
            }
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
    fn parses_the_policy() {
        assert_eq!(
            Rmpwdpolicy::parse(&args(&["-n", "dummy"])).ok(),
            Some(Rmpwdpolicy {
                name: "dummy".into()
            })
        );
        assert!(Rmpwdpolicy::parse(&args(&[])).is_err());
        assert!(Rmpwdpolicy::parse(&args(&["dummy"])).is_err());
    }
}
