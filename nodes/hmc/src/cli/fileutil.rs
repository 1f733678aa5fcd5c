//! `ls`, `mkdir` and `rm` of the HMC's restricted shell, on the user's own
//! home only (`crate::files`), as ibm.power_hmc's `hmc_update_upgrade`
//! uses them to stage media: `mkdir -p network_install`, `scp` into it,
//! `ls network_install/`, `rm -rf network_install`. Messages are GNU
//! coreutils', which the HMC's Linux has.

use super::pipe::Fail;
use crate::files::{FileError, Home};

/// Splits `-abc` flags from operands; Err: a flag not in `known`.
fn flags(cmd: &str, args: &[String], known: &str) -> Result<(String, Vec<String>), Fail> {
    let (mut f, mut ops, mut done) = (String::new(), Vec::new(), false);
    for a in args {
        if done || a == "-" || !a.starts_with('-') {
            ops.push(a.clone());
        } else if a == "--" {
            done = true;
        } else {
            for c in a[1..].chars() {
                if !known.contains(c) {
                    return Err((
                        format!(
                            "{cmd}: invalid option -- '{c}'\nTry '{cmd} --help' for more information."
                        ),
                        if cmd == "ls" { 2 } else { 1 },
                    ));
                }
                f.push(c);
            }
        }
    }
    Ok((f, ops))
}

/// The reason coreutils gives for a file error.
fn why(e: &FileError) -> String {
    match e {
        FileError::NotFound(_) => "No such file or directory".into(),
        FileError::Outside { .. } => "Permission denied".into(),
        FileError::IsDir(_) => "Is a directory".into(),
        FileError::Io { why, .. } if why.contains("exists") => "File exists".into(),
        FileError::Io { why, .. } if why.contains("not empty") => "Directory not empty".into(),
        FileError::Io { why, .. } if why.contains("No such file") => {
            "No such file or directory".into()
        }
        FileError::Io { why, .. } => why.clone(),
        other => other.to_string(),
    }
}

/// `ls [-1alA] [path …]`: names one a line, as ls writes to a pipe; `-l`
/// with mode, size and modification time.
pub fn ls(args: &[String], home: &Home) -> Result<(String, u32), Fail> {
    let (f, mut ops) = flags("ls", args, "1alAd")?;
    let long = f.contains('l');
    let all = f.contains('a') || f.contains('A');
    if ops.is_empty() {
        ops.push(".".into());
    }
    let (mut out, mut err, mut code) = (String::new(), String::new(), 0);
    let line = |name: &str, m: &std::fs::Metadata| {
        if !long {
            return format!("{name}\n");
        }
        let kind = if m.is_dir() { 'd' } else { '-' };
        let when = m
            .modified()
            .ok()
            .map(chrono::DateTime::<chrono::Local>::from)
            .map(|t| t.format("%b %e %H:%M").to_string())
            .unwrap_or_default();
        let user = home.shown().rsplit('/').next().unwrap_or("");
        format!(
            "{kind}rw-r--r-- 1 {user} hmc {:>8} {when} {name}\n",
            m.len()
        )
    };
    let many = ops.len() > 1;
    for (i, p) in ops.iter().enumerate() {
        match home.metadata(p) {
            Err(e) => {
                err.push_str(&format!("ls: cannot access '{p}': {}\n", why(&e)));
                code = 2;
            }
            Ok((_, m)) if m.is_dir() && !f.contains('d') => {
                let entries = home
                    .list(p)
                    .map_err(|e| (format!("ls: {p}: {}", why(&e)), 2))?;
                if many {
                    out.push_str(&format!("{}{p}:\n", if i > 0 { "\n" } else { "" }));
                }
                for (name, m) in entries {
                    if all || !name.starts_with('.') {
                        out.push_str(&line(&name, &m));
                    }
                }
            }
            Ok((_, m)) => out.push_str(&line(p, &m)),
        }
    }
    out.push_str(&err);
    Ok((out, code))
}

