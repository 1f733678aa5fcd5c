//! `rmlock -e <managed system>`: breaks the lock another HMC holds on a
//! frame, as the Redbook allows ("The lock can be manually broken", §5.3):
//! for a hold left by an HMC that died or was cut off mid-migration, so
//! that this HMC can change the frame without waiting for the lease to run
//! out. Operations under way finish first.

use super::Command;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, conn, find_frame};

const SPEC: &[opts::Opt] = &[value(&["-e"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Rmlock {
    pub frame: String,
}

impl Command for Rmlock {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Rmlock {
            frame: o.require("-e")?.to_string(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        let c = conn(ctx, &f)?;
        let mut fsp = c.fsp;
        fsp.lock(pvmlab_common::proto::fsp::LockRequest {
            session: c.session,
            force: true,
            ..Default::default()
        })
        .await
        .map_err(|e| CmdError::Usage(e.message().to_string()))?;
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_frame_and_refuses_anything_else() {
        assert_eq!(
            Rmlock::parse(&args("-e sys1")).ok(),
            Some(Rmlock {
                frame: "sys1".into()
            })
        );
        assert!(Rmlock::parse(&args("")).is_err());
        assert!(Rmlock::parse(&args("-e sys1 -x")).is_err());
    }
}
