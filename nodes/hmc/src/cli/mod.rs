//! The HMC command line: the restricted shell behind SSH (exec and
//! interactive shell) and `pvmlab hmc <name> -- <line>`. It splits the line
//! as the HMC's restricted bash does (`lexer`), runs the command
//! (`crate::commands`) and the pipeline's filters (`pipe`). Only the SSH
//! server and the gRPC API use it; everything else calls the core.

#[cfg(test)]
mod fuzz;
mod lexer;
mod pipe;

use crate::commands::dispatch;
use crate::hmc::{Ctx, Hmc};
use crate::hscl::Hscl;
use std::future::Future;
use std::pin::Pin;
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
        run_line(&ctx, line).await
    }
}

pub(super) fn run_line<'a>(
    ctx: &'a Ctx<'a>,
    line: &'a str,
) -> Pin<Box<dyn Future<Output = (String, u32)> + Send + 'a>> {
    Box::pin(async move {
        let segments = match lexer::split(ctx, line).await {
            Ok(w) => w,
            Err(e) => return (format!("{e}\n"), 1),
        };
        let mut segments = segments.into_iter();
        let words = segments.next().unwrap_or_default();
        let Some((cmd, args)) = words.split_first() else {
            return (String::new(), 0);
        };
        tracing::info!(user = %ctx.user.name, %line, "command");
        let result = match dispatch(ctx, cmd, args).await {
            Ok(r) => r,
            Err(code) => return (format!("rbash: {cmd}: command not found\n"), code),
        };
        let (mut out, mut code) = match result {
            Ok(out) => (out, 0),
            Err(e) => (format!("{e}\n"), 1),
        };
        // The pipeline's status is its last command's, as in bash.
        for filter in segments {
            match pipe::apply(&filter, &out) {
                Ok((o, c)) => (out, code) = (o, c),
                Err(e) => return (format!("{e}\n"), 1),
            }
        }
        (out, code)
    })
}

/// The SSH server runs lines through the same dispatcher.
impl crate::ssh::Shell for Cli {
    fn check_password(&self, user: &str, password: &str) -> bool {
        self.hmc.users.check_password(user, password)
    }

    fn check_key(&self, user: &str, key_openssh: &str) -> bool {
        self.hmc.users.check_key(user, key_openssh)
    }

    fn run(&self, user: &str, line: &str) -> futures::future::BoxFuture<'static, (String, u32)> {
        let (cli, user, line) = (self.clone(), user.to_string(), line.to_string());
        Box::pin(async move { cli.run(&user, &line).await })
    }
}
