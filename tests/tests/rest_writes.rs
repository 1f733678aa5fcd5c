//! The REST API's writes as ibm.power_hmc's modules send them, replayed
//! with requests and lxml (what the collection itself uses; tests/setup.sh
//! installs them with pypowervm, and the test skips, saying so, where they
//! are missing). The request bodies are built here the way the modules
//! build them: the entry read back with its namespaces stripped, edited by
//! XPath, one default namespace put back on the root.
//! - `powervm_dlpar`: a running partition's memory and virtual processors
//!   changed by POSTing its LogicalPartition back; a value over the
//!   profile's maximum and a stale If-Match refused, changing nothing.
//! - `powervm_lpar_instance state=present`: QuickStart_lpar_rpa_2 copied,
//!   the copy edited (name, shared processors, memory), checked against
//!   sys2, the draft transformed and deployed: the new partition shows in
//!   lssyscfg with the template's values; a check of a name that is taken
//!   fails; the copy is deleted.
//! - `VirtualIOServer/{uuid}/do/GetFreePhysicalVolumes` answers the disks
//!   the VIOS has free.
//! - `powervm_dlpar update_pv`/`update_npiv`: a VIOS entry POSTed back
//!   with a new mapping maps the disk or port, with adapters on both sides;
//!   a disk the VIOS does not have is refused.
//! - A copied template survives kill -9 of the HMC (`fault node restart`).

use pvmlab_tests::{Lab, text};
use std::process::Command;

/// The client's side, as the modules do it (their helpers re-written:
/// logon, namespace stripping, job payloads, job polling).
const CLIENT: &str = r#"
import sys, time, re, json, warnings
warnings.simplefilter('ignore')
import requests
from lxml import etree, objectify
host = sys.argv[1]
base = 'https://' + host
step = sys.argv[2]
WEB = 'http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/'
UOM = 'http://www.ibm.com/xmlns/systems/power/firmware/uom/mc/2012_10/'
TPL = 'http://www.ibm.com/xmlns/systems/power/firmware/templates/mc/2012_10/'
K2 = 'http://www.w3.org/XML/1998/namespace/k2'

def strip(data):
    root = etree.fromstring(data, etree.XMLParser(recover=True, encoding='utf-8'))
    for e in root.iter():
        if isinstance(e.tag, str) and '}' in e.tag:
            e.tag = e.tag.split('}', 1)[1]
    objectify.deannotate(root, cleanup_namespaces=True)
    return root

def put_ns(el, name, ns):
    s = etree.tostring(el).decode()
    return s.replace(name, '%s xmlns="%s" xmlns:ns2="%s"' % (name, ns, K2), 1)

logon = ('<LogonRequest schemaVersion="V1_0" xmlns="%s" xmlns:mc="%s"><UserID>hscroot</UserID>'
         '<Password>abc123</Password></LogonRequest>') % (WEB, WEB)
r = requests.put(base + '/rest/api/web/Logon', data=logon, verify=False,
                 headers={'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=LogonRequest'})
tok = strip(r.content).xpath('X-API-Session')[0].text
H = {'X-API-Session': tok}
get = lambda path, **kw: requests.get(base + path, headers={**H, **kw}, verify=False)

def system(name):
    r = get("/rest/api/uom/ManagedSystem/search/(SystemName=='%s')" % name)
    if r.status_code != 200 or b'AtomID' not in r.content:
        # The quoted form comes with the read side's search fix.
        r = get('/rest/api/uom/ManagedSystem/search/(SystemName==%s)' % name)
    return strip(r.content).xpath('//AtomID')[0].text

def lpar(name):
    r = get('/rest/api/uom/LogicalPartition/search/(PartitionName==%s)' % name)
    u = strip(r.content).xpath('//AtomID')[0].text
    r = get('/rest/api/uom/LogicalPartition/' + u,
            Accept='application/vnd.ibm.powervm.uom+xml; type=LogicalPartition')
    return u, strip(r.content), r.headers.get('ETag')

def post_lpar(dom, **headers):
    u = dom.xpath('//AtomID')[0].text
    body = put_ns(dom.xpath('//LogicalPartition')[0], 'LogicalPartition', UOM)
    return requests.post(base + '/rest/api/uom/LogicalPartition/' + u, data=body, verify=False,
        headers={**H, 'Accept': '*/*', **headers,
                 'Content-Type': 'application/vnd.ibm.powervm.uom+xml; type=LogicalPartition'})

