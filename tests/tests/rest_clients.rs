//! The REST requests the other clients send, as they send them: the
//! logon (the token in the body and in the `X-API-Session` header, which
//! power-hmc-mcp reads), then what Ansible's REST client (ibm.power_hmc
//! `hmc_rest_client.py`) sends for `power_system` facts,
//! `powervm_lpar_instance` facts and `vios` facts — quoted searches, the
//! `quick` JSON, the VIOS mappings it parses with its own XPaths — and
//! what hmc-mcp reads (searches on state, web resources, an HMC without
//! SSP clusters or LDAP). Then pypowervm's wrappers on a VIOS's mappings,
//! SEAs and trunk adapters, and on VirtualSwitch / VirtualNetwork; a
//! frame rename shown by REST and `pvmlab status`. The Python parts need
//! `requests` and `lxml` (and pypowervm for its part); each is skipped,
//! saying so, where they are missing.

use pvmlab_tests::{Lab, text};
use std::process::Command;

const SUBNET: &str = "127.43.193";

fn py(code: &str) -> (String, bool) {
    pvmlab_tests::python(code)
}

/// A session as Ansible's REST client opens one, and its helpers: `strip`
/// (namespaces off, as the client's `xml_strip_namespace` does), `get`.
const PRELUDE: &str = r#"import requests, json
from lxml import etree
base = 'https://127.43.193.11:12443'
def strip(b):
    root = etree.fromstring(b)
    for e in root.iter():
        if isinstance(e.tag, str) and '}' in e.tag:
            e.tag = e.tag.split('}', 1)[1]
    etree.cleanup_namespaces(root)
    return root
logon = '<LogonRequest xmlns="http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/" schemaVersion="V1_1_0"><Metadata><Atom/></Metadata><UserID kb="CUR" kxe="false">hscroot</UserID><Password kb="CUR" kxe="false">abc123</Password></LogonRequest>'
r = requests.put(base + '/rest/api/web/Logon', data=logon, headers={'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=LogonRequest'}, verify=False)
tok = strip(r.content).xpath('X-API-Session')[0].text
header_tok = r.headers.get('X-API-Session')
def get(path, accept='*/*', **extra):
    return requests.get(base + path, headers={'X-API-Session': tok, 'Accept': accept, **extra}, verify=False)
UOM = lambda t: 'application/vnd.ibm.powervm.uom+xml; type=' + t
def managed_system(name):
    r = get("/rest/api/uom/ManagedSystem/search/(SystemName=='%s')" % name, UOM('ManagedSystem'))
    if r.status_code == 204:
        return None, None
    d = strip(r.content)
    return d.xpath('//AtomID')[0].text, d
"#;

