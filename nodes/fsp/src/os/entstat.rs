//! `entstat [-d] entN`: the partition's virtual Ethernet adapter (entN,
//! the Nth by slot) in AIX's layout, its packets as the partition's network
//! I/O has counted them: sent is transmitted, answered is received.

use super::{Env, OsError, Outcome, usage};
use pvmlab_common::entstat::{common, virt_specific};
use std::sync::atomic::Ordering;

const USAGE: &str = "Usage: entstat [-d] Device_Name";

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    let (detail, name) = match args {
        [name] if !name.starts_with('-') => (false, *name),
        ["-d", name] => (true, *name),
        _ => return Err(usage(USAGE)),
    };
    let adapter = name
        .strip_prefix("ent")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| env.eth.get(n))
        .ok_or_else(|| {
            OsError(
                format!("entstat: 0909-003 Unable to connect to device {name}, errno = 19\n"),
                1,
            )
        })?;
    let s = &env.os.stats;
    let packets = (
        s.sent.load(Ordering::Relaxed),
        s.delivered.load(Ordering::Relaxed),
    );
    let mut out = common(
        name,
        "Virtual I/O Ethernet Adapter (l-lan)",
        &adapter.mac,
        env.up_s,
        packets,
        20000,
        "Up Broadcast Running\n\tSimplex 64BitSupport ChecksumOffload\n\tDataRateSet VIOENT",
    );
    if detail {
        out.push_str(&virt_specific(&adapter.adapter, false));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::os::run;
    use crate::os::tests::env_with_paths;

    #[test]
    fn the_virtual_adapter_shows_its_packets_and_vlan() {
        env_with_paths(|env| {
            env.os
                .stats
                .sent
                .store(7, std::sync::atomic::Ordering::Relaxed);
            let (out, s) = run(env, "entstat -d ent0");
            assert_eq!(s, 0, "{out}");
            assert!(out.contains("ETHERNET STATISTICS (ent0) :"), "{out}");
            assert!(out.contains("Device Type: Virtual I/O Ethernet Adapter (l-lan)"));
            assert!(out.contains("Hardware Address: 02:11:22:03:00:02"), "{out}");
            assert!(out.contains("Packets: 7"), "{out}");
            assert!(out.contains("Port VLAN ID:     1"), "{out}");
            assert_eq!(
                run(env, "entstat ent3"),
                (
                    "entstat: 0909-003 Unable to connect to device ent3, errno = 19\n".into(),
                    1
                )
            );
            assert_eq!(run(env, "entstat").1, 2);
        });
    }
}