def message(r):
    m = strip(r.content).xpath('//Message')
    return m[0].text if m else ''

def job(url, op, group, params, template=False):
    root = etree.Element('JobRequest', nsmap={None: WEB, 'ns2': K2}, schemaVersion='V1_0')
    etree.SubElement(etree.SubElement(root, 'Metadata'), 'Atom')
    ro = etree.SubElement(root, 'RequestedOperation', kxe='false', kb='CUR', schemaVersion='V1_0')
    etree.SubElement(etree.SubElement(ro, 'Metadata'), 'Atom')
    for k, v in (('OperationName', op), ('GroupName', group), ('ProgressType', 'DISCRETE')):
        etree.SubElement(ro, k, kxe='false', kb='ROR').text = v
    jp = etree.SubElement(root, 'JobParameters', kxe='false', kb='CUR', schemaVersion='V1_0')
    etree.SubElement(etree.SubElement(jp, 'Metadata'), 'Atom')
    for k, v in params.items():
        p = etree.SubElement(jp, 'JobParameter', schemaVersion='V1_0')
        etree.SubElement(etree.SubElement(p, 'Metadata'), 'Atom')
        etree.SubElement(p, 'ParameterName', kxe='false', kb='ROR').text = k
        etree.SubElement(p, 'ParameterValue', kxe='false', kb='CUR').text = v
    r = requests.put(base + url, data=etree.tostring(root), verify=False,
        headers={**H, 'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=JobRequest',
                 'Accept': 'application/atom+xml'})
    assert r.status_code == 200, (r.status_code, r.text)
    jid = strip(r.content).xpath('//JobID')[0].text
    poll = '/rest/api/templates/jobs/' if template else '/rest/api/uom/jobs/'
    for _ in range(120):
        d = strip(get(poll + jid).content)
        status = d.xpath('//Status')[0].text
        if status != 'RUNNING':
            return status, d
        time.sleep(0.25)
    raise SystemExit('job %s still running' % op)

def result(d, name):
    v = d.xpath("//ParameterName[text()='%s']/following-sibling::ParameterValue" % name)
    return v[0].text if v else None

def show(u):
    _, d, _ = lpar(u)
    return '%s %s %s %s' % (d.xpath('//CurrentMemory')[0].text, d.xpath('//DesiredMemory')[0].text,
        d.xpath('//CurrentSharedProcessorConfiguration/AllocatedVirtualProcessors')[0].text,
        d.xpath('//SharedProcessorConfiguration/DesiredVirtualProcessors')[0].text)

if step == 'dlpar':
    system('sys2')
    u, dom, etag = lpar('aix72a')
    print('before', show('aix72a'))
    # powervm_dlpar mem=20480 proc=5: DesiredMemory and DesiredVirtualProcessors.
    dom.xpath('//DesiredMemory')[0].text = '20480'
    dom.xpath('//SharedProcessorConfiguration/DesiredVirtualProcessors')[0].text = '5'
    r = post_lpar(dom)
    print('post', r.status_code, r.headers.get('ETag') is not None)
    print('after', show('aix72a'))
    # Over the profile's maximum memory (32768): refused, nothing changed.
    u, dom, etag = lpar('aix72a')
    dom.xpath('//DesiredMemory')[0].text = '65536'
    dom.xpath('//SharedProcessorConfiguration/DesiredVirtualProcessors')[0].text = '6'
    r = post_lpar(dom)
    print('over', r.status_code, 'HttpErrorResponse' in r.text, 'desired_mem <= max_mem' in message(r))
    # A stale ETag (pypowervm sends If-Match): refused too.
    dom.xpath('//DesiredMemory')[0].text = '24576'
    dom.xpath('//SharedProcessorConfiguration/DesiredVirtualProcessors')[0].text = '5'
    r = post_lpar(dom, **{'If-Match': '12345'})
    print('stale', r.status_code, 'HttpErrorResponse' in r.text)
    r = post_lpar(dom, **{'If-Match': etag})
    print('fresh', r.status_code)
    print('last', show('aix72a'))

