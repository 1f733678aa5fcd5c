//! The HMC REST API driven by pypowervm from PyPI, unmodified (tests/
//! setup.sh installs it; the test skips, saying so, where it is missing):
//! log on, read and wrap the ManagementConsole and ManagedSystem feeds,
//! a session that is not valid gets 401, an unknown path the HMC's
//! HttpErrorResponse, and log off.

use pvmlab_tests::{Lab, text};
use std::process::Command;

fn py(code: &str) -> (String, bool) {
    pvmlab_tests::python(&format!(
        "from pypowervm import adapter as adp, exceptions as pvmex\nfrom pypowervm.wrappers import managed_system as ms, management_console as mc, logical_partition as lp, virtual_io_server as vios\n{code}"
    ))
}

#[test]
fn pypowervm_logs_on_and_reads_the_console_and_the_frames() {
    if !py("").1 {
        println!("SKIPPED: pypowervm is not installed (tests/setup.sh installs it)");
        return;
    }
    let lab = Lab::new("127.43.49");
    lab.up();
    let session = "s = adp.Session('127.43.49.11', 'hscroot', 'abc123', port=12443, certpath=None)\na = adp.Adapter(s)";
    let (out, ok) = py(&format!(
        "{session}\nc = mc.ManagementConsole.wrap(a.read('ManagementConsole'))[0]\nprint(c.name, c.mtms.machine_type)\nfor x in ms.System.wrap(a.read('ManagedSystem')):\n  print(x.system_name, x.system_state, x.mtms.machine_type, x.mtms.model, x.memory_total, x.proc_units)"
    ));
    assert!(ok, "{out}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("hmc1 7042"));
    assert_eq!(
        lines.next(),
        Some("sys1 operating 9117 MMD 131072 16.0"),
        "{out}"
    );
    assert!(out.contains("sys2 operating 8286 42A "), "{out}");

    // One system by its search, and by UUID; the ETag spares a re-read.
    let (out, ok) = py(&format!(
        "{session}\nf = a.read('ManagedSystem', suffix_type='search', suffix_parm='(SystemName==sys3)')\nw = ms.System.wrap(f)\nprint(len(w), w[0].system_name)\ne = a.read('ManagedSystem', root_id=w[0].uuid)\nprint(ms.System.wrap(e).system_name, e.etag is not None)\nprint(a.read('ManagedSystem', root_id=w[0].uuid, etag=e.etag).status)"
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "1 sys3\nsys3 True\n304\n");

    // The partitions of a frame, and every VIOS, wrapped as pypowervm does.
    let (out, ok) = py(&format!(
        "{session}\nsys2 = ms.System.wrap(a.read('ManagedSystem', suffix_type='search', suffix_parm='(SystemName==sys2)'))[0]\nfor l in lp.LPAR.wrap(a.read('ManagedSystem', root_id=sys2.uuid, child_type='LogicalPartition')):\n  print(l.name, l.id, l.state, l.env, l.mem_config.desired, l.proc_config.shared_proc_cfg.desired_units, l.rmc_state)\nprint(sorted(v.name for v in vios.VIOS.wrap(a.read('VirtualIOServer'))))"
    ));
    assert!(ok, "{out}");
    println!("{out}");
    assert!(out.contains("aix72a 4 running AIX/Linux "), "{out}");
    assert!(
        out.ends_with("['vios1', 'vios1', 'vios1', 'vios2', 'vios2', 'vios2']\n"),
        "{out}"
    );
    // Its adapters, wrapped too.
    let (out, ok) = py(&format!(
        "{session}\nfrom pypowervm.wrappers import network, storage\nl = lp.LPAR.wrap(a.read('LogicalPartition', suffix_type='search', suffix_parm='(PartitionName==lnx01)'))[0]\nfor c in network.CNA.wrap(a.read('LogicalPartition', root_id=l.uuid, child_type='ClientNetworkAdapter')):\n  print('eth', c.slot, c.pvid)\nfor v in storage.VFCClientAdapter.wrap(a.read('LogicalPartition', root_id=l.uuid, child_type='VirtualFibreChannelClientAdapter')):\n  print('fc', v.lpar_slot_num, len(v.wwpns))\nprint(len(a.read('LogicalPartition', root_id=l.uuid, child_type='LogicalPartitionProfile').feed.entries), 'profiles')"
    ));
    assert!(ok, "{out}");
    println!("{out}");
    assert!(
        out.contains("eth 2 ") && out.contains("fc 5 2\n") && out.ends_with(" profiles\n"),
        "{out}"
    );

    // A virtual DVD drive made on the VIOS's command line is a mapping
    // with a VirtualOpticalTargetDevice and no storage until media is
    // loaded, as pypowervm reads it.
    for line in [
        "mkrep -sp rootvg -size 1G",
        "mkvdev -fbo -vadapter vhost0 -dev lnx_dvd",
    ] {
        let (out, code) = lab.hmc("hmc1", &format!("viosvrcmd -m sys2 -p vios1 -c \"{line}\""));
        assert_eq!(code, 0, "{line}: {out}");
    }
    let (out, ok) = py(&format!(
        "{session}\nfor v in vios.VIOS.wrap(a.read('VirtualIOServer')):\n  for m in v.scsi_mappings:\n    if m.target_dev is not None and m.target_dev.name == 'lnx_dvd':\n      print(v.name, type(m.target_dev).__name__, m.target_dev.lua, m.backing_storage, m.server_adapter.lpar_slot_num)"
    ));
    assert!(ok, "{out}");
    assert!(out.starts_with("vios1 VOptTargetDev 0x8"), "{out}");
    let (repos, ok) = py(&format!(
        "{session}\nfrom pypowervm.wrappers import storage\nfor v in vios.VIOS.wrap(a.read('VirtualIOServer')):\n  for g in storage.VG.wrap(a.read('VirtualIOServer', root_id=v.uuid, child_type='VolumeGroup')):\n    for r in g.vmedia_repos:\n      print(v.name, g.name, r.name, r.size, len(r.optical_media))"
    ));
    assert!(ok, "{repos}");
    assert_eq!(repos, "vios1 rootvg VMLibrary 1.0 0\n");
    assert!(out.contains(" None "), "{out}");

    // Jobs: power a partition off and on; validate and run a live
    // migration, and a validation that fails, through pypowervm's tasks.
    let find = |name: &str| {
        format!(
            "lp.LPAR.wrap(a.read('LogicalPartition', suffix_type='search', suffix_parm='(PartitionName=={name})'))[0]"
        )
    };
    let (out, ok) = py(&format!(
        "{session}\nfrom pypowervm.tasks import power, migration\nl = {}\npower.power_off(l, None, force_immediate=power.Force.TRUE)\nprint(lp.LPAR.wrap(a.read('LogicalPartition', root_id=l.uuid)).state)\npower.power_on(l, None)\nprint(lp.LPAR.wrap(a.read('LogicalPartition', root_id=l.uuid)).state)\nx = {}\nmigration.migrate_lpar(x, 'sys3', validate_only=True)\nmigration.migrate_lpar(x, 'sys3')\nprint({}.state, ms.System.wrap(a.read('ManagedSystem', root_id={}.assoc_sys_uuid)).system_name)\ntry:\n  migration.migrate_lpar({}, 'sys1', validate_only=True)\nexcept pvmex.JobRequestFailed as e:\n  print('refused', 'HSCLA224' in str(e))",
        find("lnx01"),
        find("aix72a"),
        find("aix72a"),
        find("aix72a"),
        find("db01")
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "not activated\nrunning\nrunning sys3\nrefused True\n");

    // Events: a listener sees the changes whoever makes them — hmc2's
    // command line here, a REST migration on hmc1 after.
    let pvmlab = pvmlab_tests::bin_dir().join("pvmlab");
    let lab_dir = lab.lab_dir().root().to_path_buf();
    let (out, ok) = py(&format!(
        "{session}\nimport subprocess, time\nfrom pypowervm.tasks import migration\nseen = []\nclass H(adp.RawEventHandler):\n  def process(self, evs):\n    seen.extend(evs)\nlst = s.get_event_listener()\nlst.subscribe(H())\ndef wait_for(uuid, kind):\n  t = time.time()\n  while time.time() - t < 15:\n    if any(e['EventType'] == kind and e['EventData'].endswith(uuid) for e in seen):\n      return True\n    time.sleep(0.2)\n  return False\nl = {}\nsubprocess.run(['{}', '--lab', '{}', 'hmc', 'hmc2', '--', 'chsysstate -r lpar -m sys3 -n lnx02 -o shutdown --immed'], check=True, capture_output=True)\nprint('cli change seen', wait_for(l.uuid, 'MODIFY_URI'))\nx = {}\nseen.clear()\nmigration.migrate_lpar(x, 'sys2')\nprint('migration seen', wait_for(x.uuid, 'MODIFY_URI'), any(e['EventType'] == 'ADD_URI' for e in seen))\nlst.shutdown()",
        find("lnx02"),
        pvmlab.display(),
        lab_dir.display(),
        find("aix72a")
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "cli change seen True\nmigration seen True True\n");

    // A wrong password, a session that is not valid, an unknown path.
    let (out, ok) = py(
        "try:\n  adp.Session('127.43.49.11', 'hscroot', 'nope', port=12443, certpath=None)\nexcept pvmex.Error as e:\n  print('refused', e.response.status)",
    );
    assert!(ok, "{out}");
    assert_eq!(out, "refused 401\n");
    let (out, ok) = py(&format!(
        "{session}\ntry:\n  a.read('NoSuchThing')\nexcept pvmex.HttpError as e:\n  print(e.response.status, e.her_wrap.message if e.her_wrap else '')\ns._logoff()\nprint('off')"
    ));
    assert!(ok, "{out}");
    assert!(
        out.starts_with("404 The requested resource /rest/api/uom/NoSuchThing was not found"),
        "{out}"
    );
    assert!(out.ends_with("off\n"), "{out}");

    // In structure, what pvmlab sends is what the HMC sent pypowervm's
    // recordings (the wheel's tests/data).
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/rest_structure.py"))
        .args(["127.43.49.11", "12443"])
        .env_remove("REQUESTS_CA_BUNDLE")
        .output()
        .unwrap();
    println!("{}", text(&out.stdout));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Bad input: the HMC's error document with the right status, and
    // nothing changed.
    let (out, ok) = py(r#"
import requests, re
base = 'https://127.43.49.11:12443'
web = lambda t: {'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=' + t}
logon = '<LogonRequest xmlns="http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/" schemaVersion="V1_1_0"><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>'
def show(r):
    print(r.status_code, 'HttpErrorResponse' in r.text, (re.search(r'<Message[^>]*>([^<]*)', r.text) or [None, ''])[1][:60])
show(requests.put(base + '/rest/api/web/Logon', data=logon, headers={'Content-Type': 'text/plain'}, verify=False))
show(requests.put(base + '/rest/api/web/Logon', data='<LogonRequest><UserID>hscroot', headers=web('LogonRequest'), verify=False))
tok = re.search(r'X-API-Session[^>]*>([^<]+)<', requests.put(base + '/rest/api/web/Logon', data=logon, headers=web('LogonRequest'), verify=False).text)[1]
h = {'X-API-Session': tok}
show(requests.get(base + '/rest/api/uom/ManagedSystem', verify=False))
show(requests.get(base + '/rest/api/uom/LogicalPartition/00000000-0000-0000-0000-000000000000', headers=h, verify=False))
feed = requests.get(base + '/rest/api/uom/LogicalPartition/search/(PartitionName==lnx01)', headers=h, verify=False).text
u = re.search(r'<PartitionUUID[^>]*>([^<]+)<', feed)[1]
job = base + '/rest/api/uom/LogicalPartition/' + u + '/do/PowerOff'
show(requests.put(job, data='<not xml', headers={**h, **web('JobRequest')}, verify=False))
bad = '<JobRequest:JobRequest xmlns:JobRequest="x"><RequestedOperation><OperationName>PowerOff</OperationName><GroupName>LogicalPartition</GroupName></RequestedOperation><JobParameters><JobParameter><ParameterName>speed</ParameterName><ParameterValue>9</ParameterValue></JobParameter></JobParameters></JobRequest:JobRequest>'
show(requests.put(job, data=bad, headers={**h, **web('JobRequest')}, verify=False))
show(requests.put(job, data=bad, headers={**h, 'Content-Type': 'application/xml'}, verify=False))
print(re.search(r'<PartitionState[^>]*>([^<]+)<', requests.get(base + '/rest/api/uom/LogicalPartition/' + u, headers=h, verify=False).text)[1])
"#);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("415 True The request body must be sent as application/vnd.ibm"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("400 True The request body is not well-formed XML"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("401 True The request has no valid X-API-Session"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("404 True The requested resource"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("400 True The request body is not well-formed XML"),
        "{out}"
    );
    assert!(
        lines[5].starts_with("400 True speed is not a parameter of PowerOff"),
        "{out}"
    );
    assert!(lines[6].starts_with("415 True"), "{out}");
    assert_eq!(lines[7], "running", "{out}");

    // RemoteRestart: sys2 lost, db01 restarted on sys3 by a REST job.
    assert!(
        lab.pvmlab(&["fault", "frame", "sys2", "lose"])
            .status
            .success()
    );
    let out = lab.wait_for(
        "lssyscfg -r sys -m sys2 -F state",
        |s| s == "No Connection\n",
        20,
    );
    assert_eq!(out, "No Connection\n");
    // First validated as IBM documents the job (Operation, the target by
    // its UUID); a UUID no frame has is refused; then restarted as
    // hmc-mcp asks (TargetManagedSystemName, no Operation).
    let (out, ok) = py(&format!(
        "{session}\nfrom pypowervm.wrappers import job\nl = lp.LPAR.wrap(a.read('LogicalPartition', suffix_type='search', suffix_parm='(PartitionName==db01)'))[0]\nsys3 = [m for m in ms.System.wrap(a.read('ManagedSystem')) if m.system_name == 'sys3'][0]\ndef run(params):\n  j = job.Job.wrap(a.read('LogicalPartition', root_id=l.uuid, suffix_type='do', suffix_parm='RemoteRestart'))\n  j.run_job(l.uuid, job_parms=[job.Job.create_job_parameter(k, v) for k, v in params])\nrun([('Operation', 'validate'), ('targetManagedSystemUUID', sys3.uuid)])\nprint('validated')\ntry:\n  run([('Operation', 'validate'), ('targetManagedSystemUUID', '00000000-0000-5000-8000-000000000000')])\nexcept Exception as e:\n  print('refused', 'is managed by this management console' in str(e))\nrun([('TargetManagedSystemName', 'sys3')])\nprint('restarted')"
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "validated\nrefused True\nrestarted\n");
    let out = lab.wait_for(
        "lssyscfg -r lpar -m sys3 --filter lpar_names=db01 -F state",
        |s| s == "Running\n",
        30,
    );
    assert_eq!(out, "Running\n");
}

/// Plain HTTP against hmc1's REST API, as clients other than pypowervm
/// (hmc-mcp, Ansible's REST modules) do it: a session, aix72a's UUID,
/// `job(op, params)` and `status(job)`.
const REQUESTS: &str = r#"import requests, re, time
base = 'https://127.43.50.11:12443'
web = lambda t: {'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=' + t}
logon = '<LogonRequest><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>'
tok = re.search(r'X-API-Session[^>]*>([^<]+)<', requests.put(base + '/rest/api/web/Logon', data=logon, headers=web('LogonRequest'), verify=False).text)[1]
h = {'X-API-Session': tok}
u = re.search(r'<PartitionUUID[^>]*>([^<]+)<', requests.get(base + '/rest/api/uom/LogicalPartition/search/(PartitionName==aix72a)', headers=h, verify=False).text)[1]
def job(op, params):
    jp = ''.join('<JobParameter><ParameterName>%s</ParameterName><ParameterValue>%s</ParameterValue></JobParameter>' % kv for kv in params)
    body = '<JobRequest><RequestedOperation><OperationName>%s</OperationName><GroupName>LogicalPartition</GroupName></RequestedOperation><JobParameters>%s</JobParameters></JobRequest>' % (op, jp)
    r = requests.put(base + '/rest/api/uom/LogicalPartition/%s/do/%s' % (u, op), data=body, headers={**h, **web('JobRequest')}, verify=False)
    return re.search(r'<JobID[^>]*>([^<]+)<', r.text)[1]
def status(i):
    t = requests.get(base + '/rest/api/uom/jobs/' + i, headers=h, verify=False).text
    return re.search(r'<Status[^>]*>([^<]+)<', t)[1], re.findall(r'<UntranslatedMessage[^>]*>([^<]+)<', t)
"#;

/// Stop and recover through REST jobs, and a migration to another HMC's
/// frame (TargetRemoteHMCIPAddress): sys2 is hmc1's, sys3 hmc2's.
#[test]
fn pypowervm_stops_recovers_and_migrates_to_a_remote_hmc() {
    if !py("").1 {
        println!("SKIPPED: pypowervm is not installed (tests/setup.sh installs it)");
        return;
    }
    let mut text = pvmlab_common::topology::DEFAULT_LAB.replace("\"127.42.0.", "\"127.43.50.");
    for hmc in ["hmc1", "hmc1", "hmc2"] {
        text = text.replacen(
            "managed_by = [\"hmc1\", \"hmc2\"]",
            &format!("managed_by = [\"{hmc}\"]"),
            1,
        );
    }
    let lab = Lab::with_topology(&text);
    lab.up();
    assert_eq!(
        lab.hmc("hmc1", "mkauthkeys -g --ip hmc2 -u hscroot --passwd abc123"),
        (String::new(), 0)
    );
    lab.slow_copy("200", "4", "sequential");
    let prelude = "import threading, time\nfrom pypowervm.tasks import migration\ns = adp.Session('127.43.50.11', 'hscroot', 'abc123', port=12443, certpath=None)\na = adp.Adapter(s)\nfind = lambda n: lp.LPAR.wrap(a.read('LogicalPartition', suffix_type='search', suffix_parm='(PartitionName==%s)' % n))[0]\nx = find('aix72a')\nremote = dict(tgt_mgmt_svr='127.43.50.12', tgt_mgmt_usr='hscroot')\ndef bg():\n  r = {}\n  def go():\n    try:\n      migration.migrate_lpar(x, 'sys3', **remote)\n      r['ok'] = True\n    except pvmex.JobRequestFailed as e:\n      r['error'] = str(e)\n  t = threading.Thread(target=go)\n  t.start()\n  return t, r";
    // Stopped (MigrateAbort) while it copies: it runs on at the source.
    let (out, ok) = py(&format!(
        "{prelude}\nt, r = bg()\ntime.sleep(2)\nmigration.migrate_abort(x)\nt.join()\nprint(find('aix72a').state)"
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "running\n");
    // A job shows its progress while it runs: a migration's, the memory moved.
    let (out, ok) = py(&format!(
        "{REQUESTS}{}",
        r#"
m = job('Migrate', [('TargetManagedSystemName', 'sys3'), ('TargetRemoteHMCIPAddress', '127.43.50.12'), ('TargetRemoteHMCUserID', 'hscroot')])
time.sleep(2)
st, msgs = status(m)
print(st, any('%' in x and 'bytes transmitted' in x for x in msgs))
s = job('MigrateAbort', [])
while status(s)[0] == 'RUNNING' or status(m)[0] == 'RUNNING':
    time.sleep(0.3)
print(status(s)[0], status(m)[0])
print(requests.delete(base + '/rest/api/uom/jobs/' + m, headers=h, verify=False).status_code)
"#
    ));
    assert!(ok, "{out}");
    assert_eq!(
        out,
        "RUNNING True
COMPLETED_OK COMPLETED_OK
204
"
    );
    assert_eq!(
        lab.hmc(
            "hmc1",
            "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a -F migration_state"
        )
        .0,
        "Not Migrating\n"
    );
    // The MSP link cut mid-copy: the job fails, MigrateRecover undoes it.
    let (out, ok) = py(&format!(
        "{prelude}\nimport subprocess\nt, r = bg()\ntime.sleep(2)\nsubprocess.run(['{}', '--lab', '{}', 'fault', 'link', 'add', 'sys2-vios1', 'sys3-vios1', '--kind', 'cut'], check=True, capture_output=True)\nt.join()\nprint('failed', 'migrlpar -o r' in r.get('error', ''))\nsubprocess.run(['{}', '--lab', '{}', 'fault', 'link', 'clear'], check=True, capture_output=True)\nmigration.migrate_recover(find('aix72a'))\nprint(find('aix72a').state)",
        pvmlab_tests::bin_dir().join("pvmlab").display(),
        lab.lab_dir().root().display(),
        pvmlab_tests::bin_dir().join("pvmlab").display(),
        lab.lab_dir().root().display(),
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "failed True\nrunning\n");
    // And to the other HMC's frame, to the end, with what hmc-mcp sends
    // besides (TargetProfileName, DestinationLparID, WaitTime) and
    // DestMSPIPaddr (where pypowervm puts its dest_msp_name) with
    // POWER10's DestMSPName for the same mover: the id, mover and profile
    // asked for. A WaitTime over a day is refused first.
    let (ids, _) = lab.hmc("hmc2", "lssyscfg -r lpar -m sys3 -F lpar_id");
    let ids: Vec<u32> = ids.lines().filter_map(|l| l.parse().ok()).collect();
    let free = (5..).find(|i| !ids.contains(i)).unwrap_or(5);
    let (msp, _) = lab.hmc(
        "hmc2",
        "lssyscfg -r lpar -m sys3 -F rmc_ipaddr --filter lpar_names=vios1",
    );
    let (out, ok) = py(&format!(
        "{REQUESTS}{}",
        format_args!(
            r#"
common = [('TargetManagedSystemName', 'sys3'), ('TargetRemoteHMCIPAddress', '127.43.50.12'), ('TargetRemoteHMCUserID', 'hscroot'), ('DestMSPIPaddr', '{}'), ('DestMSPName', 'vios1'), ('DestinationLparID', '{free}'), ('TargetProfileName', 'moved')]
for wait in ['1441', '2']:
    m = job('Migrate', common + [('WaitTime', wait)])
    while status(m)[0] in ('RUNNING', 'NOT_STARTED'):
        time.sleep(0.3)
    text = requests.get(base + '/rest/api/uom/jobs/' + m, headers=h, verify=False).text
    print(status(m)[0], '-w parameter: 1441' in text)
"#,
            msp.trim()
        )
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "COMPLETED_WITH_ERROR True\nCOMPLETED_OK False\n");
    assert_eq!(
        lab.hmc(
            "hmc2",
            "lssyscfg -r lpar -m sys3 --filter lpar_names=aix72a -F lpar_id,curr_profile"
        )
        .0,
        format!("{free},moved\n")
    );
    assert_eq!(
        lab.hmc(
            "hmc2",
            "lssyscfg -r lpar -m sys3 --filter lpar_names=aix72a -F state"
        )
        .0,
        "Running\n"
    );
}
