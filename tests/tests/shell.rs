//! The HMC's restricted shell and the user's files over real OpenSSH, as
//! hmcscanner and administrators use them: `LANG=C` prefixes, `;` lists,
//! `while read` loops fed by a pipeline, `scp` of a profile file into the
//! user's home (SFTP, and the old protocol with `scp -O`), staged with
//! `mkdir`, `ls` and `rm` as hmc_update_upgrade does, and read back by
//! `mksyscfg -f`, and host files refused without a byte of them shown.
//! Skips, saying so, where sshpass, ssh or scp is not installed
//! (`.ci/run` installs them through tests/setup.sh).

use pvmlab_tests::{Lab, text};
use std::process::{Command, Output};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

const OPTS: &[&str] = &[
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
];

struct Hmc {
    target: String,
    port: String,
}

impl Hmc {
    fn ssh(&self, cmd: &str) -> (String, i32) {
        let out = Command::new("sshpass")
            .args(["-p", "abc123", "ssh"])
            .args(OPTS)
            .args(["-p", &self.port])
            .arg(&self.target)
            .arg(cmd)
            .output()
            .unwrap();
        (text(&out.stdout), out.status.code().unwrap_or(-1))
    }

    /// `scp` with OpenSSH's client; `extra` is e.g. `-O` for the old protocol.
    fn scp(&self, extra: &[&str], from: &str, to: &str) -> Output {
        Command::new("sshpass")
            .args(["-p", "abc123", "scp"])
            .args(OPTS)
            .args(["-P", &self.port])
            .args(extra)
            .args([from, to])
            .output()
            .unwrap()
    }
}

