//! Utilization data as administrators read it: `lslparutil` and
//! `chlparutil` on the command line, and the Performance and Capacity
//! Monitor over REST (`/rest/api/pcm`: preferences, ProcessedMetrics, the
//! long-term monitor's feed and documents), read as plain HTTP clients
//! (hmc-mcp, power-hmc-mcp) do and through pypowervm's PCM wrappers where
//! pypowervm is installed (tests/setup.sh installs it).

use pvmlab_tests::Lab;

fn py(code: &str) -> (String, bool) {
    pvmlab_tests::python(code)
}

#[test]
fn utilization_samples_on_the_command_line_and_through_pcm() {
    let lab = Lab::new("127.43.190");
    lab.up();

    // The HMC samples every frame from the start, at a new HMC's rate.
    let (out, code) = lab.hmc("hmc1", "lslparutil -r config");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("name=sys1,type_model_serial_num="), "{out}");
    assert!(out.contains(",sample_rate=300\n"), "{out}");

    // A rate the HMC does not take changes nothing.
    let (out, code) = lab.hmc("hmc1", "chlparutil -r config -s 45 -m sys1");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Valid values are 0, 30, 60, 300"), "{out}");
    let (out, code) = lab.hmc("hmc1", "chlparutil -r config -s 30 -m sys1");
    assert_eq!((out.as_str(), code), ("", 0));
    let (out, _) = lab.hmc("hmc1", "lslparutil -r config -m sys1 -F name,sample_rate");
    assert_eq!(out, "sys1,30\n");

    // The samples: the frame's, each partition's, the pools'.
    let lpars = lab.wait_for(
        "lslparutil -r lpar -m sys1 --filter lpar_names=aix71a -n 1",
        |o| o.contains("lpar_name=aix71a"),
        10,
    );
    assert!(lpars.starts_with("time="), "{lpars}");
    assert!(
        lpars.contains(",event_type=sample,resource_type=lpar,"),
        "{lpars}"
    );
    assert!(lpars.contains(",lpar_id=3,curr_proc_mode=shared,curr_proc_units=0.5,curr_procs=2,curr_sharing_mode=uncap,curr_uncap_weight=128,"), "{lpars}");
    assert!(lpars.contains(",curr_mem=4096,entitled_cycles="), "{lpars}");
    assert_eq!(lpars.lines().count(), 1, "{lpars}");
    let (sys, _) = lab.hmc("hmc1", "lslparutil -r sys -m sys1 -n 1");
    assert!(sys.contains("resource_type=sys,"), "{sys}");
    assert!(
        sys.contains(",state=Operating,configurable_sys_proc_units="),
        "{sys}"
    );
    assert!(sys.contains(",proc_cycles_per_second=512000000"), "{sys}");
    let (all, _) = lab.hmc("hmc1", "lslparutil -r all -m sys1 -n 1 -F resource_type");
    assert!(all.starts_with("sys\npool\nprocpool\n"), "{all}");
    assert!(all.lines().filter(|l| *l == "lpar").count() >= 3, "{all}");
    let (hdr, _) = lab.hmc(
        "hmc1",
        "lslparutil -r lpar -m sys1 -n 1 --filter lpar_names=vios1 -F lpar_name,curr_mem --header",
    );
    assert!(hdr.starts_with("lpar_name,curr_mem\nvios1,"), "{hdr}");
    // No hourly sample before the hour turns; a window in the past has none.
    let (old, _) = lab.hmc(
        "hmc1",
        "lslparutil -r lpar -m sys1 --startyear 2001 --endyear 2001",
    );
    assert_eq!(old, "No results were found.\n");
    let (out, code) = lab.hmc("hmc1", "lslparutil -r lpar");
    assert_eq!((out.as_str(), code), ("The -m parameter is required.\n", 1));
    let (out, code) = lab.hmc("hmc1", "lslparutil -r lpar -m nosuch");
    assert_eq!(code, 1, "{out}");

    // PCM over plain HTTP: off until asked for, then a feed of one
    // document with the frame's processor use.
    if !py("import requests").1 {
        println!(
            "SKIPPED: the PCM part needs python3's requests (tests/setup.sh installs pypowervm, which brings it)"
        );
        return;
    }
    let prelude = r#"import requests, re, json
