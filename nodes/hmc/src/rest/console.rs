//! `ManagementConsole`: this HMC, with links to the frames it manages.

use super::{Reply, Rest, xml};

fn entry(rest: &Rest) -> (String, String) {
    let h = &rest.hmc;
    let id = xml::uuid("ManagementConsole", &h.name);
    let links: String = h
        .view
        .frames()
        .iter()
        .map(|f| {
            format!(
                "<link href=\"{}/rest/api/uom/ManagementConsole/{id}/ManagedSystem/{}\" rel=\"related\"/>",
                rest.base,
                xml::uuid("ManagedSystem", &f.name)
            )
        })
        .collect();
    let body = format!(
        "<MachineTypeModelAndSerialNumber kb=\"ROR\" kxe=\"false\" schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata>{}{}{}</MachineTypeModelAndSerialNumber>\
<ManagedFrames kb=\"CUD\" kxe=\"false\"/><ManagedSystems kxe=\"false\" kb=\"CUD\">{links}</ManagedSystems>{}\
<NetworkInterfaces kb=\"CUD\" kxe=\"false\" schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata>\
<ManagementConsoleNetworkInterface schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata>{}{}</ManagementConsoleNetworkInterface></NetworkInterfaces>\
<VersionInfo kb=\"ROR\" kxe=\"false\" schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata></VersionInfo>",
        xml::el("MachineType", "CUR", "7042"),
        xml::el("Model", "CUR", "CR9"),
        xml::el("SerialNumber", "CUR", &h.name.to_uppercase()),
        xml::el("ManagementConsoleName", "CUR", &h.name),
        xml::el("InterfaceName", "CUD", "eth0"),
        xml::el("NetworkAddress", "CUR", &h.address),
    );
    (
        id.clone(),
        xml::entry(&rest.base, "ManagementConsole", &id, &body),
    )
}

pub fn read(rest: &Rest, rest_of_path: &[&str]) -> Option<Reply> {
    let (id, e) = entry(rest);
    let media = xml::media_type("uom", "ManagementConsole");
    match rest_of_path {
        [] => Some(Reply::ok(
            "application/atom+xml".into(),
            xml::feed("ManagementConsole", &[e]),
        )),
        [one] if *one == id => Some(Reply::ok(media, xml::document(&e))),
        // ManagementConsole/{id}/ManagedSystem… is the frames' own resource.
        [one, "ManagedSystem"] if *one == id => super::system::read(rest, &[]),
        [one, "ManagedSystem", sys] if *one == id => super::system::read(rest, &[sys]),
        _ => None,
    }
}
