//! Device mappings as the VIOS names them: the migration's and the HMC's
//! mappings (`Map`), and the names `mkvdev` gives what it makes.

use pvmlab_common::model::{NpivMapping, ViosDevices, VscsiMapping};
use pvmlab_common::proto::vios::MapRequest;

/// The first `prefixN` not among `names` (vhost0, vtscsi3, ent6 …).
pub fn free_name<'a>(prefix: &str, names: impl Iterator<Item = &'a str>) -> String {
    let used: Vec<u32> = names
        .filter_map(|n| n.strip_prefix(prefix)?.parse().ok())
        .collect();
    let n = (0..).find(|n| !used.contains(n)).unwrap_or(0);
    format!("{prefix}{n}")
}

/// The devices after a map request, or why it cannot be done (a LUN this
/// VIOS does not see): all or nothing.
pub fn map(d: &ViosDevices, r: &MapRequest) -> Result<ViosDevices, String> {
    let mut next = d.clone();
    if r.remove_client_lpar_id != 0 {
        next.vscsi
            .retain(|m| m.client_lpar_id != r.remove_client_lpar_id);
        next.npiv
            .retain(|m| m.client_lpar_id != r.remove_client_lpar_id);
        // A virtual DVD drive is the VIOS's own: the partition leaves
        // without it, as it leaves the vhost it hung from.
        next.optical
            .retain(|o| o.client_lpar_id != r.remove_client_lpar_id);
        if !next.departed_clients.contains(&r.remove_client_lpar_id) {
            next.departed_clients.push(r.remove_client_lpar_id);
        }
    }
    // A client mapped again (a migration back) has its adapters here again.
    next.departed_clients.retain(|c| {
        !r.add_vscsi.iter().any(|m| m.client_lpar_id == *c)
            && !r.add_npiv.iter().any(|m| m.client_lpar_id == *c)
    });
    for m in &r.add_vscsi {
        let lun = next
            .luns
            .iter()
            .find(|l| l.id == m.lun_id)
            .ok_or_else(|| format!("LUN {} is not visible from this VIOS", m.lun_id))?
            .clone();
        // One vhost per server slot; one vtscsi per disk.
        let vhosts = || {
            let disks = next.vscsi.iter().map(|v| (&v.vhost, v.server_slot));
            disks.chain(next.optical.iter().map(|o| (&o.vhost, o.server_slot)))
        };
        let vhost = match vhosts().find(|v| v.1 == m.server_slot) {
            Some(v) => v.0.clone(),
            None => free_name("vhost", vhosts().map(|v| v.0.as_str())),
        };
        let vtd = free_name("vtscsi", next.vscsi.iter().map(|v| v.vtd.as_str()));
        next.vscsi.push(VscsiMapping {
            vhost,
            server_slot: m.server_slot,
            client_lpar_id: m.client_lpar_id,
            vtd,
            backing: lun.hdisk.clone(),
            lun_id: lun.id.clone(),
        });
    }
    for m in &r.add_npiv {
        let vfchost = free_name("vfchost", next.npiv.iter().map(|v| v.vfchost.as_str()));
        let fcs = if m.fcs.is_empty() {
            "fcs0".to_string()
        } else {
            m.fcs.clone()
        };
        next.npiv.push(NpivMapping {
            vfchost,
            fcs,
            ..m.clone()
        });
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_whose_mappings_go_leaves_and_comes_back_with_new_ones() {
        let d = crate::cmd::testenv::devices();
        let gone = map(
            &d,
            &MapRequest {
                remove_client_lpar_id: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(gone.vscsi.iter().all(|m| m.client_lpar_id != 3));
        assert_eq!(gone.departed_clients, [3]);
        let back = map(
            &gone,
            &MapRequest {
                add_vscsi: vec![VscsiMapping {
                    server_slot: 13,
                    client_lpar_id: 3,
                    lun_id: d.luns[0].id.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(back.departed_clients.is_empty());
    }
}
