//! `lspath [-l hdiskN] [-p parent] [-s status] [-F fields]`: the MPIO
//! paths, one a line: `Enabled hdisk0 vscsi0`.

use super::{Env, Outcome, flags, usage};

const USAGE: &str = "Usage: lspath [-F Format] [-l Name] [-p Parent] [-s Status]";

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    let f = flags(args, &["-l", "-p", "-s", "-F"]).ok_or_else(|| usage(USAGE))?;
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    if f.iter().any(|(n, _)| !["-l", "-p", "-s", "-F"].contains(n)) {
        return Err(usage(USAGE));
    }
    let format = get("-F").unwrap_or("status:name:parent");
    let disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::new();
    for d in disks
        .iter()
        .filter(|d| get("-l").is_none_or(|l| l == d.name))
    {
        for (i, p) in d.paths.iter().enumerate() {
            if get("-p").is_some_and(|x| x != p.parent)
                || get("-s").is_some_and(|s| !s.eq_ignore_ascii_case(p.status.name()))
            {
                continue;
            }
            let fields: Vec<String> = format
                .split([':', ' '])
                .map(|field| match field {
                    "status" => p.status.name().to_string(),
                    "name" => d.name.clone(),
                    "parent" => p.parent.clone(),
                    "path_id" => i.to_string(),
                    "connection" => format!("{:x}", 0x8100_0000_0000_0000u64),
                    other => other.to_string(),
                })
                .collect();
            out.push_str(&fields.join(" "));
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::os::tests::env_with_paths;

    #[test]
    fn paths_are_listed_and_filtered() {
        env_with_paths(|env| {
            assert_eq!(
                super::run(env, &[]).unwrap(),
                "Enabled hdisk0 vscsi0\nFailed hdisk0 vscsi1\n"
            );
            assert_eq!(
                super::run(env, &["-l", "hdisk0", "-s", "failed"]).unwrap(),
                "Failed hdisk0 vscsi1\n"
            );
            assert_eq!(
                super::run(env, &["-F", "name:parent:path_id"]).unwrap(),
                "hdisk0 vscsi0 0\nhdisk0 vscsi1 1\n"
            );
            assert_eq!(super::run(env, &["-x"]).unwrap_err().1, 2);
        });
    }
}