if step in ('template', 'keep', 'kept'):
    sys_uuid = system('sys2')
    TH = {'Content-Type': 'application/vnd.ibm.powervm.templates+xml;type=PartitionTemplate'}
    def template_uuid(name):
        r = get('/rest/api/templates/PartitionTemplate?draft=false&detail=table')
        e = strip(r.content).xpath(
            "//partitionTemplateName[text()='%s']/preceding-sibling::Metadata//AtomID" % name)
        return e[0].text if e else None
    def template(uuid):
        return strip(get('/rest/api/templates/PartitionTemplate/' + uuid).content).xpath('//PartitionTemplate')[0]
    def copy(src, dst):
        t = template(template_uuid(src))
        t.xpath('//partitionTemplateName')[0].text = dst
        r = requests.put(base + '/rest/api/templates/PartitionTemplate', data=put_ns(t, 'PartitionTemplate', TPL),
                         headers={**H, **TH}, verify=False)
        assert not strip(r.content).xpath('//Message'), r.text
        return r.status_code
    def update(uuid, t):
        return requests.post(base + '/rest/api/templates/PartitionTemplate/' + uuid,
            data=put_ns(t, 'PartitionTemplate', TPL), headers={**H, **TH}, verify=False).status_code
    def check(name):
        return job('/rest/api/templates/PartitionTemplate/%s/do/check' % template_uuid(name), 'Check',
                   'PartitionTemplate', {'K_X_API_SESSION_MEMENTO': tok, 'TargetUuid': sys_uuid}, True)
    if step == 'keep':
        print('copy', copy('QuickStart_lpar_rpa_2', 'kept_tpl'))
        raise SystemExit(0)
    if step == 'kept':
        u = template_uuid('kept_tpl')
        print('kept', u is not None, template(u).xpath('//partitionName')[0].text)
        raise SystemExit(0)
    name = 'ansible_powervm_create_4711'
    print('copy', copy('QuickStart_lpar_rpa_2', name))
    t = template(template_uuid(name))
    uuid = t.xpath('//AtomID')[0].text
    # updateLparNameAndIDToDom (no vm_id: the id goes) and
    # updateProcMemSettingsToDom with proc_unit=0.5, proc=2, mem=2048.
    pid = t.xpath('//partitionId')[0]
    pid.getparent().remove(pid)
    t.xpath('//currMaxVirtualIOSlots')[0].text = '20'
    t.xpath('//partitionName')[0].text = 'web09'
    shared = ('<sharedProcessorConfiguration kxe="false" kb="CUD" schemaVersion="V1_0"><Metadata><Atom/></Metadata>'
        '<sharedProcessorPoolId kxe="false" kb="CUD">0</sharedProcessorPoolId>'
        '<uncappedWeight kxe="false" kb="CUD">128</uncappedWeight>'
        '<minProcessingUnits kb="CUD" kxe="false">0.1</minProcessingUnits>'
        '<desiredProcessingUnits kxe="false" kb="CUD">0.5</desiredProcessingUnits>'
        '<maxProcessingUnits kb="CUD" kxe="false">0.5</maxProcessingUnits>'
        '<minVirtualProcessors kb="CUD" kxe="false">1</minVirtualProcessors>'
        '<desiredVirtualProcessors kxe="false" kb="CUD">2</desiredVirtualProcessors>'
        '<maxVirtualProcessors kxe="false" kb="CUD">2</maxVirtualProcessors></sharedProcessorConfiguration>')
    old = t.xpath('//sharedProcessorConfiguration')[0]
    old.getparent().remove(old)
    t.xpath('//sharingMode')[0].addnext(etree.XML(shared))
    ded = t.xpath('//dedicatedProcessorConfiguration')[0]
    ded.getparent().remove(ded)
    t.xpath('//currHasDedicatedProcessors')[0].text = 'false'
    t.xpath('//currSharingMode')[0].text = 'uncapped'
    t.xpath('//currMinMemory')[0].text = '1024'
    t.xpath('//currMemory')[0].text = '2048'
    t.xpath('//currMaxMemory')[0].text = '2048'
    # updateVirtualNWSettingsToDom: virt_network_config VLAN100 in slot 10.
    t.xpath('//ioConfiguration')[0].addnext(etree.XML(
        '<clientNetworkAdapters kb="CUD" kxe="false" schemaVersion="V1_0"><Metadata><Atom/></Metadata>'
        '<ClientNetworkAdapter schemaVersion="V1_0"><Metadata><Atom/></Metadata>'
        '<VirtualSlotNumber kb="CUD" kxe="false">10</VirtualSlotNumber>'
        '<clientVirtualNetworks kb="CUD" kxe="false" schemaVersion="V1_0"><Metadata><Atom/></Metadata>'
        '<ClientVirtualNetwork schemaVersion="V1_0"><Metadata><Atom/></Metadata>'
        '<name kxe="false" kb="CUD">VLAN100-ETHERNET0</name><uuid kb="CUD" kxe="false">x</uuid>'
        '</ClientVirtualNetwork></clientVirtualNetworks></ClientNetworkAdapter></clientNetworkAdapters>'))
    print('update', update(uuid, t))
    status, d = check(name)
    draft = result(d, 'TEMPLATE_UUID')
    print('check', status, draft is not None and draft != uuid)
    print('draft', template(draft).xpath('//partitionName')[0].text)
    print('drafts hidden', template_uuid(name) == uuid)
    status, d = job('/rest/api/templates/PartitionTemplate/%s/do/transform' % draft, 'Transform',
                    'PartitionTemplate', {'K_X_API_SESSION_MEMENTO': tok, 'TargetUuid': sys_uuid}, True)
    print('transform', status)
    status, d = job('/rest/api/templates/PartitionTemplate/%s/do/deploy' % draft, 'Deploy',
                    'PartitionTemplate', {'K_X_API_SESSION_MEMENTO': tok, 'TargetUuid': sys_uuid}, True)
    new = result(d, 'PartitionUuid')
    print('deploy', status, new is not None)
    q = json.loads(get('/rest/api/uom/LogicalPartition/%s/quick' % new).content)
    print('quick', q['PartitionName'], q['PartitionState'])
    # A partition name that is taken fails the check, in the HMC's words.
    t = template(uuid)
    t.xpath('//partitionName')[0].text = 'aix72a'
    update(uuid, t)
    status, d = check(name)
    print('taken', status, 'already exists' in (result(d, 'result') or ''))
    # The module's cleanup: the copy goes, with its drafts.
    r = requests.delete(base + '/rest/api/templates/PartitionTemplate/' + uuid, headers=H, verify=False)
    print('delete', r.status_code, template_uuid(name), get('/rest/api/templates/PartitionTemplate/' + draft).status_code)
    r = requests.delete(base + '/rest/api/templates/PartitionTemplate/' + template_uuid('QuickStart_lpar_rpa_2'),
                        headers=H, verify=False)
    print('builtin stays', r.status_code)

