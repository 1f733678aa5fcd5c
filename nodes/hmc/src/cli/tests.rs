//! The shell end to end over a real `Cli` (an HMC with no frames): lists,
//! prefixes, loops fed by pipelines, expansions, the utilities, and
//! rbash's refusals.

use super::Cli;
use crate::frames::View;
use crate::hmc::Hmc;
use crate::users::Users;
use pvmlab_common::model::Role;
use std::sync::Arc;

/// A Cli on an HMC without frames, its data in the returned directory.
pub(super) fn cli() -> (tempfile::TempDir, Cli) {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f);
    pvmlab_common::pki::make_ca("shell", &p("ca.crt"), &p("ca.key")).unwrap();
    pvmlab_common::pki::issue(
        &p("ca.crt"),
        &p("ca.key"),
        "hmc1",
        Role::Hmc,
        &[],
        &p("h.crt"),
        &p("h.key"),
    )
    .unwrap();
    let id =
        pvmlab_common::net::Identity::from_files("hmc1", &p("ca.crt"), &p("h.crt"), &p("h.key"))
            .unwrap();
    let store = pvmlab_common::store::Store::open(&p("hmc.redb")).unwrap();
    let cli = Cli::new(Arc::new(Hmc {
        name: "hmc1".into(),
        version: "V10R3M1050".into(),
        address: "127.0.0.1".into(),
        view: View::default(),
        users: Users::open(store).unwrap(),
        id,
        grpc_port: 1,
        lpm: Default::default(),
        rr: crate::restarts::Configs::open(&p("rr.redb")).unwrap(),
        rr_auto_cleanup: false,
        peers: Vec::new(),
        power: Default::default(),
        util: Default::default(),
        files: crate::files::Files::new(p("home")),
    }));
    (dir, cli)
}

/// Whether output shows a line of the host's passwd or shadow file.
pub(super) fn leaked(out: &str) -> bool {
    ["root:x:", "root:*", "root:!", "root:$"]
        .iter()
        .any(|m| out.contains(m))
}

async fn run(cli: &Cli, line: &str) -> (String, u32) {
    cli.run("hscroot", line).await
}

#[tokio::test]
async fn prefixes_lists_and_conditionals() {
    let (_d, cli) = cli();
    let (v, code) = run(&cli, "lshmc -V").await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(run(&cli, "LANG=C lshmc -V").await, (v.clone(), 0));
    assert_eq!(
        run(&cli, "LANG=C echo a; echo b").await,
        ("a\nb\n".into(), 0)
    );
    assert_eq!(
        run(&cli, "false && echo no || echo yes").await,
        ("yes\n".into(), 0)
    );
    assert_eq!(run(&cli, "X=1; echo $X ${X}2 \"$X\"").await.0, "1 12 1\n");
    assert_eq!(
        run(&cli, "echo $HOME; pwd").await.0,
        "/home/hscroot\n/home/hscroot\n"
    );
    assert_eq!(
        run(&cli, "if [ 1 -lt 2 ]; then echo small; else echo big; fi")
            .await
            .0,
        "small\n"
    );
    assert_eq!(
        run(&cli, "for s in sys1 sys2; do echo \"<$s>\"; done")
            .await
            .0,
        "<sys1>\n<sys2>\n"
    );
    assert_eq!(
        run(&cli, "nosuch; echo $?").await.0,
        "rbash: nosuch: command not found\n127\n"
    );
    assert_eq!(run(&cli, "exit 3").await.1, 3);
    assert_eq!(run(&cli, "echo a # comment").await.0, "a\n");
    assert_eq!(
        run(
            &cli,
            "echo 'vios1,vioserver' | while read i; do echo ${i%%,*} ${i#*,} ${#i} ${u:-none}; done"
        )
        .await
        .0,
        "vios1 vioserver 15 none\n"
    );
}

#[tokio::test]
async fn a_while_read_loop_fed_by_a_pipeline() {
    let (_d, cli) = cli();
    // hmcscanner's shape, with echo standing in for viosvrcmd's lsdev.
    let line = r##"echo "ent4 Available Shared Ethernet Adapter
ent5 Available Virtual I/O Ethernet Adapter
ent6 Available Shared Ethernet Adapter" | grep "Shared Ethernet Adapter" | while read i j ; do echo "#$i"; echo "$j" | grep -c Shared ; done"##;
    assert_eq!(run(&cli, line).await, ("#ent4\n1\n#ent6\n1\n".into(), 0));
    // Unquoted expansions split into words; quoted ones do not.
    assert_eq!(
        run(
            &cli,
            "echo 'a  b' | while read x; do for w in $x; do echo [$w]; done; echo \"$x\"; done"
        )
        .await
        .0,
        "[a]\n[b]\na  b\n"
    );
    // Command substitution, both spellings.
    assert_eq!(run(&cli, "echo `echo a b` $(echo c)").await.0, "a b c\n");
    assert_eq!(
        run(&cli, "echo x | while read v; do echo $v; done | wc -l")
            .await
            .0,
        "1\n"
    );
}

