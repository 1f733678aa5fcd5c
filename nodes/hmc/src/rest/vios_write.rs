//! POST of a `VirtualIOServer` entry: the mappings it carries that the VIOS
//! does not have yet are made (`crate::vmap`), as pypowervm's `add_map`
//! and Ansible's `powervm_dlpar` `update_pv`/`update_npiv` post them: the
//! entry as read, with a new `VirtualSCSIMapping` (a `Storage` physical
//! volume) or `VirtualFibreChannelMapping` (a `Port`) appended. A mapping
//! read from the VIOS names its server adapter (`AdapterName`); a new one
//! does not. Mappings left out of the body stay: this lab makes mappings
//! through REST but does not remove them that way.

use super::{Reply, Rest, error};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::vmap::{self, Backing, NewMapping};
use axum::http::StatusCode;
use pvmlab_common::proto::hmc::FrameView;
use std::sync::Arc;

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.tag_name().name() == name)
}

fn text(n: Option<roxmltree::Node<'_, '_>>) -> Option<String> {
    n.and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn slot(m: roxmltree::Node<'_, '_>, adapter: &str) -> Result<Option<u32>, String> {
    match text(child(m, adapter).and_then(|a| child(a, "VirtualSlotNumber"))) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("The {adapter} VirtualSlotNumber {s} is not a number.")),
    }
}

/// The new mappings of a posted entry, in document order; Err: why the
/// body cannot be taken (nothing is changed then).
pub fn new_mappings(
    root: roxmltree::Node<'_, '_>,
    f: &FrameView,
    vios_id: u32,
) -> Result<Vec<NewMapping>, String> {
    let mut out = Vec::new();
    let mappings = root.descendants().filter(|n| {
        matches!(
            n.tag_name().name(),
            "VirtualSCSIMapping" | "VirtualFibreChannelMapping"
        )
    });
    for m in mappings {
        let existing = child(m, "ServerAdapter")
            .and_then(|a| text(child(a, "AdapterName")))
            .is_some();
        if existing {
            continue;
        }
        let href = child(m, "AssociatedLogicalPartition")
            .and_then(|a| a.attribute("href"))
            .ok_or("A new mapping needs its AssociatedLogicalPartition link.")?;
        let uuid = href.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let client = f
            .partitions
            .iter()
            .find(|p| super::partition::uuid(&f.name, p) == uuid)
            .ok_or_else(|| format!("No LogicalPartition {uuid} is on this managed system."))?;
        let backing = if m.tag_name().name() == "VirtualSCSIMapping" {
            let storage =
                child(m, "Storage").ok_or("A new VirtualSCSIMapping needs its Storage.")?;
            if let Some(pv) = child(storage, "PhysicalVolume") {
                Backing::Disk(
                    text(child(pv, "VolumeName"))
                        .ok_or("The PhysicalVolume of a new mapping needs its VolumeName.")?,
                )
            } else {
                let kind = storage
                    .children()
                    .find(|c| c.is_element())
                    .map(|c| c.tag_name().name().to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "The Virtual I/O Server has no {} to map: it has no media repository, logical volumes or shared storage pool.",
                    if kind.is_empty() { "storage" } else { &kind }
                ));
            }
        } else {
            Backing::Port(
                child(m, "Port")
                    .and_then(|p| text(child(p, "PortName")))
                    .ok_or("A new VirtualFibreChannelMapping needs its Port's PortName.")?,
            )
        };
        let wwpns = text(child(m, "ClientAdapter").and_then(|a| child(a, "WWPNs")))
            .map(|w| w.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        out.push(NewMapping {
            vios_id,
            client_id: client.id,
            backing,
            server_slot: slot(m, "ServerAdapter")?,
            client_slot: slot(m, "ClientAdapter")?,
            wwpns,
        });
    }
    Ok(out)
}