if step == 'create':
    # hmc-mcp's create_logical_partition: a partial document PUT under the
    # frame; then Ansible's deleteLogicalPartition of the deployed web09,
    # and of a running partition, which the HMC refuses.
    ms = system('sys2')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<LogicalPartition xmlns="%s" schemaVersion="V1_0">\n'
        '  <Metadata><Atom/></Metadata>\n  <PartitionMemoryConfiguration kb="CUD" kxe="false">\n    <Metadata><Atom/></Metadata>\n'
        '    <DesiredMemory kb="CUD" kxe="false">4096</DesiredMemory>\n  </PartitionMemoryConfiguration>\n'
        '  <PartitionName kb="CUR" kxe="false">mcp01</PartitionName>\n'
        '  <PartitionType kb="COD" kxe="false">AIX/Linux</PartitionType>\n</LogicalPartition>\n') % UOM
    r = requests.put(base + '/rest/api/uom/ManagedSystem/%s/LogicalPartition' % ms, data=doc, verify=False,
        headers={**H, 'Content-Type': 'application/vnd.ibm.powervm.uom+xml; type=LogicalPartition'})
    d = strip(r.content)
    print('create', r.status_code, d.xpath('//PartitionName')[0].text, d.xpath('//DesiredMemory')[0].text)
    r = requests.put(base + '/rest/api/uom/ManagedSystem/%s/LogicalPartition' % ms, data=doc, verify=False,
        headers={**H, 'Content-Type': 'application/vnd.ibm.powervm.uom+xml; type=LogicalPartition'})
    print('again', r.status_code, 'already exists' in message(r))
    for name in ('web09', 'aix72a'):
        u, _, _ = lpar(name)
        r = requests.delete(base + '/rest/api/uom/LogicalPartition/' + u, verify=False,
            headers={**H, 'Accept': 'application/vnd.ibm.powervm.uom+xml; type=LogicalPartition'})
        print('delete', name, r.status_code)