#[test]
fn hmcscanner_lines_and_scp_into_the_home() {
    if !have("sshpass") || !have("ssh") || !have("scp") {
        println!("SKIPPED: sshpass, ssh and scp are needed (tests/setup.sh installs them)");
        return;
    }
    let lab = Lab::new("127.44.19");
    lab.up();
    let addr = lab.topo.node("hmc1").unwrap().address.clone();
    let hmc = Hmc {
        target: format!("hscroot@{addr}"),
        port: lab.ssh_port().to_string(),
    };

    // hmcscanner sends every command with a LANG=C prefix.
    assert_eq!(
        hmc.ssh("LANG=C lssyscfg -r sys -F name"),
        ("sys1\nsys2\nsys3\n".into(), 0)
    );
    let (date, code) = hmc.ssh("LANG=C date +\"%Y-%m-%d %H:%M:%S\"");
    assert_eq!((date.len(), code), (20, 0), "{date}");
    // A `;` list runs each command; the status is the last one's.
    assert_eq!(
        hmc.ssh(
            "lssyscfg -r sys -F name | head -1; lssyscfg -r lpar -m sys3 -F name | grep -c vios"
        ),
        ("sys1\n2\n".into(), 0)
    );
    // A while-read loop fed by a pipeline, `$i` expanded in each turn.
    let (out, code) = hmc.ssh(
        "lssyscfg -r lpar -m sys3 -F name | grep vios | while read i j ; do echo \"#$i\"; lssyscfg -r lpar -m sys3 --filter lpar_names=$i -F lpar_env | grep vioserver ; done",
    );
    assert_eq!(
        (out.as_str(), code),
        ("#vios1\nvioserver\n#vios2\nvioserver\n", 0)
    );
    // hmcscanner's own loop shape over a VIOS's devices, through viosvrcmd.
    let (out, code) = hmc.ssh(
        "viosvrcmd -m 'sys3' -p 'vios1' -c \"lsdev -type disk\" | grep -E \"^hdisk[1-9]\" | while read i j ; do echo \"#$i\"; viosvrcmd -m 'sys3' -p 'vios1' -c \"lsdev -dev $i -attr\" | grep True ; done",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("#hdisk"), "{out}");
    assert_eq!(
        out.matches('#').count(),
        out.matches("reserve_policy").count(),
        "one block per disk: {out}"
    );

    // A profile file copied in with today's scp (SFTP), then `-f`.
    let dir = tempfile::tempdir().unwrap();
    let prof = dir.path().join("prof.txt");
    std::fs::write(
        &prof,
        "name=fromscp,lpar_name=aix72b,min_mem=1024,desired_mem=2048,max_mem=4096,proc_mode=ded,sharing_mode=share_idle_procs,min_procs=1,desired_procs=1,max_procs=2\n",
    )
    .unwrap();
    let out = hmc.scp(
        &[],
        prof.to_str().unwrap(),
        &format!("{}:prof.txt", hmc.target),
    );
    assert!(out.status.success(), "scp (SFTP): {}", text(&out.stderr));
    assert_eq!(
        hmc.ssh("mksyscfg -r prof -m sys3 -f prof.txt"),
        (String::new(), 0)
    );
    assert_eq!(
        hmc.ssh("lssyscfg -r prof -m sys3 --filter lpar_names=aix72b -F name | grep fromscp"),
        ("fromscp\n".into(), 0)
    );
    // The old scp protocol (`scp -O`: `scp -t` on the HMC), to an absolute path.
    let text2 = std::fs::read_to_string(&prof)
        .unwrap()
        .replace("fromscp", "fromlegacy");
    std::fs::write(&prof, text2).unwrap();
    let out = hmc.scp(
        &["-O"],
        prof.to_str().unwrap(),
        &format!("{}:/home/hscroot/legacy.txt", hmc.target),
    );
    assert!(out.status.success(), "scp -O: {}", text(&out.stderr));
    assert_eq!(
        hmc.ssh("mksyscfg -r prof -m sys3 -f /home/hscroot/legacy.txt"),
        (String::new(), 0)
    );
    assert_eq!(
        hmc.ssh("lssyscfg -r prof -m sys3 --filter lpar_names=aix72b -F name | grep -c from"),
        ("2\n".into(), 0)
    );
    // And back out of the home with both protocols.
    for extra in [&[][..], &["-O"][..]] {
        let back = dir.path().join("back.txt");
        let _ = std::fs::remove_file(&back);
        let out = hmc.scp(
            extra,
            &format!("{}:legacy.txt", hmc.target),
            back.to_str().unwrap(),
        );
        assert!(
            out.status.success(),
            "scp {extra:?} back: {}",
            text(&out.stderr)
        );
        assert!(
            std::fs::read_to_string(&back)
                .unwrap()
                .contains("fromlegacy")
        );
    }
    // hmc_update_upgrade location_type=disk: a directory made, media
    // copied into it, listed, removed.
    assert_eq!(hmc.ssh("mkdir -p network_install"), (String::new(), 0));
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    std::fs::write(media.join("base.img"), "x").unwrap();
    std::fs::write(media.join("disk1.img"), "y").unwrap();
    let out = hmc.scp(
        &["-r"],
        media.join("base.img").to_str().unwrap(),
        &format!("{}:/home/hscroot/network_install", hmc.target),
    );
    assert!(out.status.success(), "scp -r: {}", text(&out.stderr));
    let out = hmc.scp(
        &["-O"],
        media.join("disk1.img").to_str().unwrap(),
        &format!("{}:network_install/", hmc.target),
    );
    assert!(out.status.success(), "scp -O: {}", text(&out.stderr));
    assert_eq!(
        hmc.ssh("ls network_install/"),
        ("base.img\ndisk1.img\n".into(), 0)
    );
    assert_eq!(hmc.ssh("rm -rf network_install"), (String::new(), 0));
    assert_eq!(hmc.ssh("ls network_install").1, 2);

    // The files live in the HMC's data directory, not the host's /home.
    assert!(!std::path::Path::new("/home/hscroot/legacy.txt").exists());

    // Host files: refused, nothing of them shown, nothing changed.
    let (out, code) = hmc.ssh("mksyscfg -r lpar -m sys1 -f /etc/shadow");
    assert_eq!(
        (out.as_str(), code),
        (
            "/etc/shadow: Permission denied. Only files in your home directory /home/hscroot can be used.\n",
            1
        )
    );
    for line in [
        "mksyscfg -r prof -m sys3 -f ../../../etc/passwd",
        "grep root /etc/passwd",
        "while read l; do echo $l; done < /etc/passwd",
        "echo x > /tmp/pvmlab-shell-test",
    ] {
        let (out, code) = hmc.ssh(line);
        assert_ne!(code, 0, "{line}: {out}");
        assert!(!out.contains("root:"), "{line}: {out}");
    }
    assert!(!std::path::Path::new("/tmp/pvmlab-shell-test").exists());
    let out = hmc.scp(
        &[],
        &format!("{}:/etc/passwd", hmc.target),
        dir.path().join("p").to_str().unwrap(),
    );
    assert!(!out.status.success(), "SFTP read a host file");
    let out = hmc.scp(
        &["-O"],
        &format!("{}:/etc/passwd", hmc.target),
        dir.path().join("p").to_str().unwrap(),
    );
    assert!(!out.status.success(), "scp -f read a host file");
    assert!(!dir.path().join("p").exists());
    let out = hmc.scp(
        &["-O"],
        prof.to_str().unwrap(),
        &format!("{}:/tmp/pvmlab-shell-test", hmc.target),
    );
    assert!(!out.status.success(), "scp -t wrote a host file");
    assert!(!std::path::Path::new("/tmp/pvmlab-shell-test").exists());
}
