//! `ManagedSystem/{uuid}/VirtualSwitch` and `/VirtualNetwork`: a frame's
//! virtual Ethernet switches and the networks (one per switch and VLAN)
//! its partitions' virtual Ethernet adapters use — what they run with, or
//! their current profile's when they do not run. ETHERNET0, the default
//! switch, is always there (the API spells it `ETHERNET0(Default)`, as
//! pypowervm's recordings show); other switches follow by name.

use super::{Get, Reply, xml};
use pvmlab_common::model::VirtualEthAdapter;
use pvmlab_common::proto::hmc::FrameView;
use std::collections::BTreeMap;

pub const KINDS: [&str; 2] = ["VirtualSwitch", "VirtualNetwork"];

const DEFAULT: &str = "ETHERNET0";

/// The switch an adapter is on.
pub fn switch_of(a: &VirtualEthAdapter) -> String {
    if a.vswitch.is_empty() {
        DEFAULT.to_string()
    } else {
        a.vswitch.clone()
    }
}

/// A frame's switches, in id order, each with its VLANs and whether each
/// is carried tagged (an additional VLAN of some adapter).
pub fn switches(f: &FrameView) -> Vec<(String, BTreeMap<u32, bool>)> {
    let mut by_name: BTreeMap<String, BTreeMap<u32, bool>> = BTreeMap::new();
    by_name.entry(DEFAULT.into()).or_default();
    for p in &f.partitions {
        let eth = match &p.curr {
            Some(c) => c.eth.clone(),
            None => super::partition::current_profile(p).virtual_eth_adapters,
        };
        for a in &eth {
            let vlans = by_name.entry(switch_of(a)).or_default();
            vlans.entry(a.port_vlan_id).or_insert(false);
            for v in &a.addl_vlan_ids {
                vlans.insert(*v, true);
            }
        }
    }
    let mut out: Vec<_> = by_name.into_iter().collect();
    // The default switch is id 0.
    out.sort_by_key(|(n, _)| (n != DEFAULT, n.clone()));
    out
}

pub fn switch_id(f: &FrameView, name: &str) -> usize {
    switches(f).iter().position(|(n, _)| n == name).unwrap_or(0)
}

fn switch_uuid(f: &FrameView, name: &str) -> String {
    crate::ids::uuid("VirtualSwitch", &format!("{}/{name}", f.name))
}

fn network_uuid(f: &FrameView, switch: &str, vlan: u32) -> String {
    crate::ids::uuid("VirtualNetwork", &format!("{}/{switch}/{vlan}", f.name))
}

fn under(g: &Get<'_>, f: &FrameView, kind: &str, id: &str) -> String {
    format!(
        "{}/rest/api/uom/ManagedSystem/{}/{kind}/{id}",
        g.base,
        crate::ids::frame(&f.name)
    )
}

pub fn network_href(g: &Get<'_>, f: &FrameView, switch: &str, vlan: u32) -> String {
    under(g, f, "VirtualNetwork", &network_uuid(f, switch, vlan))
}

pub fn switch_href(g: &Get<'_>, f: &FrameView, name: &str) -> String {
    under(g, f, "VirtualSwitch", &switch_uuid(f, name))
}

fn network_name(switch: &str, vlan: u32) -> String {
    format!("VLAN{vlan}-{switch}")
}

/// Every network of the frame: (switch id, switch, VLAN, tagged).
fn networks(f: &FrameView) -> Vec<(usize, String, u32, bool)> {
    switches(f)
        .into_iter()
        .enumerate()
        .flat_map(|(i, (s, vlans))| {
            vlans
                .into_iter()
                .map(move |(v, tagged)| (i, s.clone(), v, tagged))
        })
        .collect()
}