base = 'https://127.43.190.11:12443'
logon = '<LogonRequest><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>'
tok = re.search(r'X-API-Session[^>]*>([^<]+)<', requests.put(base + '/rest/api/web/Logon', data=logon, headers={'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=LogonRequest'}, verify=False).text)[1]
h = {'X-API-Session': tok}
feed = requests.get(base + '/rest/api/uom/ManagedSystem', headers=h, verify=False).text
u = [m for m in re.findall(r'<entry>.*?</entry>', feed, re.S) if '>sys1<' in m]
u = re.search(r'<id>([^<]+)</id>', u[0])[1]
"#;
    let (out, ok) = py(&format!(
        "{prelude}
p = requests.get(base + '/rest/api/pcm/preferences', headers=h, verify=False)
print(p.status_code, p.text.count('<ManagedSystemPcmPreference '), '>sys1<' in p.text)
print(requests.get(base + '/rest/api/pcm/ManagedSystem/%s/ProcessedMetrics' % u, headers=h, verify=False).status_code)
doc = '<ManagementConsolePcmPreference xmlns=\"http://www.ibm.com/xmlns/systems/power/firmware/pcm/mc/2012_10/\"><LongTermMonitorEnabled>true</LongTermMonitorEnabled><AggregationEnabled>true</AggregationEnabled></ManagementConsolePcmPreference>'
r = requests.post(base + '/rest/api/pcm/ManagedSystem/%s/preferences' % u, data=doc, headers={{**h, 'Content-Type': 'application/xml'}}, verify=False)
print(r.status_code, re.search(r'<LongTermMonitorEnabled[^>]*>([^<]+)<', r.text)[1])
bad = requests.post(base + '/rest/api/pcm/ManagedSystem/%s/preferences' % u, data=doc.replace('>true<', '>maybe<'), headers={{**h, 'Content-Type': 'application/xml'}}, verify=False)
print(bad.status_code)
import time
for _ in range(50):
    f = requests.get(base + '/rest/api/pcm/ManagedSystem/%s/ProcessedMetrics?StartTS=2000-01-01T00:00:00Z&NoOfSamples=1' % u, headers=h, verify=False)
    if f.status_code == 200:
        break
    time.sleep(0.2)
print(f.status_code)
href = re.search(r'<entry>.*?<link [^>]*href=\"([^\"]+)\"', f.text)[1]
r = requests.get(href, headers={{**h, 'Accept': 'application/json'}}, verify=False)
assert r.status_code == 200, (href, r.status_code, r.text[:400])
j = r.json()
s = j['systemUtil']['utilSamples'][0]
print(j['systemUtil']['utilInfo']['metricType'], s['serverUtil']['processor']['utilizedProcUnits'][0] > 0, sorted(v['name'] for v in s['viosUtil']))
print(requests.get(base + '/rest/api/pcm/ManagedSystem/%s/ProcessedMetrics?StartTS=yesterday' % u, headers=h, verify=False).status_code)
print(requests.get(base + '/rest/api/pcm/Nothing', headers=h, verify=False).status_code)
"
    ));
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "200 3 True", "{out}");
    assert_eq!(lines[1], "204", "{out}");
    assert_eq!(lines[2], "200 true", "{out}");
    assert_eq!(lines[3], "400", "{out}");
    assert_eq!(lines[4], "200", "{out}");
    assert_eq!(lines[5], "Processed True ['vios1', 'vios2']", "{out}");
    assert_eq!(&lines[6..], ["400", "404"], "{out}");

    // power-hmc-mcp's capacity parsers (where it is installed) on them.
    if py("import power_hmc_mcp.hmc_client").1 {
        let (out, ok) = py(&format!(
            "{prelude}
from power_hmc_mcp.hmc_xml import parse_pcm_metrics_feed
from power_hmc_mcp.hmc_client import _pcm_cpu_aggregates
f = requests.get(base + '/rest/api/pcm/ManagedSystem/%s/ProcessedMetrics' % u, params={{'StartTS': '2000-01-01T00:00:00Z', 'NoOfSamples': 1}}, headers=h, verify=False)
s = parse_pcm_metrics_feed(f.text)
print(len(s), s[0]['category'], s[0]['link_href'].endswith('_30.json'))
j = requests.get(s[0]['link_href'], headers=h, verify=False).json()
print(_pcm_cpu_aggregates(j['systemUtil'])['avg_cpu_pct'] > 0)
"
        ));
        assert!(ok, "{out}");
        assert_eq!(out, "1 ManagedSystem True\nTrue\n", "{out}");
    }

    // pypowervm's PCM wrappers and its metrics task on the same answers.
    if !py("import pypowervm").1 {
        println!("SKIPPED: pypowervm is not installed (tests/setup.sh installs it)");
        return;
    }
    let (out, ok) = py(&format!(
        "{prelude}
from pypowervm import adapter as adp
from pypowervm.wrappers import monitor as pvm_mon
from pypowervm.tasks.monitor import util as mon_util
a = adp.Adapter(adp.Session('127.43.190.11', 'hscroot', 'abc123', port=12443, certpath=None))
pref = pvm_mon.PcmPref.wrap(a.read_by_href(a.build_href('ManagedSystem', root_id=u, child_type='preferences', service='pcm')))[0]
print(pref.system_name, pref.ltm_enabled, pref.stm_enabled)
mon_util.ensure_ltm_monitors(a, u, override_to_default=True)
ltm = mon_util.query_ltm_feed(a, u)
print(sorted(set(m.category for m in ltm)))
date, phyp, vioses, lpars = mon_util.latest_stats(a, u)
names = sorted(l.name for l in phyp.sample.lpars)
print('aix71a' in names, phyp.sample.processor.proc_cycles_per_sec, sorted(v.name for v in phyp.sample.vioses))
m = mon_util.vm_metrics(phyp, vioses, lpars)
l = [x for x in phyp.sample.lpars if x.name == 'aix71a'][0]
print(m[l.uuid].memory.logical_mem, lpars.find(l.uuid).memory.pct_real_mem_free < 100)
"
    ));
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "sys1 True False", "{out}");
    assert_eq!(lines[1], "['lpar', 'phyp']", "{out}");
    assert_eq!(lines[2], "True 512000000 ['vios1', 'vios2']", "{out}");
    assert_eq!(lines[3], "4096 True", "{out}");
}
