//! The HMC over SSH with real OpenSSH, as Ansible's power_hmc drives it
//! (`sshpass -p ... ssh user@hmc '<command>'`, one command per connection),
//! as an administrator's interactive shell does, and with keys added by
//! `mkauthkeys`. Skips, saying so, where sshpass or ssh is not installed
//! (`.ci/run` installs them through tests/setup.sh).

use pvmlab_tests::{Lab, text};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

const OPTS_: &[&str] = &[
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
];

thread_local! {
    static PORT: std::cell::Cell<u16> = const { std::cell::Cell::new(22) };
}

/// OpenSSH options: no host-key prompts, and the lab's SSH port.
fn opts() -> Vec<String> {
    let mut v: Vec<String> = OPTS_.iter().map(|s| s.to_string()).collect();
    v.push("-p".into());
    v.push(PORT.with(|p| p.get()).to_string());
    v
}

fn sshpass(password: &str, target: &str, cmd: &str) -> Output {
    Command::new("sshpass")
        .args(["-p", password, "ssh"])
        .args(opts())
        .arg(target)
        .arg(cmd)
        .output()
        .unwrap()
}

#[test]
fn openssh_exec_interactive_shell_and_keys() {
    if !have("sshpass") || !have("ssh") || !have("ssh-keygen") {
        println!("SKIPPED: sshpass, ssh and ssh-keygen are needed (tests/setup.sh installs them)");
        return;
    }
    let lab = Lab::new("127.43.12");
    lab.up();
    PORT.with(|p| p.set(lab.ssh_port()));
    let hmc1 = format!("hscroot@{}", lab.topo.node("hmc1").unwrap().address);

    // Ansible's command lines, one connection each, checked under its parsing rules.
    let out = sshpass("abc123", &hmc1, "lssyscfg -r sys -F name,state");
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("sys1,Operating\nsys2,Operating\nsys3,Operating\n", Some(0))
    );
    let out = sshpass("abc123", &hmc1, "lssyscfg -r sys -m sys2");
    let rec = text(&out.stdout);
    assert!(
        rec.starts_with("name=sys2,type_model=8286-42A,serial_num=21A5E8V,")
            && rec.contains(",state=Operating,"),
        "{rec}"
    );
    let out = sshpass(
        "abc123",
        &hmc1,
        "lssyscfg -r prof -m sys2 --filter \"lpar_names=lnx01,profile_names=default_profile\" -F name,lpar_name,virtual_scsi_adapters",
    );
    let line = text(&out.stdout);
    assert_eq!(
        line,
        "default_profile,lnx01,\"3/client/1/vios1/13/1,4/client/2/vios2/13/1\"\n"
    );
    let out = sshpass("abc123", &hmc1, "lshmc -V");
    assert!(text(&out.stdout).contains("base_version=V10R3"));
    let out = sshpass(
        "abc123",
        &hmc1,
        "lslic -m sys2 -F activated_spname,activated_level,ecnumber",
    );
    assert_eq!(text(&out.stdout), "FW860.00,180,01SV860\n");
    let out = sshpass("abc123", &hmc1, "lssysconn -r all -F type_model_serial_num");
    assert_eq!(
        text(&out.stdout),
        "9117-MMD*658B2AD\n8286-42A*21A5E8V\n8286-42A*21A5E9V\n"
    );
    let out = sshpass("abc123", &hmc1, "lssyscfg -r lpar -m sys2 -F lpar_id");
    assert_eq!(text(&out.stdout), "1\n2\n3\n4\n5\n");
    // Errors: HSCL text and a non-zero exit status; a wrong password is sshpass's 5.
    let out = sshpass(
        "abc123",
        &hmc1,
        "lssyscfg -r lpar -m sys2 --filter lpar_names=ghost",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("HSCL8012 "));
    assert_eq!(sshpass("wrong", &hmc1, "lshmc -V").status.code(), Some(5));
    // A user whose remote_ssh_access is off cannot log on over SSH.
    let addr = lab.topo.node("hmc1").unwrap().address.clone();
    let (out, code) = lab.hmc(
        "hmc1",
        "mkhmcusr -i \"name=ops7,taskrole=hmcoperator,passwd=Operat0r99\"",
    );
    assert_eq!(code, 0, "{out}");
    let ops7 = format!("ops7@{addr}");
    assert_eq!(
        sshpass("Operat0r99", &ops7, "lshmc -V").status.code(),
        Some(0)
    );
    assert_eq!(
        lab.hmc("hmc1", "chhmcusr -i \"name=ops7,remote_ssh_access=0\"")
            .1,
        0
    );
    assert_eq!(
        sshpass("Operat0r99", &ops7, "lshmc -V").status.code(),
        Some(5)
    );
    // Pipes through grep, as in the reference's SEA example.
    let out = sshpass(
        "abc123",
        &hmc1,
        "lshwres -r virtualio --rsubtype eth -m sys2 --level lpar |grep vios1",
    );
    let rows = text(&out.stdout);
    assert_eq!(rows.lines().count(), 2, "{rows}");
    assert!(
        rows.lines()
            .all(|l| l.starts_with("lpar_name=vios1,lpar_id=1,")),
        "{rows}"
    );

    // The interactive shell: prompt, commands in order, backticks, exit.
    let mut child = Command::new("sshpass")
        .args(["-p", "abc123", "ssh", "-tt"])
        .args(opts())
        .arg(&hmc1)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"lssyscfg -r lpar -m sys3 -F name:state\necho `lssyscfg -r lpar -m sys3 -F curr_profile --filter lpar_names=aix72b`\nlssyscfg -r lpar -m sys3 -F lpar_id --filter lpar_names=lnx02\nexit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("hscroot@hmc1:~> "), "{screen}");
    assert!(screen.contains("vios1:Running\r\nvios2:Running\r\naix72b:Running\r\nlnx02:Running\r\nweb01:Not Activated\r\n"), "{screen}");
    // echo is a bash builtin: the backticks' output comes back.
    assert!(screen.contains("\r\ndefault_profile\r\n"), "{screen}");
    assert!(screen.contains("\r\n4\r\n"), "{screen}");

    // Keys: mkauthkeys --add lets the key in, --remove shuts it out again.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "admin@lab", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let add = lab.pvmlab(&[
        "hmc",
        "hmc1",
        "--",
        &format!("mkauthkeys --add '{}'", pubkey.trim()),
    ]);
    assert!(add.status.success(), "{}", text(&add.stdout));
    let by_key = |cmd: &str| {
        Command::new("ssh")
            .args([
                "-i",
                key.to_str().unwrap(),
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .args(opts())
            .arg(&hmc1)
            .arg(cmd)
            .output()
            .unwrap()
    };
    let out = by_key("lssyscfg -r sys -F name");
    assert_eq!(text(&out.stdout), "sys1\nsys2\nsys3\n");
    assert!(
        lab.pvmlab(&["hmc", "hmc1", "--", "mkauthkeys --remove admin@lab"])
            .status
            .success()
    );
    assert_ne!(
        by_key("lssyscfg -r sys -F name").status.code(),
        Some(0),
        "the key no longer works"
    );
    // The other HMC never had the key: users and keys are per HMC.
    let hmc2 = format!("hscroot@{}", lab.topo.node("hmc2").unwrap().address);
    assert!(
        lab.pvmlab(&[
            "hmc",
            "hmc1",
            "--",
            &format!("mkauthkeys --add '{}'", pubkey.trim())
        ])
        .status
        .success()
    );
    let other = Command::new("ssh")
        .args([
            "-i",
            key.to_str().unwrap(),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .args(opts())
        .arg(&hmc2)
        .arg("lshmc -V")
        .output()
        .unwrap();
    assert_ne!(other.status.code(), Some(0));

    // A viewer over SSH lists but may not change anything.
    assert!(
        lab.pvmlab(&[
            "hmc",
            "hmc1",
            "--",
            "mkhmcusr -u watcher -a hmcviewer --passwd watch123"
        ])
        .status
        .success()
    );
    let out = sshpass(
        "watch123",
        &format!("watcher@{}", lab.topo.node("hmc1").unwrap().address),
        "chsysstate -r sys -m sys3 -o off --immed",
    );
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        (
            "HSCL350B The user does not have the appropriate authority.\n",
            Some(1)
        )
    );
    assert_eq!(
        text(&sshpass("abc123", &hmc1, "lssyscfg -r sys -m sys3 -F state").stdout),
        "Operating\n"
    );
}