if step == 'disks':
    r = get('/rest/api/uom/VirtualIOServer/search/(PartitionName==vios1)')
    v = strip(r.content).xpath('//AtomID')[0].text
    status, d = job('/rest/api/uom/VirtualIOServer/%s/do/GetFreePhysicalVolumes' % v,
                    'GetFreePhysicalVolumes', 'VirtualIOServer', {})
    pvs = strip(result(d, 'result').encode()).xpath('//PhysicalVolume')
    names = [p.xpath('VolumeName')[0].text for p in pvs]
    print('free', status, len(pvs) > 0, all(n.startswith('hdisk') for n in names),
          all(p.xpath('UniqueDeviceID')[0].text and int(p.xpath('VolumeCapacity')[0].text) > 0 for p in pvs))

if step == 'map':
    # powervm_dlpar update_pv and update_npiv: the VIOS entry read, a new
    # mapping appended, the entry POSTed back under its namespace.
    # The frame's own vios1, as the module finds it (every frame has one).
    quick = get('/rest/api/uom/ManagedSystem/%s/VirtualIOServer/quick/All' % system('sys2'))
    v = [x['UUID'] for x in json.loads(quick.content) if x['PartitionName'] == 'vios1'][0]
    lu, _, _ = lpar('aix72a')
    def post(mapping, where):
        vios = strip(get('/rest/api/uom/VirtualIOServer/' + v).content).xpath('//VirtualIOServer')[0]
        vios.xpath('//' + where)[0].append(etree.XML(mapping))
        r = requests.post(base + '/rest/api/uom/VirtualIOServer/' + v, verify=False,
            data=put_ns(vios, 'VirtualIOServer', UOM),
            headers={**H, 'Content-Type': 'application/vnd.ibm.powervm.uom+xml; type=VirtualIOServer'})
        return r.status_code, r.content
    vios = strip(get('/rest/api/uom/VirtualIOServer/' + v).content)
    mapped = [x.text for x in vios.xpath('//ServerAdapter/BackingDeviceName')]
    pv = [p for p in vios.xpath('//PhysicalFibreChannelPort//PhysicalVolume')
          if p.xpath('VolumeName')[0].text not in mapped][0]
    disk = pv.xpath('VolumeName')[0].text
    link = '<AssociatedLogicalPartition kb="CUR" kxe="false" href="https://localhost:443/rest/api/uom/LogicalPartition/%s" rel="related"/>' % lu
    status, _ = post('<VirtualSCSIMapping schemaVersion="V1_0"><Metadata><Atom/></Metadata>%s'
                     '<Storage kb="CUR" kxe="false">%s</Storage></VirtualSCSIMapping>'
                     % (link, etree.tostring(pv).decode()), 'VirtualSCSIMappings')
    print('pv', status, disk)
    bad = etree.tostring(pv).decode().replace('>%s<' % disk, '>hdisk99<')
    status, body = post('<VirtualSCSIMapping schemaVersion="V1_0">%s<Storage>%s</Storage></VirtualSCSIMapping>'
                        % (link, bad), 'VirtualSCSIMappings')
    print('bad', status, b'hdisk99 was not found' in body)
    status, _ = post('<VirtualFibreChannelMapping schemaVersion="V1_0">%s<Port kb="CUR" kxe="false">'
                     '<PortName kb="CUR" kxe="false">fcs1</PortName></Port></VirtualFibreChannelMapping>' % link,
                     'VirtualFibreChannelMappings')
    print('npiv', status)
"#;

fn client(step: &str) -> (String, bool) {
    let out = Command::new("python3")
        .args(["-c", CLIENT, "127.43.62.11:12443", step])
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .unwrap();
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.success())
}

