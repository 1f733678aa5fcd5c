//! The HMC command line: the restricted shell behind SSH (exec and
//! interactive shell) and `pvmlab hmc <name> -- <line>`. It reads the line
//! as the HMC's restricted bash does (`lexer`, `parse`), runs it (`exec`):
//! HMC commands (`crate::commands`), the shell's builtins and the text
//! utilities (`pipe`, `grep`, `sed`, `awk`). Only the SSH server and the
//! gRPC API use it; everything else calls the core.

mod awk;
mod exec;
mod fileutil;
#[cfg(test)]
mod fuzz;
mod grep;
mod lexer;
mod parse;
mod pipe;
mod sed;
#[cfg(test)]
mod tests;

use crate::hmc::{Ctx, Hmc};
use crate::hscl::Hscl;
use std::sync::Arc;

#[derive(Clone)]
pub struct Cli {
    hmc: Arc<Hmc>,
}

impl Cli {
    pub fn new(hmc: Arc<Hmc>) -> Cli {
        Cli { hmc }
    }

    pub fn hmc(&self) -> &Hmc {
        &self.hmc
    }

    pub fn hmc_arc(&self) -> Arc<Hmc> {
        self.hmc.clone()
    }

    /// Runs one line for `user`: the output (ending in a newline where there
    /// is any) and the exit status, 0 on success.
    pub async fn run(&self, user: &str, line: &str) -> (String, u32) {
        let Some(u) = self.hmc.users.get(user) else {
            return (format!("{}\n", Hscl::NoAuthority), 1);
        };
        let ctx = Ctx {
            hmc: &self.hmc,
            user: u,
        };
        tracing::info!(%user, %line, "command line");
        let home = self.hmc.files.home(user);
        // The home is also where `-f FILE` of the commands reads.
        crate::files::scope(home.clone(), async {
            exec::Shell::new(&ctx, home).run_line(line).await
        })
        .await
    }
}

/// The SSH server runs lines through the same dispatcher. A user without
/// `remote_ssh_access` logs on by no credential (`chhmcusr -i
/// remote_ssh_access=0`).
impl pvmlab_common::ssh::Shell for Cli {
    fn check_password(&self, user: &str, password: &str) -> bool {
        self.hmc.users.may_ssh(user) && self.hmc.users.check_password(user, password)
    }

    fn check_key(&self, user: &str, key_openssh: &str) -> bool {
        self.hmc.users.may_ssh(user) && self.hmc.users.check_key(user, key_openssh)
    }

    fn run(&self, user: &str, line: &str) -> futures::future::BoxFuture<'static, (String, u32)> {
        let (cli, user, line) = (self.clone(), user.to_string(), line.to_string());
        Box::pin(async move { cli.run(&user, &line).await })
    }

    fn home(&self, user: &str) -> Option<crate::files::Home> {
        self.hmc.users.get(user)?;
        Some(self.hmc.files.home(user))
    }
}
