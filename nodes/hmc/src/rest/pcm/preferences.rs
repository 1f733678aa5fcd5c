//! PCM preferences: `/rest/api/pcm/preferences` (the console's, holding
//! every frame's) and `/rest/api/pcm/ManagedSystem/{uuid}/preferences`
//! (one frame's), read with GET and changed with POST or PUT of the
//! document as read (pypowervm's `ensure_ltm_monitors`) or of just the
//! flags to change (hmc-mcp): what a body leaves out stays as it was.

use super::super::{Reply, Rest, error};
use super::{PCM_NS, atom};
use crate::rest::xml::{self, GENERATOR, escape};
use crate::utilization::PcmPrefs;
use axum::http::StatusCode;
use pvmlab_common::proto::hmc::FrameView;

const TITLE: &str = "Performance and Capacity Monitoring Preferences";

fn flag_el(name: &str, v: bool, extra: &str) -> String {
    format!(
        "<{name}{extra} kb=\"UOD\" kxe=\"false\">{}</{name}>",
        xml::flag(v)
    )
}

/// One frame's preferences: the children of its ManagedSystemPcmPreference.
fn system_body(rest: &Rest, f: &FrameView) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    let (mt, model) = fr
        .type_model
        .split_once('-')
        .unwrap_or((&fr.type_model, ""));
    let name = if fr.user_name.is_empty() {
        &f.name
    } else {
        &fr.user_name
    };
    let p = rest.hmc.util.pcm(&f.name);
    let uuid = crate::ids::frame(&f.name);
    [
        xml::el("SystemName", "ROR", name),
        format!(
            "<MachineTypeModelSerialNumber kb=\"ROR\" kxe=\"false\" schemaVersion=\"V1_2_0\"><Metadata><Atom/></Metadata>{}{}{}</MachineTypeModelSerialNumber>",
            xml::el("MachineType", "ROR", mt),
            xml::el("Model", "ROR", model),
            xml::el("SerialNumber", "ROR", &fr.serial_num)
        ),
        flag_el("LongTermMonitorEnabled", p.ltm, ""),
        flag_el("AggregationEnabled", p.aggregation, ""),
        flag_el("ShortTermMonitorEnabled", p.stm, ""),
        flag_el("ComputeLTMEnabled", p.compute_ltm, " ksv=\"V1_1_0\""),
        flag_el("EnergyMonitorEnabled", false, ""),
        format!(
            "<AssociatedManagedSystem kb=\"ROO\" kxe=\"false\" href=\"{}/rest/api/uom/ManagedSystem/{uuid}\" rel=\"related\"/>",
            rest.base
        ),
    ]
    .concat()
}

fn entry(id: &str, content: &str) -> String {
    let t = atom(now());
    format!(
        "<entry><id>{id}</id><updated>{t}</updated><title type=\"text\">{TITLE}</title><published>{t}</published>\
<author><name>{GENERATOR}</name></author><content type=\"application/xml\">{content}</content></entry>"
    )
}