#[test]
fn rest_clients_read_what_a_real_hmc_answers() {
    let (_, has_lxml) = py("import requests, lxml");
    if !has_lxml {
        println!("SKIPPED: python3 requests and lxml are needed (tests/setup.sh installs them)");
        return;
    }
    let lab = Lab::new(SUBNET);
    lab.up();

    // The logon, and power_system facts: the frame by its quoted name,
    // then its quick properties; a frame that is not there is 204.
    let (out, ok) = py(&format!(
        "{PRELUDE}{}",
        r#"
print('logon', r.status_code, header_tok == tok, len(tok) > 16)
# power-hmc-mcp's logon (a declaration, schema V1_0, the token read from
# the header only) and hmc-mcp's (Accept: LogonResponse).
other = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><LogonRequest xmlns="http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/" schemaVersion="V1_0"><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>'
for extra in [{}, {'Accept': 'application/vnd.ibm.powervm.web+xml; type=LogonResponse'}]:
    r2 = requests.put(base + '/rest/api/web/Logon', data=other, headers={'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=LogonRequest', **extra}, verify=False)
    t2 = r2.headers.get('X-API-Session')
    print('other logon', r2.status_code, requests.get(base + '/rest/api/uom/ManagedSystem', headers={'X-API-Session': t2}, verify=False).status_code)
sys2, dom = managed_system('sys2')
print('missing', managed_system('nosuch'))
q = json.loads(get('/rest/api/uom/ManagedSystem/%s/quick' % sys2).text)
print('system', q['SystemName'], q['State'], q['IPAddress'], q['UUID'] == sys2, q['MTMS'].startswith('8286-42A*'), dom.xpath('//DetailedState')[0].text)
print('ip', dom.xpath('//PrimaryIPAddress')[0].text)
print('one', get('/rest/api/uom/ManagedSystem/%s/quick/State' % sys2).text)
allq = json.loads(get('/rest/api/uom/ManagedSystem/quick/All').text)
print('all', sorted(s['SystemName'] for s in allq), all(':' not in s['IPAddress'] for s in allq))
"#
    ));
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "logon 200 True True", "{out}");
    assert_eq!(lines[1], "other logon 200 200", "{out}");
    assert_eq!(lines[2], "other logon 200 200", "{out}");
    let lines = &lines[2..];
    assert_eq!(lines[1], "missing (None, None)", "{out}");
    assert_eq!(
        lines[2],
        format!("system sys2 operating {SUBNET}.22 True True None"),
        "{out}"
    );
    assert_eq!(lines[3], format!("ip {SUBNET}.22"), "{out}");
    assert_eq!(lines[4], "one \"operating\"", "{out}");
    assert_eq!(lines[5], "all ['sys1', 'sys2', 'sys3'] True", "{out}");

    // powervm_lpar_instance facts with advanced_info: the partition from
    // the frame's quick list, its entry and quick properties, then the
    // VIOS mappings parsed with the client's own XPaths.
    let (out, ok) = py(&format!(
        "{PRELUDE}{}",
        r#"
sys2, dom = managed_system('sys2')
lpars = json.loads(get('/rest/api/uom/ManagedSystem/%s/LogicalPartition/quick/All' % sys2).text)
a = [l for l in lpars if l['PartitionName'] == 'aix72a'][0]
pd = strip(get('/rest/api/uom/LogicalPartition/%s' % a['UUID'], UOM('LogicalPartition')).content)
qp = json.loads(get('/rest/api/uom/LogicalPartition/%s/quick' % a['UUID']).text)
print('lpar', a['PartitionState'], a['PartitionID'], a['PartitionType'], qp['PartitionName'], qp['RMCState'], qp['UUID'] == a['UUID'])
print('config', pd.xpath('//MinimumMemory')[0].text, pd.xpath('//MaximumMemory')[0].text, pd.xpath('//HasDedicatedProcessors')[0].text, pd.xpath('//MinimumProcessingUnits')[0].text, pd.xpath('//MaximumVirtualProcessors')[0].text, pd.xpath('//CurrentSharedProcessorPoolID')[0].text, pd.xpath('//SharingMode')[0].text, pd.xpath('//UncappedWeight')[0].text)
print('state', get('/rest/api/uom/LogicalPartition/%s/quick/PartitionState' % a['UUID']).text)
vios = json.loads(get('/rest/api/uom/ManagedSystem/%s/VirtualIOServer/quick/All' % sys2).text)
names = {v['PartitionID']: v['PartitionName'] for v in vios}
x = strip(get('/rest/api/uom/ManagedSystem/%s/VirtualIOServer?group=ViosSCSIMapping' % sys2, UOM('VirtualIOServer')).content)
for raw in x.xpath('//VirtualSCSIMapping'):
    m = etree.ElementTree(raw)
    if len(m.xpath('//ClientAdapter')) < 1 or m.xpath('//ClientAdapter/LocalPartitionID')[0].text != str(a['PartitionID']):
        continue
    print('scsi', names[int(m.xpath('//ClientAdapter/RemoteLogicalPartitionID')[0].text)], m.xpath('//ClientAdapter/VirtualSlotNumber')[0].text, m.xpath('//ClientAdapter/RemoteSlotNumber')[0].text, m.xpath('//Storage/PhysicalVolume/VolumeName')[0].text.startswith('hdisk'), m.xpath('//Storage/PhysicalVolume/VolumeCapacity')[0].text, m.xpath('//TargetDevice//TargetName')[0].text.startswith('vtscsi'), len(m.xpath('//Storage/PhysicalVolume/VolumeUniqueID')[0].text) > 0)
lnx = [l for l in lpars if l['PartitionName'] == 'lnx01'][0]
x = strip(get('/rest/api/uom/ManagedSystem/%s/VirtualIOServer?group=ViosFCMapping' % sys2, UOM('VirtualIOServer')).content)
for raw in x.xpath('//VirtualFibreChannelMapping'):
    m = etree.ElementTree(raw)
    if m.find('//ClientAdapter') is None or m.xpath('//ClientAdapter/LocalPartitionID')[0].text != str(lnx['PartitionID']):
        continue
    print('vfc', names[int(m.xpath('//ClientAdapter/ConnectingPartitionID')[0].text)], m.xpath('//ServerAdapter/PhysicalPort/PortName')[0].text, m.xpath('//ClientAdapter/VirtualSlotNumber')[0].text, m.xpath('//ClientAdapter/ConnectingVirtualSlotNumber')[0].text, len(m.xpath('//ClientAdapter/WWPNs')[0].text.split()))
"#
    ));
    assert!(ok, "{out}");
    println!("{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "lpar running 4 AIX/Linux aix72a active True",
        "{out}"
    );
    assert!(lines[1].starts_with("config "), "{out}");
    assert_eq!(lines[2], "state \"running\"", "{out}");
    assert!(
        out.contains("scsi vios1 3 14 True 20480 True True\n")
            && out.contains("scsi vios2 4 14 True 20480 True True\n"),
        "{out}"
    );
    assert!(
        out.contains("vfc vios1 fcs0 5 23 2\n") && out.contains("vfc vios2 fcs1 6 23 2\n"),
        "{out}"
    );

    // vios facts; then what hmc-mcp reads: searches on state, the web
    // resources, an HMC without SSP clusters or LDAP, a link with the
    // address the client used, an unknown path.
    let (out, ok) = py(&format!(
        "{PRELUDE}{}",
        r#"
sys2, dom = managed_system('sys2')
vios = json.loads(get('/rest/api/uom/ManagedSystem/%s/VirtualIOServer/quick/All' % sys2).text)
v = [x for x in vios if x['PartitionName'] == 'vios1'][0]
vd = strip(get('/rest/api/uom/VirtualIOServer/%s' % v['UUID'], UOM('VirtualIOServer')).content)
print('vios', v['RMCState'], v['PartitionType'], vd.xpath('//PartitionMemoryConfiguration//MaximumMemory')[0].text, vd.xpath('//PartitionProcessorConfiguration//CurrentHasDedicatedProcessors')[0].text, vd.xpath('//PartitionProcessorConfiguration//MaximumProcessingUnits')[0].text, vd.xpath('//PartitionProcessorConfiguration//MaximumVirtualProcessors')[0].text, vd.xpath('//PartitionProcessorConfiguration//MinimumVirtualProcessors')[0].text)
r = get('/rest/api/uom/LogicalPartition/search/(PartitionState==running)', UOM('LogicalPartition'))
print('running', r.status_code, r.text.count('<PartitionName') >= 6)
print('none', get("/rest/api/uom/LogicalPartition/search/(PartitionName=='nosuch')", UOM('LogicalPartition')).status_code)
print('bad', get('/rest/api/uom/LogicalPartition/search/(PartitionName)', UOM('LogicalPartition')).status_code)
r = get('/rest/api/web/HmcUser', 'application/vnd.ibm.powervm.web+xml')
print('users', r.status_code, 'hscroot' in r.text, 'abc123' not in r.text)
print('ldap', get('/rest/api/web/HmcLdapServer', 'application/vnd.ibm.powervm.web+xml').status_code)
print('policy', get('/rest/api/web/HmcPasswordPolicy', 'application/vnd.ibm.powervm.web+xml').status_code)
print('ssp', get('/rest/api/uom/Cluster').status_code, get('/rest/api/uom/SharedStoragePool').status_code)
nets = json.loads(get('/rest/api/uom/ManagedSystem/%s/VirtualNetwork/quick/All' % sys2).text)
print('nets', sorted(n['NetworkName'] for n in nets)[:2])
r = get('/rest/api/uom/ManagedSystem/' + sys2, UOM('ManagedSystem'), Host='hmc1.example.com:443')
print('links', 'href="https://hmc1.example.com:443/rest/api/uom/ManagedSystem/' + sys2 in r.text)
r = get('/rest/api/uom/NoSuchThing')
print('unknown', r.status_code, 'HttpErrorResponse' in r.text)
"#
    ));
    assert!(ok, "{out}");
    println!("{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "vios active Virtual IO Server 8192 false 2.0 4 1",
        "{out}"
    );
    assert_eq!(lines[1], "running 200 True", "{out}");
    assert_eq!(lines[2], "none 204", "{out}");
    assert_eq!(lines[3], "bad 400", "{out}");
    assert_eq!(lines[4], "users 200 True True", "{out}");
    assert_eq!(lines[5], "ldap 204", "{out}");
    assert_eq!(lines[6], "policy 200", "{out}");
    assert_eq!(lines[7], "ssp 204 204", "{out}");
    assert_eq!(
        lines[8], "nets ['VLAN1-ETHERNET0', 'VLAN100-ETHERNET0']",
        "{out}"
    );
    assert_eq!(lines[9], "links True", "{out}");
    assert_eq!(lines[10], "unknown 404 True", "{out}");

    // A rename shows in REST (name and search) and in `pvmlab status`.
    assert_eq!(
        lab.hmc("hmc1", "chsyscfg -r sys -m sys3 -i new_name=prod3")
            .1,
        0
    );
    let (out, ok) = py(&format!(
        "{PRELUDE}{}",
        r#"
import time
for _ in range(50):
    u, d = managed_system('prod3')
    if u:
        break
    time.sleep(0.1)
print('renamed', d.xpath('//SystemName')[0].text, managed_system('sys3')[0])
"#
    ));
    assert!(ok, "{out}");
    assert_eq!(out, "renamed prod3 None\n");
    let status = text(&lab.pvmlab(&["status"]).stdout);
    assert!(
        status.contains("prod3") && status.contains("(node sys3)"),
        "{status}"
    );
    assert_eq!(
        lab.hmc("hmc1", "chsyscfg -r sys -m prod3 -i new_name=sys3")
            .1,
        0
    );

    // pypowervm's wrappers on what the VIOS shows.
    let (has_pvm, _) = (py("import pypowervm").1, ());
    if !has_pvm {
        println!("SKIPPED (pypowervm part): pypowervm is not installed");
        return;
    }
    let (out, ok) = py(r#"
from pypowervm import adapter as adp
from pypowervm.wrappers import managed_system as ms, virtual_io_server as vios, network as net
s = adp.Session('127.43.193.11', 'hscroot', 'abc123', port=12443, certpath=None)
a = adp.Adapter(s)
sys2 = ms.System.wrap(a.read('ManagedSystem', suffix_type='search', suffix_parm="(SystemName=='sys2')"))[0]
v1 = [v for v in vios.VIOS.wrap(a.read('ManagedSystem', root_id=sys2.uuid, child_type='VirtualIOServer')) if v.name == 'vios1'][0]
for m in sorted(v1.scsi_mappings, key=lambda m: m.client_adapter.lpar_id):
    print('scsi', m.client_adapter.lpar_id, m.client_adapter.lpar_slot_num, m.server_adapter.lpar_slot_num, m.server_adapter.name.startswith('vhost'), m.backing_storage.name.startswith('hdisk'), m.target_dev.name.startswith('vtscsi'))
for m in v1.vfc_mappings:
    print('vfc', m.server_adapter.lpar_slot_num, m.client_adapter.lpar_id, m.backing_port.name, len(m.client_adapter.wwpns))
for e in v1.seas:
    print('sea', e.dev_name, e.pvid, e.primary_adpt.pvid, sorted(e.primary_adpt.tagged_vlans), e.primary_adpt.dev_name)
print('trunks', [(t.pvid, t.trunk_pri) for t in v1.trunk_adapters])
print('pvs', len(v1.phys_vols) > 0, v1.is_mover_service_partition)
for w in net.VSwitch.wrap(a.read('ManagedSystem', root_id=sys2.uuid, child_type='VirtualSwitch')):
    print('vswitch', w.name, w.switch_id, w.mode)
print('vnets', sorted((n.vlan, n.name) for n in net.VNet.wrap(a.read('ManagedSystem', root_id=sys2.uuid, child_type='VirtualNetwork')))[:3])
from pypowervm.wrappers import storage as stor
for vg in stor.VG.wrap(a.read('VirtualIOServer', root_id=v1.uuid, child_type='VolumeGroup')):
    print('vg', vg.name, vg.capacity > vg.available_size > 0, sorted(p.name for p in vg.phys_vols))
for b in net.NetBridge.wrap(a.read('ManagedSystem', root_id=sys2.uuid, child_type='NetworkBridge')):
    print('bridge', b.pvid, sorted(s.dev_name for s in b.seas), [s.vio_uri.endswith(v1.uuid) for s in b.seas][:1], b.load_grps[0].pvid, sorted(b.list_vlans(pvid=False))[:2])
"#);
    assert!(ok, "{out}");
    println!("{out}");
    assert!(
        out.contains(
            "scsi 3 3 3 True True True\nscsi 4 3 3 True True True\nscsi 5 3 3 True True True\n"
        ),
        "{out}"
    );
    assert!(out.contains("vfc 5 3 fcs0 2\n"), "{out}");
    // rootvg on the VIOS's two internal disks, as its lsvg shows it.
    assert!(
        out.contains("vg rootvg True ['hdisk0', 'hdisk1']\n"),
        "{out}"
    );
    // The SEAs of both VIOS, paired for failover, as one bridge of PVID 1.
    assert!(
        out.contains("bridge 1 ['ent5', 'ent5'] [True] 1 [100, 200]\n"),
        "{out}"
    );
    assert!(out.contains("sea ent5 1 1 [100, 200] ent2\n"), "{out}");
    assert!(out.contains("trunks [(1, 1)]\n"), "{out}");
    assert!(out.contains("pvs True True\n"), "{out}");
    assert!(out.contains("vswitch ETHERNET0 0 Veb\n"), "{out}");
    assert!(
        out.contains(
            "vnets [(1, 'VLAN1-ETHERNET0'), (99, 'VLAN99-ETHERNET0'), (100, 'VLAN100-ETHERNET0')]"
        ),
        "{out}"
    );

    // In structure, what pvmlab sends is what the HMC sent pypowervm's
    // recordings.
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/rest_structure.py"))
        .args([&format!("{SUBNET}.11"), "12443"])
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
}
