//! The users' own files on the HMC: each user has a home directory
//! (`/home/<user>`, as on a real HMC) kept inside the HMC's data directory,
//! never the host's. Files get there as on a real HMC, by `scp` over the
//! HMC's SSH (SFTP or the old scp protocol), and commands read them with
//! `-f FILE`. Every path a user gives is resolved here, lexically, against
//! the user's home: an absolute path elsewhere or `..` out of it is refused,
//! and a symbolic link is never followed, so nothing outside the lab's own
//! directory is ever read or written.

use std::path::PathBuf;

/// Where the HMC shows its users' homes.
pub const HOME_ROOT: &str = "/home";
/// The largest file a user may keep (a real HMC's home is a small file
/// system; profile and configuration files are a few KiB).
pub const MAX_FILE: u64 = 16 << 20;
/// The largest `-f` input a command reads.
pub const MAX_INPUT: u64 = 1 << 20;

/// The homes of one HMC's users.
#[derive(Clone, Debug)]
pub struct Files {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("The file {0} could not be found.")]
    NotFound(String),
    /// A path out of the user's home: the shown path only, never content.
    #[error("{path}: Permission denied. Only files in your home directory {home} can be used.")]
    Outside { path: String, home: String },
    #[error("The file {0} is a directory.")]
    IsDir(String),
    #[error("The file {0} is too large.")]
    TooLarge(String),
    #[error("The file {0} is not a text file.")]
    NotText(String),
    #[error("The file {path} cannot be used: {why}")]
    Io { path: String, why: String },
}

impl Files {
    /// `root` is the HMC's own `<data dir>/home`.
    pub fn new(root: PathBuf) -> Files {
        Files { root }
    }

    /// The home of `user`. A user name that could not be a directory name
    /// gets a home whose every path is refused.
    pub fn home(&self, user: &str) -> Home {
        let ok = !user.is_empty()
            && !user.starts_with('.')
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        Home {
            shown: format!("{HOME_ROOT}/{user}"),
            dir: ok.then(|| self.root.join(user)),
        }
    }
}

/// One user's home directory.
#[derive(Clone, Debug)]
pub struct Home {
    /// `/home/<user>`: what the user sees.
    shown: String,
    /// Where it is kept; None for a name that cannot have one.
    dir: Option<PathBuf>,
}

/// A path resolved inside a home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The absolute path as the user sees it (`/home/hscroot/p.txt`).
    pub shown: String,
    /// The components below the home, none of them `.` or `..`.
    pub rel: Vec<String>,
}