fn feed(id: &str, self_href: &str, entry: &str) -> Reply {
    let body = format!(
        "<feed xmlns=\"{}\" xmlns:ns2=\"http://a9.com/-/spec/opensearch/1.1/\" xmlns:ns3=\"http://www.w3.org/1999/xhtml\">\
<id>{id}</id><title type=\"text\">{TITLE}</title><subtitle type=\"text\"/><link rel=\"self\" href=\"{}\"/>\
<generator uri=\"{GENERATOR}\" version=\"1\"/>{entry}</feed>",
        xml::ATOM_NS,
        escape(self_href)
    );
    Reply::ok("application/atom+xml".into(), body)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `ManagedSystem/{uuid}/preferences`: a feed of the one frame's.
pub fn system_feed(rest: &Rest, f: &FrameView) -> Reply {
    let uuid = crate::ids::frame(&f.name);
    let content = format!(
        "<ManagedSystemPcmPreference:ManagedSystemPcmPreference xmlns:ManagedSystemPcmPreference=\"{PCM_NS}\" xmlns=\"{PCM_NS}\" \
xmlns:ns2=\"http://www.w3.org/XML/1998/namespace/k2\" schemaVersion=\"V1_2_0\">\
<Metadata><Atom><AtomID>{uuid}</AtomID><AtomCreated>0</AtomCreated></Atom></Metadata>{}</ManagedSystemPcmPreference:ManagedSystemPcmPreference>",
        system_body(rest, f)
    );
    feed(
        &uuid,
        &format!(
            "{}/rest/api/pcm/ManagedSystem/{uuid}/preferences",
            rest.base
        ),
        &entry(
            &crate::ids::uuid("ManagedSystemPcmPreference", &f.name),
            &content,
        ),
    )
}

/// `/rest/api/pcm/preferences`: the console's, with every frame's inside.
pub fn console(rest: &Rest, frames: &[std::sync::Arc<FrameView>]) -> Reply {
    let id = crate::ids::uuid("ManagementConsolePcmPreference", &rest.hmc.name);
    let systems: String = frames
        .iter()
        .filter(|f| f.frame.is_some())
        .map(|f| {
            format!(
                "<ManagedSystemPcmPreference kb=\"UOD\" kxe=\"false\" schemaVersion=\"V1_2_0\"><Metadata><Atom/></Metadata>{}</ManagedSystemPcmPreference>",
                system_body(rest, f)
            )
        })
        .collect();
    let n = frames.len().max(1).to_string();
    let content = format!(
        "<ManagementConsolePcmPreference:ManagementConsolePcmPreference xmlns:ManagementConsolePcmPreference=\"{PCM_NS}\" xmlns=\"{PCM_NS}\" \
xmlns:ns2=\"http://www.w3.org/XML/1998/namespace/k2\" schemaVersion=\"V1_2_0\">\
<Metadata><Atom><AtomID>{id}</AtomID><AtomCreated>0</AtomCreated></Atom></Metadata>{}{}{}{}{}{}{}</ManagementConsolePcmPreference:ManagementConsolePcmPreference>",
        xml::el("MaximumManagedSystemsForLongTermMonitor", "ROO", &n),
        xml::el("MaximumManagedSystemsForComputeLTM", "ROO", &n),
        xml::el("MaximumManagedSystemsForAggregation", "ROO", &n),
        xml::el("MaximumManagedSystemsForShortTermMonitor", "ROO", &n),
        xml::el("AggregatedMetricsStorageDuration", "CUD", "180"),
        systems,
        xml::el("EnergyMonitoringCapable", "ROO", "false"),
    );
    feed(
        &id,
        &format!("{}/rest/api/pcm/preferences", rest.base),
        &entry(&id, &content),
    )
}

/// The flags a preferences element sets: those it holds as direct
/// children; a flag left out keeps `was`.
fn flags(node: roxmltree::Node<'_, '_>, was: PcmPrefs) -> Result<PcmPrefs, String> {
    let mut p = was;
    for c in node.children().filter(|c| c.is_element()) {
        let slot = match c.tag_name().name() {
            "LongTermMonitorEnabled" => &mut p.ltm,
            "ShortTermMonitorEnabled" => &mut p.stm,
            "AggregationEnabled" => &mut p.aggregation,
            "ComputeLTMEnabled" => &mut p.compute_ltm,
            _ => continue,
        };
        *slot = match c.text().unwrap_or_default().trim() {
            "true" => true,
            "false" => false,
            v => {
                return Err(format!(
                    "The value {v} of {} is not valid: give true or false.",
                    c.tag_name().name()
                ));
            }
        };
    }
    Ok(p)
}

/// The frame a console document's ManagedSystemPcmPreference names, by
/// its AssociatedManagedSystem link or its SystemName.
fn named<'a>(
    node: roxmltree::Node<'_, '_>,
    frames: &'a [std::sync::Arc<FrameView>],
) -> Option<&'a FrameView> {
    let child = |n: &str| node.children().find(|c| c.tag_name().name() == n);
    if let Some(href) = child("AssociatedManagedSystem").and_then(|c| c.attribute("href")) {
        let id = href.rsplit('/').next().unwrap_or("");
        return frames
            .iter()
            .find(|f| crate::ids::frame(&f.name).eq_ignore_ascii_case(id))
            .map(|f| &**f);
    }
    let name = child("SystemName")?.text()?.trim().to_string();
    frames
        .iter()
        .find(|f| crate::hmc::names_frame(f, &name))
        .map(|f| &**f)
}

