//! padmin over SSH to the VIOS's own address: the restricted shell (`$ `),
//! the same padmin commands `viosvrcmd` runs through the HMC, files in
//! padmin's home by `scp`; password or keys (the topology's, and those in
//! `~/.ssh/authorized_keys` of the home). The root shell is not given.

use crate::service::Shared;
use pvmlab_common::files::{Files, Home};
use pvmlab_common::ssh::Shell;
use std::sync::Arc;

const PADMIN: &str = "padmin";

pub struct Padmin {
    pub shared: Arc<Shared>,
    pub password: String,
    pub keys: Vec<String>,
    pub files: Files,
}

/// The type and base64 of a key line, which is what identifies it.
fn key_id(line: &str) -> Option<(&str, &str)> {
    let mut w = line.split_whitespace();
    Some((w.next()?, w.next()?))
}

impl Shell for Padmin {
    fn check_password(&self, user: &str, password: &str) -> bool {
        user == PADMIN && password == self.password
    }

    fn check_key(&self, user: &str, key: &str) -> bool {
        if user != PADMIN {
            return false;
        }
        let Some(want) = key_id(key) else {
            return false;
        };
        let from_home = self
            .files
            .home(PADMIN)
            .read_text(".ssh/authorized_keys")
            .unwrap_or_default();
        self.keys
            .iter()
            .map(String::as_str)
            .chain(from_home.lines())
            .any(|l| key_id(l) == Some(want))
    }

    fn run(&self, _user: &str, line: &str) -> futures::future::BoxFuture<'static, (String, u32)> {
        let shared = self.shared.clone();
        let line = line.to_string();
        Box::pin(async move {
            if line.split_whitespace().next() == Some("oem_setup_env") {
                return (
                    "oem_setup_env: the root shell is not available on this Virtual I/O Server; padmin's commands are.\n"
                        .to_string(),
                    1,
                );
            }
            tracing::info!(%line, "padmin command over SSH");
            shared
                .run(&[], &line)
                .unwrap_or_else(|e| (format!("{}\n", e.message()), 1))
        })
    }

    fn home(&self, user: &str) -> Option<Home> {
        (user == PADMIN).then(|| self.files.home(PADMIN))
    }

    fn prompt(&self, _user: &str, _hostname: &str) -> String {
        "$ ".into()
    }
}
