//! A fixed-budget random test of the command line: whatever bytes a user
//! types, the dispatcher answers with output and an exit status and never
//! panics, and a line that fails changes nothing. Deterministic (fixed seed)
//! so a failure reproduces. The words include the shell's grammar
//! (lists, loops, expansions, redirections) and host paths, which must
//! never show a host file's content.

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
    // The shell's grammar and utilities.
    ";",
    "&&",
    "||",
    "LANG=C",
    "while",
    "read",
    "i",
    "j",
    "do",
    "done",
    "for",
    "in",
    "if",
    "then",
    "else",
    "fi",
    "(",
    ")",
    "{",
    "}",
    "$i",
    "\"$i\"",
    "${j}",
    "$(",
    "$?",
    "echo",
    ">",
    "<",
    "2>&1",
    "/etc/shadow",
    "../x",
    "-f",
    "-E",
    "-v",
    "^ent[0-9]+",
    "sed",
    "s/a/b/g",
    "awk",
    "'{print $1}'",
    "-F,",
    "sort",
    "-k2",
    "-t,",
    "uniq",
    "wc",
    "-l",
    "cut",
    "tr",
    "date",
    "+%Y",
    "tail",
    "PATH=/bin",
    "exit",
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
    let (_dir, cli) = super::tests::cli();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let budget = 20_000;
    for _ in 0..budget {
        let l = line(&mut rng);
        let before = cli.hmc().users.all();
        let (out, code) = cli.run("hscroot", &l).await;
        assert!(
            matches!(code, 0..=3 | 126 | 127) || l.contains("exit"),
            "{l:?} gave exit {code}: {out}"
        );
        assert!(
            !super::tests::leaked(&out),
            "{l:?} showed a host file: {out}"
        );
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