pub fn read(g: &Get<'_>, f: &FrameView, kind: &str, rest_of_path: &[&str]) -> Option<Reply> {
    let entries: Vec<(String, String)> = if kind == "VirtualSwitch" {
        switches(f)
            .into_iter()
            .enumerate()
            .map(|(i, (name, vlans))| {
                let id = switch_uuid(f, &name);
                let links: String = vlans
                    .keys()
                    .map(|v| {
                        format!(
                            "<link href=\"{}\" rel=\"related\"/>",
                            under(g, f, "VirtualNetwork", &network_uuid(f, &name, *v))
                        )
                    })
                    .collect();
                let shown = if name == DEFAULT {
                    format!("{DEFAULT}(Default)")
                } else {
                    name.clone()
                };
                let body = [
                    xml::el("SwitchID", "ROR", &i.to_string()),
                    xml::el("SwitchMode", "CUD", "Veb"),
                    xml::el("SwitchName", "CUD", &shown),
                    format!("<VirtualNetworks kb=\"CUD\" kxe=\"false\">{links}</VirtualNetworks>"),
                ]
                .concat();
                let e = xml::entry_at(&under(g, f, kind, &id), kind, &id, &body);
                (id, e)
            })
            .collect()
    } else {
        if rest_of_path == ["quick", "All"] {
            return Some(super::quick::all(networks(f).into_iter().map(
                |(i, s, v, tagged)| {
                    let mut m = serde_json::Map::new();
                    m.insert("NetworkName".into(), network_name(&s, v).into());
                    m.insert("NetworkVLANID".into(), v.into());
                    m.insert("TaggedNetwork".into(), xml::flag(tagged).into());
                    m.insert("UUID".into(), network_uuid(f, &s, v).into());
                    m.insert("VswitchID".into(), i.into());
                    m
                },
            )));
        }
        networks(f)
            .into_iter()
            .map(|(i, s, v, tagged)| {
                let id = network_uuid(f, &s, v);
                let body = [
                    format!(
                        "<AssociatedSwitch kb=\"COD\" kxe=\"false\" href=\"{}\" rel=\"related\"/>",
                        switch_href(g, f, &s)
                    ),
                    xml::el("NetworkName", "CUR", &network_name(&s, v)),
                    xml::el("NetworkVLANID", "COD", &v.to_string()),
                    xml::el("VswitchID", "ROR", &i.to_string()),
                    xml::el("TaggedNetwork", "COD", xml::flag(tagged)),
                ]
                .concat();
                let e = xml::entry_at(&under(g, f, kind, &id), kind, &id, &body);
                (id, e)
            })
            .collect()
    };
    super::collection(kind, entries, rest_of_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{Partition, Resources};

    fn eth(slot: u32, pvid: u32, addl: &[u32], vswitch: &str) -> VirtualEthAdapter {
        VirtualEthAdapter {
            slot,
            port_vlan_id: pvid,
            addl_vlan_ids: addl.to_vec(),
            vswitch: vswitch.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_default_switch_comes_first_with_every_vlan_its_adapters_carry() {
        let f = FrameView {
            name: "sys1".into(),
            partitions: vec![
                Partition {
                    curr: Some(Resources {
                        eth: vec![eth(2, 1, &[100, 200], "ETHERNET0"), eth(3, 99, &[], "")],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Partition {
                    curr: Some(Resources {
                        eth: vec![eth(2, 100, &[], "ETHERNET0"), eth(4, 7, &[], "AAA")],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let s = switches(&f);
        assert_eq!(s[0].0, "ETHERNET0");
        assert_eq!(s[1].0, "AAA");
        let vlans: Vec<(u32, bool)> = s[0].1.iter().map(|(v, t)| (*v, *t)).collect();
        assert_eq!(
            vlans,
            vec![(1, false), (99, false), (100, true), (200, true)]
        );
        assert_eq!(switch_id(&f, "AAA"), 1);
        assert_eq!(networks(&f).len(), 5);
        assert_eq!(network_name("ETHERNET0", 100), "VLAN100-ETHERNET0");
    }
}
