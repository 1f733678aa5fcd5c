//! The HMC's administration as the clients drive it: the command lines
//! Ansible's ibm.power_hmc modules (hmc_pwdpolicy, hmc_user, power_system,
//! hmc_update_upgrade, firmware_update) and hmcscanner send, exactly as
//! they build them, with their answers read the way their parsers read
//! them; and `hmcshutdown -t now -r`, after which the HMC comes back with
//! its users and password policies.

use pvmlab_tests::{Lab, text};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn hmc(lab: &Lab, user: &str, line: &str) -> (String, i32) {
    let out = lab.pvmlab(&["hmc", "hmc1", "-u", user, "--", line]);
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.code().unwrap_or(-1))
}

/// Ansible's `parseCSV` for records whose values hold no commas: upper-case
/// keys, each value after the first `=`.
fn parse_csv(line: &str) -> BTreeMap<String, String> {
    line.trim()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim_matches('"').to_uppercase(), v.to_string()))
        .collect()
}

/// Ansible's `parseAttributes`: the -F values, as many as the names.
fn parse_attributes(names: &str, line: &str) -> BTreeMap<String, String> {
    let names: Vec<&str> = names.split(',').collect();
    let values: Vec<&str> = line.trim().split(',').collect();
    assert_eq!(names.len(), values.len(), "{line:?}");
    names
        .into_iter()
        .map(String::from)
        .zip(values.into_iter().map(String::from))
        .collect()
}

fn policy<'a>(
    list: &'a [BTreeMap<String, String>],
    name: &str,
) -> Option<&'a BTreeMap<String, String>> {
    list.iter()
        .find(|p| p.get("NAME").map(String::as_str) == Some(name))
}

fn policies(lab: &Lab) -> Vec<BTreeMap<String, String>> {
    let (out, code) = hmc(lab, "hscroot", "lspwdpolicy -t p");
    assert_eq!(code, 0, "{out}");
    out.lines()
        .filter(|l| !l.is_empty())
        .map(parse_csv)
        .collect()
}