#[test]
fn ansible_rest_writes_change_partitions_and_deploy_templates() {
    let have = Command::new("python3")
        .args(["-c", "import requests, lxml"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        println!(
            "SKIPPED: python3 with requests and lxml is missing (tests/setup.sh installs them)"
        );
        return;
    }
    let lab = Lab::new("127.43.62");
    lab.up();

    let (out, ok) = client("dlpar");
    assert!(ok, "{out}");
    println!("{out}");
    assert_eq!(
        out,
        "before 16384 16384 4 4\npost 200 True\nafter 20480 20480 5 5\n\
over 400 True True\nstale 412 True\nfresh 200\nlast 24576 24576 5 5\n"
    );
    // The command line sees the same partition: the profile keeps it.
    let (prof, _) = lab.hmc(
        "hmc1",
        "lssyscfg -r prof -m sys2 --filter lpar_names=aix72a -F desired_mem,desired_procs",
    );
    assert_eq!(prof, "24576,5\n");

    let (out, ok) = client("template");
    assert!(ok, "{out}");
    println!("{out}");
    assert_eq!(
        out,
        "copy 200\nupdate 200\ncheck COMPLETED_OK True\ndraft web09\ndrafts hidden True\n\
transform COMPLETED_OK\ndeploy COMPLETED_OK True\nquick web09 not activated\n\
taken COMPLETED_WITH_ERROR True\ndelete 204 None 404\nbuiltin stays 403\n"
    );
    let (lpars, _) = lab.hmc("hmc1", "lssyscfg -r lpar -m sys2 -F name,state");
    assert!(lpars.contains("web09,Not Activated\n"), "{lpars}");
    let (prof, _) = lab.hmc(
        "hmc1",
        "lssyscfg -r prof -m sys2 --filter lpar_names=web09 -F name,desired_mem,proc_mode,desired_proc_units,desired_procs,sharing_mode",
    );
    assert_eq!(prof, "default_profile,2048,shared,0.5,2,uncap\n");
    let (eth, _) = lab.hmc(
        "hmc1",
        "lssyscfg -r prof -m sys2 --filter lpar_names=web09 -F virtual_eth_adapters",
    );
    assert_eq!(eth, "10/0/100//0/0/ETHERNET0//all/none\n");

    let (out, ok) = client("create");
    assert!(ok, "{out}");
    println!("{out}");
    assert_eq!(
        out,
        "create 200 mcp01 4096\nagain 400 True\ndelete web09 204\ndelete aix72a 400\n"
    );
    let (lpars, _) = lab.hmc("hmc1", "lssyscfg -r lpar -m sys2 -F name,state");
    assert!(lpars.contains("mcp01,Not Activated\n"), "{lpars}");
    assert!(lpars.contains("aix72a,Running\n"), "{lpars}");
    assert!(!lpars.contains("web09"), "{lpars}");

    let (out, ok) = client("disks");
    assert!(ok, "{out}");
    assert_eq!(out, "free COMPLETED_OK True True True\n");

    // New vSCSI and NPIV mappings: on the VIOS, and the adapters on both
    // partitions, running and in their profiles. A disk the VIOS does not
    // have is refused, and nothing changes.
    let slots = |lpar: &str, attr: &str| {
        lab.hmc(
            "hmc1",
            &format!("lssyscfg -r prof -m sys2 --filter lpar_names={lpar} -F {attr}"),
        )
        .0
        .matches('/')
        .count()
    };
    let before = (
        slots("aix72a", "virtual_scsi_adapters"),
        slots("vios1", "virtual_scsi_adapters"),
    );
    let (out, ok) = client("map");
    assert!(ok, "{out}");
    let disk = out
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("pv 200 "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    assert!(out.ends_with("bad 400 True\nnpiv 200\n"), "{out}");
    let (lsmap, _) = lab.hmc("hmc1", "viosvrcmd -m sys2 -p vios1 -c \"lsmap -all\"");
    let block = lsmap
        .split("SVSA")
        .find(|b| b.contains(&format!("Backing device        {disk}\n")))
        .unwrap_or_else(|| panic!("{disk} not mapped: {lsmap}"));
    assert!(block.contains("0x00000004"), "to aix72a (id 4): {block}");
    let after = (
        slots("aix72a", "virtual_scsi_adapters"),
        slots("vios1", "virtual_scsi_adapters"),
    );
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (5, 5),
        "one vSCSI adapter more on each side"
    );
    let (npiv, _) = lab.hmc("hmc1", "viosvrcmd -m sys2 -p vios1 -c \"lsmap -all -npiv\"");
    assert!(npiv.contains("FC name:fcs1"), "{npiv}");
    let (dyn_scsi, _) = lab.hmc(
        "hmc1",
        "lshwres -r virtualio --rsubtype scsi -m sys2 --level lpar --filter lpar_names=aix72a -F slot_num",
    );
    assert_eq!(dyn_scsi.lines().count(), after.0 / 5, "{dyn_scsi}");

    // A template the HMC acknowledged survives kill -9 of the HMC.
    assert_eq!(client("keep"), ("copy 200\n".to_string(), true));
    let r = lab.pvmlab(&["fault", "node", "hmc1", "restart"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(client("kept"), ("kept True lpar\n".to_string(), true));
}
