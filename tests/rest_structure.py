"""Compares pvmlab's REST responses, in structure, with the HMC responses
recorded inside the pypowervm wheel (pypowervm/tests/data): the same media
type, the same object root element and namespace, every element pvmlab
sends present at the same path in the recording, and the leaves carrying
the HMC's kb/kxe attributes. Prints one line per difference; exit 1 if any.

python3 rest_structure.py <hmc address> <port>
"""
import os, re, sys, warnings
import requests
from lxml import etree
import pypowervm

warnings.simplefilter('ignore')
host, port = sys.argv[1], sys.argv[2]
base = 'https://%s:%s' % (host, port)
DATA = os.path.join(os.path.dirname(pypowervm.__file__), 'tests', 'data')
ATOM = '{http://www.w3.org/2005/Atom}'

# path -> the recordings of that object (HMCs of several levels)
CASES = [
    ('ManagementConsole', ['managementconsole.txt']),
    ('ManagedSystem', ['managedsystem.txt', 'sys_with_sriov.txt']),
    ('LogicalPartition', ['lpar.txt', 'fake_lpar_feed.txt']),
    ('VirtualIOServer', ['fake_vios_feed.txt', 'fake_vios.txt', 'fake_vios_mappings.txt', 'fake_vios_ssp_npiv.txt']),
    ('ManagedSystem/{sys2}/VirtualSwitch', ['fake_virtual_switch.txt', 'fake_vswitch_feed.txt']),
    ('ManagedSystem/{sys2}/VirtualNetwork', ['fake_virtual_network_feed.txt']),
    ('ManagedSystem/{sys2}/SharedProcessorPool', ['shrprocpool.txt']),
    ('LogicalPartition/{lnx01}/VirtualFibreChannelClientAdapter', ['vfc_client_adapter_feed.txt']),
    ('LogicalPartition/{lnx01}/ClientNetworkAdapter', ['cna_feed.txt']),
]
# Entries of later HMCs carry an etag (event_feed.txt).
LATER_ENTRY = {'etag'}


def recorded(name):
    text = open(os.path.join(DATA, name)).read()
    body = text.split('BODY{', 1)[1].rsplit('END OF SECTION}', 1)[0]
    return etree.fromstring(body.strip().encode())


def paths(obj, prefix=''):
    out = set()
    for child in obj:
        if not isinstance(child.tag, str):
            continue
        p = prefix + '/' + etree.QName(child).localname
        out.add(p)
        out |= paths(child, p)
    return out


def first_object(feed):
    entry = feed.find(ATOM + 'entry')
    content = entry.find(ATOM + 'content')
    return entry, content, content[0]


logon = ('<LogonRequest xmlns="http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/" '
         'schemaVersion="V1_1_0"><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>')
r = requests.put(base + '/rest/api/web/Logon', data=logon, verify=False, headers={
    'Content-Type': 'application/vnd.ibm.powervm.web+xml; type=LogonRequest'})
tok = re.search(r'X-API-Session[^>]*>([^<]+)<', r.text).group(1)
problems = 0
sys2 = re.search(r'<id>([^<]+)</id><title>ManagedSystem', requests.get(
    base + '/rest/api/uom/ManagedSystem/search/(SystemName==sys2)', verify=False,
    headers={'X-API-Session': tok}).text).group(1)
lnx01 = re.search(r'<PartitionUUID[^>]*>([^<]+)<', requests.get(
    base + '/rest/api/uom/LogicalPartition/search/(PartitionName==lnx01)', verify=False,
    headers={'X-API-Session': tok}).text).group(1)
for path, names in CASES:
    name = names[0]
    url = base + '/rest/api/uom/' + path.format(sys2=sys2, lnx01=lnx01)
    ours_resp = requests.get(url, verify=False, headers={'X-API-Session': tok})
    ours = etree.fromstring(ours_resp.content)
    theirs = recorded(name)
    if ours_resp.headers.get('content-type') != 'application/atom+xml':
        print(path, 'media type', ours_resp.headers.get('content-type'))
        problems += 1
    oe, oc, oo = first_object(ours)
    te, tc, to = first_object(theirs)
    for what, a, b in [('feed root', ours.tag, theirs.tag),
                       ('content type', oc.get('type'), tc.get('type')),
                       ('object root', oo.tag, to.tag)]:
        if a != b:
            print(path, what, a, '!=', b)
            problems += 1
    entry_tags = {etree.QName(c).localname for c in te if isinstance(c.tag, str)} | LATER_ENTRY
    for c in oe:
        if isinstance(c.tag, str) and etree.QName(c).localname not in entry_tags:
            print(path, 'entry element not in the recording:', c.tag)
            problems += 1
    known = set()
    for n in names:
        rec = recorded(n)
        entries = rec.findall(ATOM + 'entry') if rec.tag == ATOM + 'feed' else [rec]
        for e in entries:
            known |= paths(e.find(ATOM + 'content')[0])
    for p in sorted(paths(oo) - known):
        print(path, 'element not in the recording:', p)
        problems += 1
    for leaf in oo.iter():
        if isinstance(leaf.tag, str) and len(leaf) == 0 and etree.QName(leaf).localname not in ('Atom', 'AtomID', 'AtomCreated', 'link'):
            if leaf.get('kb') is None or leaf.get('kxe') is None:
                print(path, 'leaf without kb/kxe:', leaf.tag)
                problems += 1
    print(path, 'checked:', len(paths(oo)), 'element paths')
sys.exit(1 if problems else 0)