impl Home {
    /// `/home/<user>`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Resolves `path` as the user's shell would from the home directory,
    /// without touching the disk: relative paths start at the home, `.` and
    /// `..` are folded, and the result must lie inside the home.
    pub fn resolve(&self, path: &str) -> Result<Resolved, FileError> {
        let outside = || FileError::Outside {
            path: path.to_string(),
            home: self.shown.clone(),
        };
        if path.is_empty() {
            return Err(FileError::NotFound(path.to_string()));
        }
        if path.contains('\0') {
            return Err(outside());
        }
        let full = if path.starts_with('/') {
            path.to_string()
        } else if path == "~" || path.starts_with("~/") {
            format!("{}{}", self.shown, &path[1..])
        } else {
            format!("{}/{path}", self.shown)
        };
        let mut stack: Vec<&str> = Vec::new();
        for part in full.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    stack.pop();
                }
                p => stack.push(p),
            }
        }
        let home: Vec<&str> = self.shown.split('/').filter(|p| !p.is_empty()).collect();
        if self.dir.is_none() || stack.len() < home.len() || stack[..home.len()] != home[..] {
            return Err(outside());
        }
        let rel: Vec<String> = stack[home.len()..].iter().map(|s| s.to_string()).collect();
        let shown = if rel.is_empty() {
            self.shown.clone()
        } else {
            format!("{}/{}", self.shown, rel.join("/"))
        };
        Ok(Resolved { shown, rel })
    }

    /// The host path of a resolved path, after checking that no part of it
    /// below the home is a symbolic link (the HMC makes none; one put there
    /// by anything else is not followed).
    fn host(&self, r: &Resolved) -> Result<PathBuf, FileError> {
        let dir = self.dir.as_ref().ok_or_else(|| FileError::Outside {
            path: r.shown.clone(),
            home: self.shown.clone(),
        })?;
        let mut p = dir.clone();
        for part in &r.rel {
            p.push(part);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(FileError::Outside {
                    path: r.shown.clone(),
                    home: self.shown.clone(),
                });
            }
        }
        Ok(p)
    }

    fn io(r: &Resolved, e: std::io::Error) -> FileError {
        match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound(r.shown.clone()),
            _ if e.raw_os_error() == Some(libc::EISDIR) => FileError::IsDir(r.shown.clone()),
            _ => FileError::Io {
                path: r.shown.clone(),
                why: e.kind().to_string(),
            },
        }
    }

    fn ensure(&self) -> Result<(), FileError> {
        if let Some(d) = &self.dir {
            std::fs::create_dir_all(d).map_err(|e| FileError::Io {
                path: self.shown.clone(),
                why: e.kind().to_string(),
            })?;
        }
        Ok(())
    }

    /// Opens a file of the home for reading (never through a symbolic link).
    pub fn open_read(&self, path: &str) -> Result<(Resolved, std::fs::File), FileError> {
        use std::os::unix::fs::OpenOptionsExt;
        let r = self.resolve(path)?;
        let p = self.host(&r)?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&p)
            .map_err(|e| Self::io(&r, e))?;
        let m = f.metadata().map_err(|e| Self::io(&r, e))?;
        if m.is_dir() {
            return Err(FileError::IsDir(r.shown));
        }
        Ok((r, f))
    }

    /// Opens (creating) a file of the home for writing; `truncate` as
    /// SFTP's and scp's flags ask.
    pub fn open_write(
        &self,
        path: &str,
        truncate: bool,
    ) -> Result<(Resolved, std::fs::File), FileError> {
        use std::os::unix::fs::OpenOptionsExt;
        self.ensure()?;
        let r = self.resolve(path)?;
        if r.rel.is_empty() {
            return Err(FileError::IsDir(r.shown));
        }
        let p = self.host(&r)?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(truncate)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&p)
            .map_err(|e| Self::io(&r, e))?;
        Ok((r, f))
    }

    /// A whole text file, as `-f FILE` reads it.
    pub fn read_text(&self, path: &str) -> Result<String, FileError> {
        use std::io::Read;
        let (r, f) = self.open_read(path)?;
        let mut buf = Vec::new();
        f.take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Self::io(&r, e))?;
        if buf.len() as u64 > MAX_INPUT {
            return Err(FileError::TooLarge(r.shown));
        }
        String::from_utf8(buf).map_err(|_| FileError::NotText(r.shown))
    }

    /// Writes a whole file (tests put files in place with it).
    pub fn write(&self, path: &str, data: &[u8]) -> Result<Resolved, FileError> {
        if data.len() as u64 > MAX_FILE {
            return Err(FileError::TooLarge(path.to_string()));
        }
        let (r, mut f) = self.open_write(path, true)?;
        std::io::Write::write_all(&mut f, data).map_err(|e| Self::io(&r, e))?;
        Ok(r)
    }

    /// Metadata of a path inside the home (never following a link).
    pub fn metadata(&self, path: &str) -> Result<(Resolved, std::fs::Metadata), FileError> {
        let r = self.resolve(path)?;
        if r.rel.is_empty() {
            self.ensure()?;
        }
        let p = self.host(&r)?;
        let m = std::fs::symlink_metadata(&p).map_err(|e| Self::io(&r, e))?;
        Ok((r, m))
    }

    /// The entries of a directory of the home: names with their metadata.
    pub fn list(&self, path: &str) -> Result<Vec<(String, std::fs::Metadata)>, FileError> {
        let (r, m) = self.metadata(path)?;
        if !m.is_dir() {
            return Err(FileError::NotFound(r.shown));
        }
        let p = self.host(&r)?;
        let mut out = Vec::new();
        for e in std::fs::read_dir(&p).map_err(|e| Self::io(&r, e))? {
            let e = e.map_err(|e| Self::io(&r, e))?;
            let (Ok(name), Ok(m)) = (e.file_name().into_string(), e.metadata()) else {
                continue;
            };
            if !m.file_type().is_symlink() {
                out.push((name, m));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    pub fn mkdir(&self, path: &str) -> Result<(), FileError> {
        self.ensure()?;
        let r = self.resolve(path)?;
        let p = self.host(&r)?;
        std::fs::create_dir(&p).map_err(|e| Self::io(&r, e))
    }

    pub fn remove(&self, path: &str) -> Result<(), FileError> {
        let r = self.resolve(path)?;
        let p = self.host(&r)?;
        std::fs::remove_file(&p).map_err(|e| Self::io(&r, e))
    }

    pub fn rmdir(&self, path: &str) -> Result<(), FileError> {
        let r = self.resolve(path)?;
        if r.rel.is_empty() {
            return Err(FileError::Io {
                path: r.shown,
                why: "permission denied".into(),
            });
        }
        let p = self.host(&r)?;
        std::fs::remove_dir(&p).map_err(|e| Self::io(&r, e))
    }

    pub fn rename(&self, from: &str, to: &str) -> Result<(), FileError> {
        let (a, b) = (self.resolve(from)?, self.resolve(to)?);
        let (pa, pb) = (self.host(&a)?, self.host(&b)?);
        std::fs::rename(&pa, &pb).map_err(|e| Self::io(&a, e))
    }
}

/// Whether a host path has only normal parts (used by tests of the layout).
#[cfg(test)]
fn plain(p: &std::path::Path) -> bool {
    use std::path::Component;
    p.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::RootDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let d = tempfile::tempdir().unwrap();
        let h = Files::new(d.path().join("home")).home("hscroot");
        (d, h)
    }

    #[test]
    fn paths_resolve_inside_the_home_only() {
        let (_d, h) = home();
        let rel = |p: &str| h.resolve(p).map(|r| r.rel.join("/"));
        assert_eq!(rel("p.txt").unwrap(), "p.txt");
        assert_eq!(rel("./a/../p.txt").unwrap(), "p.txt");
        assert_eq!(rel("/home/hscroot/p.txt").unwrap(), "p.txt");
        assert_eq!(rel("~/d/p.txt").unwrap(), "d/p.txt");
        assert_eq!(rel("/home/hscroot").unwrap(), "");
        assert_eq!(
            h.resolve("sub/p").unwrap().shown,
            "/home/hscroot/sub/p".to_string()
        );
        for bad in [
            "/etc/shadow",
            "../other/p",
            "../../etc/passwd",
            "/home/hscroot/../../etc/shadow",
            "/home/hscrootx/p",
            "/home",
            "/",
            "a\0b",
        ] {
            assert!(
                matches!(h.resolve(bad), Err(FileError::Outside { .. })),
                "{bad} was not refused"
            );
        }
        // A name that cannot be a directory has no home at all.
        let d = tempfile::tempdir().unwrap();
        let odd = Files::new(d.path().to_path_buf()).home("../x");
        assert!(odd.resolve("p").is_err());
    }

    #[test]
    fn files_are_written_and_read_under_the_data_dir() {
        let (d, h) = home();
        h.write("prof.txt", b"name=a\n").unwrap();
        assert!(d.path().join("home/hscroot/prof.txt").is_file());
        assert!(plain(&d.path().join("home/hscroot/prof.txt")));
        assert_eq!(h.read_text("/home/hscroot/prof.txt").unwrap(), "name=a\n");
        assert_eq!(
            h.read_text("missing.txt"),
            Err(FileError::NotFound("/home/hscroot/missing.txt".into()))
        );
        assert!(matches!(
            h.read_text("/home/hscroot"),
            Err(FileError::IsDir(_))
        ));
        let names: Vec<String> = h.list(".").unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(names, vec!["prof.txt".to_string()]);
        h.rename("prof.txt", "p2.txt").unwrap();
        h.remove("p2.txt").unwrap();
        assert!(h.list(".").unwrap().is_empty());
    }

    #[test]
    fn a_symbolic_link_is_not_followed() {
        let (d, h) = home();
        h.write("x", b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("home/hscroot/link")).unwrap();
        assert!(matches!(
            h.read_text("link"),
            Err(FileError::Outside { .. })
        ));
        assert!(h.open_write("link", true).is_err());
    }
}
