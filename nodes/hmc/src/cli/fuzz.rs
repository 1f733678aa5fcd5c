//! A fixed-budget random test of the command line: whatever bytes a user
//! types, the dispatcher answers with output and an exit status and never
//! panics, and a line that fails changes nothing. Deterministic (fixed seed)
//! so a failure reproduces.

use super::Cli;
use crate::frames::View;
use crate::hmc::Hmc;
use crate::users::Users;
use pvmlab_common::model::Role;
use std::sync::Arc;

/// xorshift64*: small, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "lssyscfg",
    "chsysstate",
    "mksyscfg",
    "chsyscfg",
    "rmsyscfg",
    "lshwres",
    "lshmc",
    "lshmcusr",
    "mkhmcusr",
    "chhmcusr",
    "rmhmcusr",
    "mkauthkeys",
    "lsrefcode",
    "lssysconn",
    "viosvrcmd",
    "chhwres",
    "rrstartlpar",
    "validate",
    "restart",
    "cleanup",
    "--noconnection",
    "-t",
    "-q",
    "--procs",
    "--procunits",
    "-r",
    "-m",
    "-F",
    "-i",
    "-n",
    "-o",
    "-p",
    "--id",
    "--filter",
    "--header",
    "--immed",
    "-V",
    "sys",
    "lpar",
    "prof",
    "mem",
    "proc",
    "virtualio",
    "--rsubtype",
    "eth",
    "--level",
    "sys1",
    "name,state",
    "lpar_names=a,b",
    "\"",
    "'",
    "`",
    "|",
    "grep",
    "=",
    ",",
    "\"name=x,lpar_env=aixlinux\"",
    "on",
    "off",
    "-u",
    "hscroot",
    "-a",
    "hmcviewer",
    "--passwd",
    "\\",
    "\"\"",
    "desired_mem=1x",
    "virtual_eth_adapters=2/0/1//0/0",
    "head",
    "-n",
    "999999999999",
];

fn line(rng: &mut Rng) -> String {
    let n = 1 + rng.below(9);
    let mut s = String::new();
    for _ in 0..n {
        if rng.below(6) == 0 {
            // Raw noise, including multi-byte and control characters.
            let c = [
                '\u{0}', '\u{7f}', 'é', '€', '\t', '"', '`', '\\', '|', '$', '=', ',',
            ][rng.below(12)];
            s.push(c);
        } else {
            s.push_str(WORDS[rng.below(WORDS.len())]);
        }
        if rng.below(4) != 0 {
            s.push(' ');
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_lines_never_panic_and_failures_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f);
    pvmlab_common::pki::make_ca("fuzz", &p("ca.crt"), &p("ca.key")).unwrap();
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
        util: Default::default(),
        power: Default::default(),
    }));
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let budget = 20_000;
    for _ in 0..budget {
        let l = line(&mut rng);
        let before = cli.hmc().users.all();
        let (out, code) = cli.run("hscroot", &l).await;
        assert!(matches!(code, 0 | 1 | 127), "{l:?} gave exit {code}: {out}");
        if code != 0 {
            assert_eq!(
                cli.hmc().users.all(),
                before,
                "a failed line changed the users: {l:?}"
            );
        }
    }
}

#[test]
fn random_attribute_values_never_panic() {
    let mut rng = Rng(0x0bad_cafe_0000_0042);
    let pieces = [
        "0",
        "1",
        "/",
        ",",
        "\"",
        "any",
        "client",
        "server",
        "-1",
        "99999999999999999999",
        "0.05",
        "none",
        "",
        "ab",
        "c050760431670010",
    ];
    for _ in 0..20_000 {
        let n = rng.below(12);
        let v: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
        let attr = &pvmlab_common::attrs::PROFILE_ATTRS
            [rng.below(pvmlab_common::attrs::PROFILE_ATTRS.len())];
        let mut prof = pvmlab_common::attrs::default_profile("p");
        let _ = pvmlab_common::attrs::set_profile_attr(&mut prof, attr.name, &v);
        let _ = pvmlab_common::attrs::check_profile(&prof);
    }
}

#[test]
fn mangled_topologies_never_panic() {
    let base = pvmlab_common::topology::DEFAULT_LAB.as_bytes();
    let mut rng = Rng(0x7070_7070_1111_2222);
    for _ in 0..300 {
        let mut t = base.to_vec();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(t.len());
            t[i] = b"=\"[]{},.0123456789abc \n#"[rng.below(24)];
        }
        let text = String::from_utf8_lossy(&t);
        let _ = pvmlab_common::topology::Topology::parse("fuzz.toml", &text);
    }
}
