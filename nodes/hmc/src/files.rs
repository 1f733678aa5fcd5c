//! The HMC's side of the users' homes (`pvmlab_common::files` keeps the
//! homes themselves): the home of the user whose command line runs, and
//! `-f FILE` read from it.

pub use pvmlab_common::files::*;

use crate::error::CmdError;

impl From<FileError> for CmdError {
    fn from(e: FileError) -> CmdError {
        CmdError::Usage(e.to_string())
    }
}

tokio::task_local! {
    /// The home of the user whose command line runs in this task. Commands
    /// parse `-f FILE` without a context (parsing is syntax only, see
    /// `commands::Command`), so the shell sets the home for the whole line
    /// and the readers below find it here.
    static CURRENT: Home;
}

/// Runs `f` (one command line) with `home` as the user's home.
pub async fn scope<F: std::future::Future>(home: Home, f: F) -> F::Output {
    CURRENT.scope(home, f).await
}

/// Runs `f` with `home` as the user's home, for synchronous callers.
#[cfg(test)]
pub fn sync_scope<R>(home: Home, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(home, f)
}

/// What `-f FILE` reads: the named file of the current user's home. Outside
/// a command line (no user), every file is refused.
pub fn read_input(path: &str) -> Result<String, CmdError> {
    CURRENT
        .try_with(|h| h.read_text(path))
        .unwrap_or_else(|_| {
            Err(FileError::Outside {
                path: path.to_string(),
                home: HOME_ROOT.to_string(),
            })
        })
        .map_err(CmdError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let d = tempfile::tempdir().unwrap();
        let h = Files::new(d.path().to_path_buf()).home("hscroot");
        (d, h)
    }

    #[test]
    fn the_shadow_file_is_refused_without_its_content() {
        let (_d, h) = home();
        let e = sync_scope(h, || read_input("/etc/shadow")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/shadow: Permission denied. Only files in your home directory /home/hscroot can be used."
        );
        // Without a user, nothing is read.
        assert!(read_input("/home/hscroot/x").is_err());
    }
}