/// POST …/VirtualIOServer/{uuid} (`rel` its path under /rest/api/uom).
pub async fn post(
    rest: &Arc<Rest>,
    user: &str,
    uuid: &str,
    rel: &str,
    body: &[u8],
    uri: &str,
) -> Reply {
    let Some((f, vios)) =
        super::jobs::target(rest, uuid).filter(|(_, p)| p.lpar_env == "vioserver")
    else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No VirtualIOServer {uuid} is managed by this management console."),
        );
    };
    let text = String::from_utf8_lossy(body);
    let doc = match super::parse(&text, uri, "VirtualIOServer") {
        Ok(d) => d,
        Err(e) => return e,
    };
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, uri, "Bad Request", m);
    let wanted = match new_mappings(doc.root_element(), &f, vios.id) {
        Ok(w) => w,
        Err(m) => return bad(&m),
    };
    let Some(ctx) = Ctx::of(&rest.hmc, user) else {
        return bad(&Hscl::NoAuthority.to_string());
    };
    for m in wanted {
        tracing::info!(%user, ?m, "REST: VIOS mapping");
        // Each mapping sees the adapters the ones before it made.
        let Some(now) = crate::lpm::frame_by(&ctx, &f.name) else {
            return bad(&format!("The managed system {} is not connected.", f.name));
        };
        if let Err(e) = vmap::add(&ctx, &now, m).await {
            return bad(e.to_string().trim_end());
        }
    }
    let g = super::Get {
        rest,
        base: rest.base.clone(),
        user: user.to_string(),
    };
    g.read(rel, uri).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::Partition;

    fn frame() -> FrameView {
        FrameView {
            name: "sys1".into(),
            partitions: vec![Partition {
                id: 5,
                name: "c".into(),
                lpar_env: "aixlinux".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn parse(body: &str) -> Result<Vec<NewMapping>, String> {
        let doc = roxmltree::Document::parse(body).unwrap();
        new_mappings(doc.root_element(), &frame(), 1)
    }

    #[test]
    fn only_mappings_without_a_server_adapter_name_are_new() {
        let f = frame();
        let uuid = super::super::partition::uuid(&f.name, &f.partitions[0]);
        let body = format!(
            r#"<VirtualIOServer><VirtualSCSIMappings>
            <VirtualSCSIMapping><AssociatedLogicalPartition href="https://h/rest/api/uom/LogicalPartition/{uuid}"/>
              <ServerAdapter><AdapterName>vhost0</AdapterName></ServerAdapter></VirtualSCSIMapping>
            <VirtualSCSIMapping><AssociatedLogicalPartition href="https://h/rest/api/uom/LogicalPartition/{uuid}"/>
              <ServerAdapter><VirtualSlotNumber>12</VirtualSlotNumber></ServerAdapter>
              <Storage><PhysicalVolume><VolumeName>hdisk3</VolumeName></PhysicalVolume></Storage></VirtualSCSIMapping>
            </VirtualSCSIMappings><VirtualFibreChannelMappings>
            <VirtualFibreChannelMapping><AssociatedLogicalPartition href="https://h/rest/api/uom/LogicalPartition/{uuid}"/>
              <ClientAdapter><WWPNs>C05076000000AA00 c05076000000aa01</WWPNs></ClientAdapter>
              <Port><PortName>fcs1</PortName></Port></VirtualFibreChannelMapping>
            </VirtualFibreChannelMappings></VirtualIOServer>"#
        );
        let m = parse(&body).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].backing, Backing::Disk("hdisk3".into()));
        assert_eq!((m[0].server_slot, m[0].client_slot), (Some(12), None));
        assert_eq!(m[1].backing, Backing::Port("fcs1".into()));
        assert_eq!(m[1].wwpns, ["c05076000000aa00", "c05076000000aa01"]);
    }

    #[test]
    fn an_unknown_partition_or_media_is_refused() {
        let body = r#"<VirtualIOServer><VirtualSCSIMapping><AssociatedLogicalPartition href="https://h/LogicalPartition/x"/>
            <Storage><PhysicalVolume><VolumeName>hdisk3</VolumeName></PhysicalVolume></Storage></VirtualSCSIMapping></VirtualIOServer>"#;
        assert!(parse(body).unwrap_err().contains("No LogicalPartition x"));
        let f = frame();
        let uuid = super::super::partition::uuid(&f.name, &f.partitions[0]);
        let body = format!(
            r#"<VirtualIOServer><VirtualSCSIMapping><AssociatedLogicalPartition href="https://h/LogicalPartition/{uuid}"/>
            <Storage><VirtualOpticalMedia><MediaName>x.iso</MediaName></VirtualOpticalMedia></Storage></VirtualSCSIMapping></VirtualIOServer>"#
        );
        assert!(parse(&body).unwrap_err().contains("VirtualOpticalMedia"));
    }
}
