//! `ManagementConsole`: this HMC, with links to the frames it manages.

use super::{Get, Reply, xml};

fn entry(g: &Get<'_>) -> (String, String) {
    let h = g.hmc();
    let id = crate::ids::uuid("ManagementConsole", &h.name);
    let links: String = h
        .view
        .frames()
        .iter()
        .map(|f| {
            format!(
                "<link href=\"{}/rest/api/uom/ManagementConsole/{id}/ManagedSystem/{}\" rel=\"related\"/>",
                g.base,
                crate::ids::frame(&f.name)
            )
        })
        .collect();
    let body = [
        xml::group(
            "MachineTypeModelAndSerialNumber",
            Some("ROR"),
            &[
                xml::el("MachineType", "CUR", "7042"),
                xml::el("Model", "CUR", "CR9"),
                xml::el("SerialNumber", "CUR", &h.name.to_uppercase()),
            ],
        ),
        format!("<ManagedFrames kb=\"CUD\" kxe=\"false\"/><ManagedSystems kxe=\"false\" kb=\"CUD\">{links}</ManagedSystems>"),
        xml::el("ManagementConsoleName", "CUR", &h.name),
        xml::group(
            "NetworkInterfaces",
            Some("CUD"),
            &[xml::group(
                "ManagementConsoleNetworkInterface",
                None,
                &[
                    xml::el("InterfaceName", "CUD", "eth0"),
                    xml::el("NetworkAddress", "CUR", &h.address),
                ],
            )],
        ),
        xml::group("VersionInfo", Some("ROR"), &[]),
    ]
    .concat();
    (
        id.clone(),
        xml::entry(&g.base, "ManagementConsole", &id, &body),
    )
}

pub async fn read(g: &Get<'_>, rest_of_path: &[&str]) -> Option<Reply> {
    let (id, e) = entry(g);
    match rest_of_path {
        [] => Some(Reply::feed("ManagementConsole", &[e])),
        [one] if *one == id => Some(Reply::entry("ManagementConsole", &e)),
        // ManagementConsole/{id}/ManagedSystem… is the frames' own resource.
        [one, "ManagedSystem"] if *one == id => super::system::read(g, &[]).await,
        [one, "ManagedSystem", sys] if *one == id => super::system::read(g, &[sys]).await,
        _ => None,
    }
}