/// `mkdir [-p] dir …`.
pub fn mkdir(args: &[String], home: &Home) -> Result<(String, u32), Fail> {
    let (f, ops) = flags("mkdir", args, "pv")?;
    if ops.is_empty() {
        return Err((
            "mkdir: missing operand\nTry 'mkdir --help' for more information.".into(),
            1,
        ));
    }
    let parents = f.contains('p');
    let mut err = String::new();
    for d in &ops {
        let r = if parents {
            // Each missing level in turn; an existing directory is fine.
            let mut path = String::new();
            let mut last = Ok(());
            for part in d.split('/').filter(|p| !p.is_empty()) {
                if path.is_empty() && d.starts_with('/') {
                    path.push('/');
                } else if !path.is_empty() && !path.ends_with('/') {
                    path.push('/');
                }
                path.push_str(part);
                last = match home.metadata(&path) {
                    Ok((_, m)) if m.is_dir() => Ok(()),
                    Ok(_) => Err(FileError::Io {
                        path: path.clone(),
                        why: "File exists".into(),
                    }),
                    Err(FileError::NotFound(_)) => home.mkdir(&path),
                    Err(e) => Err(e),
                };
                if last.is_err() {
                    break;
                }
            }
            last
        } else {
            home.mkdir(d)
        };
        if let Err(e) = r {
            err.push_str(&format!(
                "mkdir: cannot create directory '{d}': {}\n",
                why(&e)
            ));
        }
    }
    Ok((err.clone(), u32::from(!err.is_empty())))
}

/// Removes `path`, and with `recursive` what a directory holds first.
fn remove(home: &Home, path: &str, recursive: bool) -> Result<(), FileError> {
    let (_, m) = home.metadata(path)?;
    if !m.is_dir() {
        return home.remove(path);
    }
    if !recursive {
        return Err(FileError::IsDir(path.to_string()));
    }
    for (name, _) in home.list(path)? {
        remove(
            home,
            &format!("{}/{name}", path.trim_end_matches('/')),
            true,
        )?;
    }
    home.rmdir(path)
}

/// `rm [-rRf] path …`.
pub fn rm(args: &[String], home: &Home) -> Result<(String, u32), Fail> {
    let (f, ops) = flags("rm", args, "rRfiv")?;
    let force = f.contains('f');
    if ops.is_empty() && !force {
        return Err((
            "rm: missing operand\nTry 'rm --help' for more information.".into(),
            1,
        ));
    }
    let recursive = f.contains('r') || f.contains('R');
    let mut err = String::new();
    for p in &ops {
        match remove(home, p, recursive) {
            Ok(()) => {}
            Err(FileError::NotFound(_)) if force => {}
            Err(e) => err.push_str(&format!("rm: cannot remove '{p}': {}\n", why(&e))),
        }
    }
    Ok((err.clone(), u32::from(!err.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Files;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn stage_list_and_remove_a_directory_in_the_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = Files::new(dir.path().to_path_buf()).home("hscroot");
        assert_eq!(mkdir(&words("-p network_install/a"), &home).unwrap().1, 0);
        assert_eq!(mkdir(&words("-p network_install"), &home).unwrap().1, 0);
        let (e, code) = mkdir(&words("network_install"), &home).unwrap();
        assert_eq!(code, 1);
        assert!(e.contains("File exists"), "{e}");
        home.write("network_install/base.img", b"x").unwrap();
        assert_eq!(
            ls(&words("network_install/"), &home).unwrap(),
            ("a\nbase.img\n".to_string(), 0)
        );
        let (e, code) = rm(&words("network_install"), &home).unwrap();
        assert_eq!(code, 1);
        assert!(e.contains("Is a directory"), "{e}");
        assert_eq!(rm(&words("-rf network_install"), &home).unwrap().1, 0);
        let (e, code) = ls(&words("network_install"), &home).unwrap();
        assert_eq!(code, 2);
        assert!(e.contains("No such file or directory"), "{e}");
        assert_eq!(rm(&words("-f gone"), &home).unwrap().1, 0);
    }

    #[test]
    fn nothing_outside_the_home_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let home = Files::new(dir.path().to_path_buf()).home("hscroot");
        let (e, code) = ls(&words("/etc"), &home).unwrap();
        assert_eq!(code, 2);
        assert!(e.contains("Permission denied"), "{e}");
        let (e, _) = rm(&words("-rf /tmp ../../x"), &home).unwrap();
        assert_eq!(e.matches("Permission denied").count(), 2, "{e}");
        let (e, _) = mkdir(&words("-p /tmp/x"), &home).unwrap();
        assert!(e.contains("Permission denied"), "{e}");
        assert!(ls(&words("-z"), &home).is_err());
    }
}