#[tokio::test]
async fn utilities_on_command_output() {
    let (_d, cli) = cli();
    let t = "echo 'b,2\na,10\nc,1\na,10'";
    assert_eq!(
        run(&cli, &format!("{t} | sort -t , -k 2 -n | head -1"))
            .await
            .0,
        "c,1\n"
    );
    assert_eq!(run(&cli, &format!("{t} | sort -u | wc -l")).await.0, "3\n");
    assert_eq!(
        run(&cli, &format!("{t} | cut -d , -f 1 | sort | uniq -c"))
            .await
            .0,
        "      2 a\n      1 b\n      1 c\n"
    );
    assert_eq!(
        run(&cli, &format!("{t} | awk -F, '$2 > 1 {{print $1}}'"))
            .await
            .0,
        "b\na\na\n"
    );
    assert_eq!(
        run(&cli, &format!("{t} | sed -n '/^a/p' | tail -1"))
            .await
            .0,
        "a,10\n"
    );
    assert_eq!(
        run(&cli, &format!("{t} | tr , ' ' | grep -E '^[ab] '"))
            .await
            .0,
        "b 2\na 10\na 10\n"
    );
    let (d, code) = run(&cli, "date +\"%Y-%m-%d %H:%M:%S\"").await;
    assert_eq!((d.len(), code), (20, 0), "{d}");
}

#[tokio::test]
async fn rbash_refusals() {
    let (_d, cli) = cli();
    for (line, want, code) in [
        (
            "echo secret > /tmp/x",
            "rbash: /tmp/x: restricted: cannot redirect output\n",
            1,
        ),
        (
            "lshmc -V >> out.txt",
            "rbash: out.txt: restricted: cannot redirect output\n",
            1,
        ),
        (
            "echo a 2>/dev/null",
            "rbash: /dev/null: restricted: cannot redirect output\n",
            1,
        ),
        (
            "/bin/sh -c id",
            "rbash: /bin/sh: restricted: cannot specify `/' in command names\n",
            1,
        ),
        ("PATH=/bin:/usr/bin", "rbash: PATH: readonly variable\n", 1),
        ("PATH=/bin lshmc -V", "rbash: PATH: readonly variable\n", 1),
        ("cd /etc", "rbash: cd: restricted\n", 1),
        ("exec sh", "rbash: exec: restricted\n", 1),
        ("cat /etc/shadow", "rbash: cat: command not found\n", 127),
        (
            "echo a |",
            "rbash: syntax error: unexpected end of file\n",
            2,
        ),
        ("; ls", "rbash: syntax error near unexpected token `;'\n", 2),
    ] {
        assert_eq!(run(&cli, line).await, (want.to_string(), code), "{line}");
    }
    // `2>&1` duplicates a descriptor, which rbash allows.
    assert_eq!(run(&cli, "echo a 2>&1").await, ("a\n".into(), 0));
}

#[tokio::test]
async fn host_files_are_never_read() {
    let (_d, cli) = cli();
    for line in [
        "grep root /etc/passwd",
        "head /etc/shadow",
        "awk '{print}' /etc/passwd",
        "sed p /etc/passwd",
        "grep root < /etc/passwd",
        "while read l; do echo $l; done < /etc/passwd",
        "wc -l ../../etc/passwd",
        "mksyscfg -r lpar -m sys1 -f /etc/shadow",
        "chsyscfg -r prof -m sys1 -f /etc/passwd",
    ] {
        let (out, code) = run(&cli, line).await;
        assert_ne!(code, 0, "{line}: {out}");
        assert!(!leaked(&out), "{line}: {out}");
        assert!(
            out.contains("Permission denied") || out.contains("HSCL8018"),
            "{line}: {out}"
        );
    }
}

#[tokio::test]
async fn files_of_the_home_are_read() {
    let (_d, cli) = cli();
    let home = cli.hmc().files.home("hscroot");
    home.write("lpars.txt", b"lnx01,Running\naix01,Not Activated\n")
        .unwrap();
    assert_eq!(run(&cli, "grep -c Running lpars.txt").await.0, "1\n");
    assert_eq!(run(&cli, "wc -l < /home/hscroot/lpars.txt").await.0, "2\n");
    assert_eq!(
        run(&cli, "while read l; do echo \"[$l]\"; done < ~/lpars.txt")
            .await
            .0,
        "[lnx01,Running]\n[aix01,Not Activated]\n"
    );
    assert_eq!(
        run(&cli, "grep -c x missing.txt").await,
        (
            "grep: The file /home/hscroot/missing.txt could not be found.\n".into(),
            2
        )
    );
}
