//! The VIOS's padmin command line as clients send it through the HMC's
//! `viosvrcmd`: hmcscanner's `vios_commands` lines and the per-device
//! commands its scripts loop over (taken from `lsdev` as its shell loops
//! take them), the Ansible `vios` module's license acceptance, and bad
//! input. The outputs are checked for the shapes the clients' parsers
//! need.

use pvmlab_tests::Lab;
use std::collections::BTreeSet;

fn fields(line: &str) -> Vec<&str> {
    line.split(':').collect()
}

#[test]
fn hmcscanner_and_ansible_lines_through_viosvrcmd() {
    let lab = Lab::new("127.43.119");
    lab.up();
    // hmcscanner quotes the frame and the VIOS.
    let vios = |line: &str| {
        lab.hmc(
            "hmc1",
            &format!("viosvrcmd -m \"sys2\" -p \"vios1\" -c \"{line}\""),
        )
    };
    lab.wait_for(
        "viosvrcmd -m sys2 -p vios1 -c ioslevel",
        |o| o == "3.1.4.10\n",
        30,
    );

    // vios_commands.
    assert_eq!(vios("ioslevel"), ("3.1.4.10\n".into(), 0));
    let (npiv, code) = vios("lsmap -all -npiv -fmt :");
    assert_eq!(code, 0, "{npiv}");
    assert!(!npiv.is_empty());
    for l in npiv.lines() {
        let f = fields(l);
        assert_eq!(f.len(), 12, "{l}");
        assert!(f[0].starts_with("vfchost"), "{l}");
    }
    let (vscsi, _) = vios("lsmap -all -fmt :");
    for l in vscsi.lines() {
        let n = fields(l).len();
        assert!(n >= 9 && (n - 3) % 6 == 0, "{l}");
        assert!(l.starts_with("vhost"), "{l}");
    }
    let (uuid, _) = vios("chkdev -fmt : -field name identifier");
    let ids: BTreeSet<&str> = uuid
        .lines()
        .map(|l| {
            let f = fields(l);
            assert_eq!(f.len(), 2, "{l}");
            f[0]
        })
        .collect();
    let (size, _) = vios("lspv -size -fmt :");
    let sized: BTreeSet<&str> = size
        .lines()
        .map(|l| {
            let f = fields(l);
            assert_eq!(f.len(), 3, "{l}");
            assert!(f[2].parse::<u64>().is_ok(), "{l}");
            f[0]
        })
        .collect();
    // hmcscanner joins lspv to chkdev by disk name.
    assert_eq!(ids, sized);
    assert!(sized.contains("hdisk2") && sized.len() >= 15, "{size}");
    let (free, _) = vios("lspv -free -fmt :");
    assert!(
        free.lines()
            .all(|l| fields(l).len() == 3 && sized.contains(fields(l)[0])),
        "{free}"
    );
    let (proc0, _) = vios("lsdev -dev proc0 -attr");
    let attr = |out: &str, k: &str| {
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|s| s.len() > 2 && s[0] == k)
            .map(|s| s[1].to_string())
            .unwrap_or_default()
    };
    assert!(attr(&proc0, "frequency").parse::<u64>().is_ok(), "{proc0}");
    assert_eq!(attr(&proc0, "type"), "PowerPC_POWER8");

    // hmc_vios_scripts: what `lsdev | grep … | while read i j` takes.
    let (all, _) = vios("lsdev");
    let names = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        all.lines()
            .filter(|l| keep(l))
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .collect()
    };
    let seas = names(&|l| l.contains("Shared Ethernet Adapter"));
    assert_eq!(seas, vec!["ent5"]);
    let ents = names(&|l| {
        l.starts_with("ent")
            && l[3..].starts_with(|c: char| c.is_ascii_digit())
            && !["Shared", "Virtual", "VLAN"].iter().any(|w| l.contains(w))
    });
    assert_eq!(ents, vec!["ent0", "ent1"]);
    let fcs = names(&|l| l.starts_with("fcs"));
    assert_eq!(fcs, vec!["fcs0", "fcs1"]);
    for s in &seas {
        let (cfg, _) = vios(&format!("lsdev -dev {s} -attr"));
        let settable: Vec<&str> = cfg.lines().filter(|l| l.contains("True")).collect();
        assert!(
            settable.iter().any(|l| l.starts_with("real_adapter ")),
            "{cfg}"
        );
        // An SEA starts in INIT and listens for its peer for the detection
        // time before it takes over as the higher-priority one.
        let st = lab.wait_for(
            &format!("viosvrcmd -m sys2 -p vios1 -c \"entstat -all {s}\""),
            |o| o.lines().any(|l| l == "State: PRIMARY"),
            20,
        );
        let lines: Vec<&str> = st.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("ETHERNET STATISTICS"))
            .unwrap_or(usize::MAX);
        assert_eq!(
            lines.get(at),
            Some(&&*format!("ETHERNET STATISTICS ({s}) :"))
        );
        assert_eq!(lines[at + 1], "Device Type: Shared Ethernet Adapter");
        for w in [
            "State: PRIMARY",
            "Real Adapter: ent0",
            "Virtual Adapter: ent2",
            "Control Adapter: ent3",
        ] {
            assert!(lines.contains(&w), "{w}: {st}");
        }
    }
    for e in &ents {
        let (st, code) = vios(&format!("entstat -all {e}"));
        assert_eq!(code, 0);
        assert!(
            st.contains(&format!("ETHERNET STATISTICS ({e}) :\n")),
            "{st}"
        );
        assert!(st.contains("Link Status : Up\n"));
    }
    // The slots script: `lsdev -vpd | grep -E "^ *ent[0-9]+ +" | grep -v Virtual`.
    let (vpd, _) = vios("lsdev -vpd");
    let slots: Vec<(String, String)> = vpd
        .lines()
        .filter(|l| l.trim_start().starts_with("ent") && !l.contains("Virtual"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect();
    for e in &ents {
        assert!(
            slots
                .iter()
                .any(|(n, loc)| n == e && loc.starts_with("U78C9.001.")),
            "{e}: {slots:?}"
        );
    }
    for f in &fcs {
        let (st, code) = vios(&format!("fcstat -e {f}"));
        assert_eq!(code, 0);
        assert!(
            st.lines()
                .any(|l| l.starts_with("World Wide Port Name: 0x")),
            "{st}"
        );
        let (attrs, _) = vios(&format!("lsdev -attr -dev {f}"));
        assert!(
            attrs.lines().any(|l| l.starts_with("num_cmd_elems ")),
            "{attrs}"
        );
    }

    // The Ansible vios module: it checks rmc_state, then accepts the license.
    assert_eq!(
        lab.hmc(
            "hmc1",
            "lssyscfg -r lpar -m sys2 --filter lpar_names=vios1 -F rmc_state"
        )
        .0,
        "active\n"
    );
    assert_eq!(
        vios("license"),
        ("The license has not been accepted\n".into(), 0)
    );
    assert_eq!(vios("license -accept"), (String::new(), 0));
    assert_eq!(
        vios("license"),
        ("The license has been accepted\n".into(), 0)
    );

    // Bad input: the VIOS's words, a failed viosvrcmd, nothing changed.
    let (e, code) = vios("lsdev -dev hdisk99 -attr");
    assert_eq!((e.as_str(), code), ("Device 'hdisk99' is not known.\n", 1));
    let (e, code) = vios("bogus -x");
    assert_eq!((e.as_str(), code), ("Unknown command: \"bogus\"\n", 1));
    assert_eq!(vios("lspv -size -fmt :").0, size);

    // An EtherChannel of the free port, kept with the VIOS's devices; the
    // port the SEA uses is busy.
    let (out, code) = vios("mkvdev -lnagg ent1 -attr mode=8023ad");
    assert_eq!(code, 0, "{out}");
    let name = out.split_whitespace().next().unwrap_or("").to_string();
    assert!(
        out.starts_with("ent") && out.contains(" Available\n"),
        "{out}"
    );
    let (adapters, _) = vios("lsdev -type adapter");
    assert!(
        adapters.lines().any(|l| l.starts_with(&format!("{name} "))
            && l.contains("EtherChannel / IEEE 802.3ad Link Aggregation")),
        "{adapters}"
    );
    assert_eq!(
        vios(&format!("lsdev -dev {name} -attr adapter_names")).0,
        "value\n\nent1\n"
    );
    let (e, code) = vios("mkvdev -lnagg ent0");
    assert!(code != 0 && e.contains("busy"), "{e}");

    // A virtual DVD drive for a client: refused until a media repository
    // exists, then a vtopt on the client's vhost that lsmap shows.
    let (e, code) = vios("mkvdev -fbo -vadapter vhost0 -dev lnx_dvd");
    assert!(code != 0 && e.contains("Use mkrep"), "{e}");
    let (out, code) = vios("mkrep -sp rootvg -size 1G");
    assert!(
        code == 0 && out.starts_with("Virtual Media Repository Created"),
        "{out}"
    );
    let (rep, _) = vios("lsrep");
    assert!(
        rep.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("    1024     1024 rootvg")),
        "{rep}"
    );
    assert_eq!(
        vios("mkvdev -fbo -vadapter vhost0 -dev lnx_dvd"),
        ("lnx_dvd Available\n".into(), 0)
    );
    let (map, _) = vios("lsmap -vadapter vhost0 -type file_opt -field vtd status");
    assert_eq!(
        map,
        "VTD                   lnx_dvd\nStatus                Available\n\n"
    );
    assert_eq!(vios("rmvdev -vtd lnx_dvd"), ("lnx_dvd deleted\n".into(), 0));
    assert_eq!(vios("rmrep"), (String::new(), 0));
}