#[test]
fn ansible_and_hmcscanner_administration_and_a_restart_that_keeps_the_hmcs_state() {
    let lab = Lab::new("127.43.71");
    lab.up();
    let run = |line: &str| hmc(&lab, "hscroot", line);

    // hmc_pwdpolicy: present, modified, activated, deactivated, absent.
    assert!(policy(&policies(&lab), "HMC Medium Security Password Policy").is_some());
    assert_eq!(
        run("mkpwdpolicy -i \"pwage=80,hist_size=12,name=dummy\""),
        (String::new(), 0)
    );
    let p = policies(&lab);
    let d = policy(&p, "dummy").expect("created policy listed");
    assert_eq!(
        (
            d["PWAGE"].as_str(),
            d["HIST_SIZE"].as_str(),
            d["ACTIVE"].as_str()
        ),
        ("80", "12", "0")
    );
    assert_eq!(
        run("chpwdpolicy -o m -i \"min_length=10,min_digits=2,name=dummy\"").1,
        0
    );
    assert_eq!(
        policy(&policies(&lab), "dummy").unwrap()["MIN_LENGTH"],
        "10"
    );
    // A change that breaks the policy's rules changes nothing.
    let (e, code) = run("chpwdpolicy -o m -i \"hist_size=51,name=dummy\"");
    assert_eq!(code, 1, "{e}");
    assert_eq!(policy(&policies(&lab), "dummy").unwrap()["HIST_SIZE"], "12");
    assert_eq!(run("chpwdpolicy -o a -n dummy").1, 0);
    assert_eq!(parse_csv(&run("lspwdpolicy -t s").0)["ACTIVE"], "1");
    assert_eq!(policy(&policies(&lab), "dummy").unwrap()["ACTIVE"], "1");
    // The active policy rules new passwords.
    let (e, code) = run("mkhmcusr -i \"name=weak1,taskrole=hmcviewer,passwd=abcdefgh\"");
    assert_eq!(code, 1, "{e}");
    assert!(e.contains("dummy"), "{e}");
    let (e, code) = run("rmpwdpolicy -n dummy");
    assert!(
        code == 1 && e.contains("HSCL372B"),
        "the active one stays: {e}"
    );

    // hmc_user: present (with the attributes it passes), facts, updated
    // (rename), the defaults, and a rename's result.
    assert_eq!(
        run("mkhmcusr -i \"name=ops1,taskrole=hmcoperator,passwd=Operat0r99,session_timeout=30,remote_webui_access=True\"").1,
        0
    );
    let (out, _) = run("lshmcusr --filter \"names=ops1\"");
    let u = parse_csv(&out);
    assert_eq!(
        (
            u["NAME"].as_str(),
            u["TASKROLE"].as_str(),
            u["SESSION_TIMEOUT"].as_str(),
            u["REMOTE_WEBUI_ACCESS"].as_str(),
            u["AUTHENTICATION_TYPE"].as_str()
        ),
        ("ops1", "hmcoperator", "30", "1", "local")
    );
    assert_eq!(
        run("chhmcusr -i \"name=ops1,new_name=ops2,description=night shift\"").1,
        0
    );
    assert_eq!(
        run("lshmcusr --filter \"names=ops1\"").0.trim(),
        "No results were found."
    );
    assert_eq!(
        parse_csv(&run("lshmcusr --filter \"names=ops2\"").0)["DESCRIPTION"],
        "night shift"
    );
    let d = parse_csv(&run("lshmcusr -t default").0);
    assert_eq!(d["MAX_WEBUI_LOGIN_ATTEMPTS"], "3");
    assert_eq!(
        run("chhmcusr -t default -i \"session_timeout=60,max_webui_login_attempts=5\"").1,
        0
    );
    let d = parse_csv(&run("lshmcusr -t default").0);
    assert_eq!(
        (
            d["SESSION_TIMEOUT"].as_str(),
            d["MAX_WEBUI_LOGIN_ATTEMPTS"].as_str()
        ),
        ("60", "5")
    );
    // A viewer gets the refusal hmc_user treats as "no authority".
    assert_eq!(
        run("mkhmcusr -i \"name=view1,taskrole=hmcviewer,passwd=Viewer1234\"").1,
        0
    );
    let (e, code) = hmc(
        &lab,
        "view1",
        "mkhmcusr -i \"name=x2,taskrole=hmcviewer,passwd=Viewer1234\"",
    );
    assert!(
        code == 1 && e.contains("HSCL350B The user does not have the appropriate authority"),
        "{e}"
    );
    // hmc_user ldap_facts and remove_ldap_config on an HMC without LDAP.
    assert!(
        run("lshmcldap -r config")
            .0
            .contains("LDAP server is not configured")
    );
    let (e, code) = run("chhmcldap -o r -r ldap");
    assert!(
        code == 1 && e.contains("LDAP is not configured on the Hardware Management Console"),
        "{e}"
    );

    // power_system modify_syscfg: the record it compares, then the change.
    let sys = parse_csv(&run("lssyscfg -r sys -m sys2").0);
    assert_eq!(sys["POWER_ON_LPAR_START_POLICY"], "autostart");
    assert_eq!(sys["POWER_OFF_POLICY"], "0");
    assert_eq!(
        run(
            "chsyscfg -r sys -m sys2 -i \"power_off_policy=1,power_on_lpar_start_policy=userinit\""
        )
        .1,
        0
    );
    let sys = parse_csv(&run("lssyscfg -r sys -m sys2").0);
    assert_eq!(
        (
            sys["POWER_OFF_POLICY"].as_str(),
            sys["POWER_ON_LPAR_START_POLICY"].as_str()
        ),
        ("1", "userinit")
    );
    let (e, code) = run("chsyscfg -r sys -m sys2 -i \"power_on_lpar_start_policy=always\"");
    assert_eq!(code, 1, "{e}");
    // The frame's and its partitions' UUIDs, and msp on every partition
    // (hmc-mcp's `-F uuid,name` and `-F msp,lpar_env`).
    let (uuids, _) = run("lssyscfg -r sys -F uuid,name");
    assert_eq!(uuids.lines().count(), 3, "{uuids}");
    assert!(
        uuids
            .lines()
            .all(|l| l.split(',').next().is_some_and(|u| u.len() == 36)),
        "{uuids}"
    );
    let (msp, _) = run("lssyscfg -r lpar -m sys2 -F msp,lpar_env");
    assert!(msp.lines().any(|l| l == "0,aixlinux"), "{msp}");
    assert_eq!(
        run("lssyscfg -r sysprof -m sys2").0.trim(),
        "No results were found."
    );
    // hmc-mcp's partition description, and a frame's.
    assert_eq!(
        run("chsyscfg -r lpar -m sys2 -i \"name=lnx01,description=web tier\"").1,
        0
    );
    assert_eq!(
        run("lssyscfg -r lpar -m sys2 --filter lpar_names=lnx01 -F description").0,
        "web tier\n"
    );
    assert_eq!(
        run("chsyscfg -r sys -m sys2 -i \"description=rack 4\"").1,
        0
    );
    assert_eq!(run("lssyscfg -r sys -m sys2 -F description").0, "rack 4\n");
    // A partition keeps its UUID through a rename; one made again under
    // an old name is a new partition with a new UUID.
    let uuid_of = |name: &str| {
        run(&format!(
            "lssyscfg -r lpar -m sys2 --filter lpar_names={name} -F uuid"
        ))
        .0
    };
    let before = uuid_of("lnx01");
    assert_eq!(before.trim().len(), 36, "{before}");
    assert_eq!(
        run("chsyscfg -r lpar -m sys2 -i \"name=lnx01,new_name=lnx01b\"").1,
        0
    );
    assert_eq!(uuid_of("lnx01b"), before);
    assert_eq!(
        run("chsyscfg -r lpar -m sys2 -i \"name=lnx01b,new_name=lnx01\"").1,
        0
    );
    let (out, code) = run(
        "mksyscfg -r lpar -m sys2 -i \"name=uu1,profile_name=p,lpar_env=aixlinux,min_mem=1024,desired_mem=1024,max_mem=1024,proc_mode=ded,min_procs=1,desired_procs=1,max_procs=1\"",
    );
    assert_eq!(code, 0, "{out}");
    let first = uuid_of("uu1");
    assert_eq!(run("rmsyscfg -r lpar -m sys2 -n uu1").1, 0);
    assert_eq!(run(
        "mksyscfg -r lpar -m sys2 -i \"name=uu1,profile_name=p,lpar_env=aixlinux,min_mem=1024,desired_mem=1024,max_mem=1024,proc_mode=ded,min_procs=1,desired_procs=1,max_procs=1\"",
    ).1, 0);
    assert_ne!(uuid_of("uu1"), first);
    assert_eq!(run("rmsyscfg -r lpar -m sys2 -n uu1").1, 0);

    // firmware_update: the level it reads, an update that cannot reach
    // IBM (the levels stay), and an accept.
    let (lvl, _) = run("lslic -m sys2 -F activated_spname,activated_level,ecnumber");
    let before = parse_attributes("service_pack,level,ecnumber", &lvl);
    let (e, code) = run("updlic -m sys2 -o a -t sys -r ibmwebsite -l latest");
    assert!(
        code == 1 && !e.to_lowercase().contains("no updates available"),
        "{e}"
    );
    let (lvl2, _) = run("lslic -m sys2 -F activated_spname,activated_level,ecnumber");
    assert_eq!(
        parse_attributes("service_pack,level,ecnumber", &lvl2),
        before
    );
    assert_eq!(run("updlic -m sys2 -o c").1, 0);
    // hmcscanner's lslic, read by key.
    let lic = parse_csv(&run("lslic -m sys2").0);
    assert!(
        lic.contains_key("DEFERRED_LEVEL") && lic.contains_key("INSTALLED_LEVEL"),
        "{lic:?}"
    );

    // hmc_update_upgrade: the file server cannot be reached, nothing changes.
    let (v0, _) = run("lshmc -V");
    for line in [
        "getupgfiles -r sftp -h fs1.example.com -u upg --passwd secret -d /upgrade",
        "updhmc -t sftp -h fs1.example.com -u upg --passwd secret -f /upd/x.iso -r",
        "updhmc -t disk -c -f /home/hscroot/network_install/x.iso -r",
        "chhmc -c altdiskboot --mode upgrade -s enable",
    ] {
        let (e, code) = run(line);
        assert!(code == 1 && e.starts_with("HSCL"), "{line}: {e}");
    }
    assert_eq!(run("saveupgdata -r disk").1, 0);
    assert_eq!(run("lshmc -V").0, v0);

    // hmcscanner's CoD lines.
    for line in [
        "lscod -t bill -r proc -m sys2",
        "lscod -t bill -r mem -m sys2",
        "lscod -t cap -r proc -c onoff -m sys2",
        "lscod -t cap -r mem -c onoff -m sys2",
        "lscod -t hist -m sys2",
    ] {
        assert_eq!(run(line).1, 0, "{line}");
    }
    assert!(
        run("lscod -t cap -r mem -c onoff -m sys2")
            .0
            .contains("avail_mem_for_onoff=0")
    );

    // hmcshutdown -t now -r: the HMC goes, comes back in the same process,
    // with its users, policies and defaults.
    let pid = lab.pid("hmc1");
    assert_eq!(run("hmcshutdown -t now -r").1, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut went_down = false;
    loop {
        let (out, code) = run("lshmcusr --filter \"names=ops2\"");
        if code != 0 {
            went_down = true;
        } else if went_down && out.starts_with("name=ops2") {
            break;
        }
        assert!(Instant::now() < deadline, "hmc1 did not come back: {out}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(lab.pid("hmc1"), pid, "restarted in place");
    assert_eq!(policy(&policies(&lab), "dummy").unwrap()["ACTIVE"], "1");
    assert_eq!(
        parse_csv(&run("lshmcusr -t default").0)["SESSION_TIMEOUT"],
        "60"
    );
    assert_eq!(run("chpwdpolicy -o d").1, 0);
    assert_eq!(run("rmpwdpolicy -n dummy").1, 0);
    assert!(policy(&policies(&lab), "dummy").is_none());
}
