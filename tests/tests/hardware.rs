//! Hardware and partition commands as the clients administrators run send
//! them: Ansible's powervm_lpar_instance AIX install (lpar_netboot discovery,
//! then the network boot, then polling rmc_state) and vios install,
//! powervm_lpar_migration's
//! several partitions in one migrlpar, hmcscanner's lshwres lines, and
//! profile adapter lists quoted by the HMC's rule in output and in -i input.

use pvmlab_tests::Lab;

fn wait(lab: &Lab, line: &str, want: &str, secs: u64) -> String {
    let mut last = String::new();
    for _ in 0..secs * 20 {
        last = lab.hmc("hmc1", line).0;
        if last.trim() == want {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{line}: never {want}, last {last}");
}

#[test]
fn netboot_migrations_listings_and_quoting_as_the_clients_send_them() {
    let lab = Lab::new("127.43.77");
    lab.up();
    let run = |line: &str| lab.hmc("hmc1", line);

    // powervm_lpar_instance's fetchIODetailsForNetboot, parsed as it does:
    // lines not starting with # are Type, Location Code, MAC, Full Path
    // Name, Ping Result, Device Type.
    let (out, code) = run(
        "lpar_netboot -A -M -D -n -t ent -S 10.1.1.1 -G 10.1.1.254 -C 10.1.1.5 -K 255.255.255.0 aix71a default_profile sys1",
    );
    assert_eq!(code, 0, "{out}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    let row = &rows[0];
    assert_eq!(row.len(), 6, "{out}");
    assert_eq!(
        (row[0], row[3], row[4], row[5]),
        ("ent", "/vdevice/l-lan@30000002", "successful", "virtual")
    );
    assert!(row[1].ends_with("-V3-C2-T1"), "{out}");
    assert_eq!(row[2].len(), 12, "{out}");
    // -n: discovery only; the partition is off.
    wait(
        &lab,
        "lssyscfg -r lpar -m sys1 -F state --filter lpar_names=aix71a",
        "Not Activated",
        5,
    );

    // A location code no adapter has: the HMC's refusal, nothing started.
    let (out, code) = run(
        "lpar_netboot -f -D -t ent -l U0.0.0-V3-C9-T1 -S 10.1.1.1 -G 10.1.1.254 -C 10.1.1.5 aix71a default_profile sys1",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("location code U0.0.0-V3-C9-T1"), "{out}");
    assert_eq!(
        run("lssyscfg -r lpar -m sys1 -F state --filter lpar_names=aix71a").0,
        "Not Activated\n"
    );

    // installOSFromNIM, then checkForOSToBootUpFully's poll of rmc_state.
    let (out, code) = run(&format!(
        "lpar_netboot -f -D -t ent -l {} -S 10.1.1.1 -G 10.1.1.254 -C 10.1.1.5 -V 0 -Y 0 -K 255.255.255.0 aix71a default_profile sys1",
        row[1]
    ));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("# Network boot proceeding, lpar_netboot is exiting.\n"),
        "{out}"
    );
    wait(
        &lab,
        "lssyscfg -r lpar -m sys1 -F state,rmc_state --filter lpar_names=aix71a",
        "Running,active",
        10,
    );
    // The boot's reference codes, newest first: firmware's BOOTP, then the install.
    let (codes, _) = run("lsrefcode -r lpar -m sys1 --filter lpar_names=aix71a -n 25 -F refcode");
    let codes: Vec<&str> = codes.lines().collect();
    let at = |c: &str| {
        codes
            .iter()
            .position(|x| *x == c)
            .unwrap_or_else(|| panic!("{c} in {codes:?}"))
    };
    assert!(
        at("0C54") < at("CA00E175") && at("CA00E175") < at("CA00E1F1"),
        "{codes:?}"
    );
    // The NIM form: discovery without a ping test.
    let (out, code) = run("lpar_netboot -M -n -t ent aix61b default_profile sys1");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" n/a virtual\n"), "{out}");

    // powervm_lpar_migration: several partitions in one command, each with
    // its own result. lnx01's vFC adapters have no VIOS to host them on
    // sys3: its failure is printed under its name; aix72a passes.
    let (out, code) = run("migrlpar -o v -m sys2 -t sys3 -p aix72a,lnx01");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("Partition lnx01:\n") && out.contains("HSCLA319"),
        "{out}"
    );
    assert!(!out.contains("Partition aix72a"), "{out}");
    // A partition that does not exist: refused before any moves.
    let (out, code) = run("migrlpar -o m -m sys2 -t sys3 -p aix72a,web01");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("HSCL8012"), "{out}");
    assert_eq!(
        run("lssyscfg -r lpar -m sys2 -F name --filter lpar_names=aix72a").0,
        "aix72a\n"
    );
    // By id, as the module's vm_ids: aix72a moves, lnx01 stays and says why.
    let (out, code) = run("migrlpar -o m -m sys2 -t sys3 --id 4,3 -w 5");
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("Partition lnx01:\n"), "{out}");
    assert_eq!(
        run("lssyscfg -r lpar -m sys3 -F name --filter lpar_names=aix72a").0,
        "aix72a\n"
    );
    assert_eq!(
        run("lssyscfg -r lpar -m sys2 -F name --filter lpar_names=lnx01").0,
        "lnx01\n"
    );
    assert_eq!(
        run("migrlpar -o r -m sys3 -p aix72a,lnx01").0.trim(),
        "Only one partition can be specified for a recover operation."
    );

    // hmcscanner's lshwres lines, each answered.
    for line in [
        "lshwres -r proc     --level sys                   -m sys1",
        "lshwres -r mem      --level sys                   -m sys1",
        "lshwres -r io       --rsubtype slot               -m sys1",
        "lshwres -r procpool                               -m sys1",
        "lshwres -r mempool                                -m sys1",
        "lshwres -r virtualio --rsubtype vswitch           -m sys1",
        "lshwres -r virtualio --rsubtype eth --level lpar  -m sys1",
        "lshwres -r io --rsubtype slotchildren             -m sys1",
        "lshwres -r sriov --rsubtype adapter                 -m sys1",
        "lshwres -r sriov --rsubtype logport --level roce    -m sys1",
        "lshwres -r sriov --rsubtype physport --level ethc   -m sys1",
        "lshwres -r virtualio --rsubtype vnic --level lpar   -m sys1",
    ] {
        let (out, code) = run(line);
        assert_eq!(code, 0, "{line}: {out}");
    }
    let (slots, _) = run("lshwres -r io --rsubtype slot -m sys1 -F drc_name,lpar_name,pci_class");
    assert!(slots.contains("-P1-C1,vios1,0200\n"), "{slots}");
    let (children, _) = run("lshwres -r io --rsubtype slotchildren -m sys1 -F parent");
    for parent in children.lines() {
        assert!(
            slots.contains(&format!("{parent},")),
            "{parent} not in {slots}"
        );
    }
    assert!(
        run("lshwres -r virtualio --rsubtype vswitch -m sys1")
            .0
            .contains("vswitch=ETHERNET0,switch_mode=VEB,\"vlan_ids=1,99,100,200\"")
    );
    assert_eq!(
        run("lshwres -r sriov --rsubtype adapter -m sys1").0,
        "No results were found.\n"
    );
    assert!(
        run("lshwres -r procpool -m sys1")
            .0
            .starts_with("name=DefaultPool,shared_proc_pool_id=0,")
    );

    // A virtual Ethernet adapter with additional VLANs is quoted inside the
    // quoted attribute, as virtual_fc_adapters are; the listing's value
    // goes back in as -i input unchanged.
    let want = "\"virtual_eth_adapters=\"\"2/1/1/100,200/1/1/ETHERNET0//all/none\"\",3/0/99//0/1/ETHERNET0//all/none\"";
    let (prof, _) = run("lssyscfg -r prof -m sys1 --filter lpar_names=vios1");
    assert!(prof.contains(want), "{prof}");
    let (out, code) = run(&format!(
        "chsyscfg -r prof -m sys1 -i 'name=default_profile,lpar_name=vios1,{}'",
        want.replace("2/1/1/100,200", "2/1/1/100,300")
    ));
    assert_eq!(code, 0, "{out}");
    let (prof, _) =
        run("lssyscfg -r prof -m sys1 --filter lpar_names=vios1 -F virtual_eth_adapters");
    assert_eq!(
        prof,
        "\"\"\"2/1/1/100,300/1/1/ETHERNET0//all/none\"\",3/0/99//0/1/ETHERNET0//all/none\"\n"
    );

    // The system's memory settings: pending until the frame's next IPL.
    let settings = "lshwres -r mem -m sys1 --level sys -F requested_num_sys_huge_pages,configured_num_sys_huge_pages,max_num_sys_huge_pages,pend_mem_mirroring_mode";
    let (out, code) = run(
        "chhwres -r mem -m sys1 -o s -a \"requested_num_sys_huge_pages=2,mem_mirroring_mode=sys_firmware_only\"",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(run(settings).0, "2,0,7,sys_firmware_only\n");
    let (out, code) = run("chhwres -r mem -m sys1 -o s -a requested_num_sys_huge_pages=8");
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        run(settings).0,
        "2,0,7,sys_firmware_only\n",
        "nothing changed"
    );
    assert_eq!(run("chsysstate -r sys -m sys1 -o off --immed").1, 0);
    wait(&lab, "lssyscfg -r sys -m sys1 -F state", "Power Off", 10);
    assert_eq!(run("chsysstate -r sys -m sys1 -o on").1, 0);
    wait(&lab, "lssyscfg -r sys -m sys1 -F state", "Operating", 10);
    assert_eq!(run(settings).0, "2,2,7,sys_firmware_only\n");

    // Ansible's vios action=install: the same discovery and boot for a
    // VIOS, which runs its operating system again once the install is
    // over, with the physical slots its profile requires.
    wait(
        &lab,
        "lssyscfg -r lpar -m sys1 -F state,rmc_state --filter lpar_names=vios2",
        "Running,active",
        30,
    );
    let (out, code) = run(
        "lpar_netboot -M -n -t ent -S 10.1.1.1 -G 10.1.1.254 -C 10.1.1.6 vios2 default_profile sys1",
    );
    assert_eq!(code, 0, "{out}");
    let loc = out
        .lines()
        .find(|l| l.starts_with("ent "))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no adapter: {out}"))
        .to_string();
    let (out, code) = run(&format!(
        "lpar_netboot -f -D -t ent -l {loc} -S 10.1.1.1 -G 10.1.1.254 -C 10.1.1.6 -K 255.255.255.0 vios2 default_profile sys1"
    ));
    assert_eq!(code, 0, "{out}");
    wait(
        &lab,
        "lssyscfg -r lpar -m sys1 -F state,rmc_state --filter lpar_names=vios2",
        "Running,active",
        10,
    );
    let (codes, _) = run("lsrefcode -r lpar -m sys1 --filter lpar_names=vios2 -n 12 -F refcode");
    assert!(codes.lines().any(|c| c == "0C54"), "{codes}");
    let (out, code) = run("viosvrcmd -m sys1 -p vios2 -c ioslevel");
    assert_eq!(code, 0, "{out}");
    let (slots, _) = run("lssyscfg -r prof -m sys1 --filter lpar_names=vios2 -F io_slots");
    assert_eq!(slots.matches("/none/1").count(), 3, "{slots}");
    for drc in slots.trim().trim_matches('"').split(',') {
        let drc = drc.split('/').next().unwrap();
        let (owner, _) = run(&format!(
            "lshwres -r io --rsubtype slot -m sys1 -F lpar_name --filter drc_indexes={drc}"
        ));
        assert_eq!(owner, "vios2\n", "{drc}");
    }
}