/// POST/PUT of preferences: for one frame (`target`), or for the frames
/// the console document names (flags at its top apply to every frame).
/// All is checked before anything changes.
pub fn change(
    rest: &Rest,
    user: &str,
    target: Option<&FrameView>,
    frames: &[std::sync::Arc<FrameView>],
    body: &[u8],
    uri: &str,
) -> Option<Reply> {
    if !rest.hmc.users.get(user).is_some_and(|u| u.may_change()) {
        return Some(error(
            StatusCode::FORBIDDEN,
            uri,
            "Forbidden",
            "The user does not have the authority to change the PCM preferences.",
        ));
    }
    let text = String::from_utf8_lossy(body);
    let doc = match roxmltree::Document::parse(&text) {
        Ok(d) => d,
        Err(e) => {
            return Some(error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                &format!("The request body is not well-formed XML: {e}."),
            ));
        }
    };
    let root = doc.root_element();
    let bad = |m: String| Some(error(StatusCode::BAD_REQUEST, uri, "Bad Request", &m));
    if !matches!(
        root.tag_name().name(),
        "ManagedSystemPcmPreference" | "ManagementConsolePcmPreference"
    ) {
        return bad(
            "The body must be a ManagedSystemPcmPreference or a ManagementConsolePcmPreference."
                .into(),
        );
    }
    let mut changes: Vec<(String, PcmPrefs)> = Vec::new();
    match target {
        Some(f) => {
            // One frame's: its flags wherever the document holds them.
            let holder = root
                .descendants()
                .find(|n| n.tag_name().name() == "ManagedSystemPcmPreference")
                .unwrap_or(root);
            let mut p = match flags(root, rest.hmc.util.pcm(&f.name)) {
                Ok(p) => p,
                Err(m) => return bad(m),
            };
            if holder != root {
                p = match flags(holder, p) {
                    Ok(p) => p,
                    Err(m) => return bad(m),
                };
            }
            changes.push((f.name.clone(), p));
        }
        None => {
            for f in frames.iter().filter(|f| f.frame.is_some()) {
                match flags(root, rest.hmc.util.pcm(&f.name)) {
                    Ok(p) => changes.push((f.name.clone(), p)),
                    Err(m) => return bad(m),
                }
            }
            for n in root
                .children()
                .filter(|n| n.tag_name().name() == "ManagedSystemPcmPreference")
            {
                let Some(f) = named(n, frames) else {
                    return bad("A ManagedSystemPcmPreference names no managed system of this management console.".into());
                };
                let was = changes
                    .iter()
                    .find(|(x, _)| *x == f.name)
                    .map(|(_, p)| *p)
                    .unwrap_or_default();
                match flags(n, was) {
                    Ok(p) => changes.push((f.name.clone(), p)),
                    Err(m) => return bad(m),
                }
            }
        }
    }
    for (frame, p) in changes {
        if let Err(e) = rest.hmc.util.set_pcm(&frame, p) {
            return Some(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                uri,
                "Internal Server Error",
                &e.to_string(),
            ));
        }
    }
    Some(match target {
        Some(f) => system_feed(rest, f),
        None => console(rest, frames),
    })
}
