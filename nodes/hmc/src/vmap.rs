//! Storage mapped to a client partition through a VIOS, as a REST POST of
//! a `VirtualIOServer` with a new `VirtualSCSIMapping` or
//! `VirtualFibreChannelMapping` asks (pypowervm's `add_map`, Ansible's
//! `powervm_dlpar` `update_pv` and `update_npiv`): the server adapter on
//! the VIOS, the client adapter on the partition, both in the running
//! configuration where the partition runs and in the profiles they run
//! with, then the mapping on the VIOS. Everything is checked before the
//! first change, and a refused step undoes the ones before it.

use crate::error::CmdError;
use crate::hmc::{Ctx, change_adapter, vios_client};
use crate::hscl::Hscl;
use pvmlab_common::attrs::{fmt_fc, fmt_scsi};
use pvmlab_common::model::{
    AdapterKind, NpivMapping, Partition, PartitionExt as _, Profile, ViosDevices, VirtualFcAdapter,
    VirtualScsiAdapter, VscsiMapping, lpar_state,
};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::vios::{DevicesRequest, MapRequest};

/// What the new mapping serves the client from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// A physical volume of the VIOS (`hdiskN`), over vSCSI.
    Disk(String),
    /// A physical FC port of the VIOS (`fcsN`), over NPIV.
    Port(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMapping {
    pub vios_id: u32,
    pub client_id: u32,
    pub backing: Backing,
    /// Slots the request names; the first free ones otherwise.
    pub server_slot: Option<u32>,
    pub client_slot: Option<u32>,
    /// The client vFC adapter's WWPN pair, if the request gives one.
    pub wwpns: Vec<String>,
}

/// The slots a partition uses now or in the profile it runs (or starts)
/// with, serial adapters 0 and 1 included.
fn used_slots(p: &Partition) -> Vec<u32> {
    let mut v = vec![0, 1];
    if let Some(c) = &p.curr {
        v.extend(c.eth.iter().map(|a| a.slot));
        v.extend(c.scsi.iter().map(|a| a.slot));
        v.extend(c.fc.iter().map(|a| a.slot));
    }
    if let Some(pr) = own_profile(p) {
        v.extend(pr.virtual_eth_adapters.iter().map(|a| a.slot));
        v.extend(pr.virtual_scsi_adapters.iter().map(|a| a.slot));
        v.extend(pr.virtual_fc_adapters.iter().map(|a| a.slot));
    }
    v
}

fn own_profile(p: &Partition) -> Option<&Profile> {
    p.profile(p.current_profile_name())
}

fn max_slots(p: &Partition) -> u32 {
    p.curr
        .as_ref()
        .map(|c| c.max_virtual_slots)
        .filter(|n| *n > 0)
        .or_else(|| own_profile(p).map(|pr| pr.max_virtual_slots))
        .filter(|n| *n > 0)
        .unwrap_or(10)
}

/// The slot to use: the one asked for if it is free and in range, the
/// first free one otherwise.
pub fn pick_slot(p: &Partition, asked: Option<u32>) -> Result<u32, String> {
    let used = used_slots(p);
    let max = max_slots(p);
    match asked {
        Some(s) if s < 2 || s >= max => Err(format!(
            "The virtual slot number {s} is not valid for partition {}: it must be between 2 and {}.",
            p.name,
            max - 1
        )),
        Some(s) if used.contains(&s) => Err(format!(
            "The virtual slot number {s} is already in use on partition {}.",
            p.name
        )),
        Some(s) => Ok(s),
        None => (2..max).find(|s| !used.contains(s)).ok_or_else(|| {
            format!(
                "Partition {} has no free virtual slot (max_virtual_slots={max}).",
                p.name
            )
        }),
    }
}

/// The client vFC adapter's WWPN pair when the request leaves it to the
/// HMC: two consecutive WWPNs from the frame, partition and slot.
fn wwpn_pair(serial: &str, lpar_id: u32, slot: u32) -> Vec<String> {
    // Even, so that the pair differs in its last bit only.
    let base = pvmlab_common::vios_hw::fnv(&format!("{serial}/{lpar_id}/{slot}")) << 1;
    [base, base | 1]
        .iter()
        .map(|w| format!("c0507608{w:08x}"))
        .collect()
}

/// One virtual adapter a mapping adds.
enum Adapter {
    Scsi(VirtualScsiAdapter),
    Fc(VirtualFcAdapter),
}

impl Adapter {
    fn kind(&self) -> AdapterKind {
        match self {
            Adapter::Scsi(_) => AdapterKind::Scsi,
            Adapter::Fc(_) => AdapterKind::Fc,
        }
    }
    fn slot(&self) -> u32 {
        match self {
            Adapter::Scsi(a) => a.slot,
            Adapter::Fc(a) => a.slot,
        }
    }
    /// In the profile layout, as the hypervisor parses it.
    fn spec(&self) -> String {
        match self {
            Adapter::Scsi(a) => fmt_scsi(a),
            Adapter::Fc(a) => fmt_fc(a),
        }
    }
    fn add_to(&self, pr: &mut Profile) {
        match self {
            Adapter::Scsi(a) => pr.virtual_scsi_adapters.push(a.clone()),
            Adapter::Fc(a) => pr.virtual_fc_adapters.push(a.clone()),
        }
    }
}

/// The adapters the mapping needs: the VIOS's server adapter and the
/// client's, each pointing at the other.
fn adapters(
    m: &NewMapping,
    vios: &Partition,
    client: &Partition,
    (server_slot, client_slot): (u32, u32),
    wwpns: Vec<String>,
) -> [Adapter; 2] {
    let end = |slot: u32, server: bool, to: &Partition, to_slot: u32| VirtualScsiAdapter {
        slot,
        server,
        remote_lpar_id: to.id.to_string(),
        remote_lpar_name: to.name.clone(),
        remote_slot: to_slot.to_string(),
        required: false,
    };
    let server = end(server_slot, true, client, client_slot);
    let own = end(client_slot, false, vios, server_slot);
    match m.backing {
        Backing::Disk(_) => [Adapter::Scsi(server), Adapter::Scsi(own)],
        Backing::Port(_) => {
            let fc = |a: VirtualScsiAdapter, wwpns: Vec<String>| VirtualFcAdapter {
                slot: a.slot,
                server: a.server,
                remote_lpar_id: a.remote_lpar_id,
                remote_lpar_name: a.remote_lpar_name,
                remote_slot: a.remote_slot,
                wwpns,
                required: false,
            };
            [
                Adapter::Fc(fc(server, Vec::new())),
                Adapter::Fc(fc(own, wwpns)),
            ]
        }
    }
}

/// The VIOS-side request, checked against what the VIOS has: a disk it
/// sees and has not mapped, or a port it has.
pub fn map_request(
    m: &NewMapping,
    d: &ViosDevices,
    vios: &str,
    server_slot: u32,
    client_slot: u32,
) -> Result<MapRequest, String> {
    Ok(match &m.backing {
        Backing::Disk(h) => {
            let lun = d.luns.iter().find(|l| &l.hdisk == h).ok_or_else(|| {
                format!("The physical volume {h} was not found on the Virtual I/O Server {vios}.")
            })?;
            if d.vscsi.iter().any(|x| &x.backing == h) {
                return Err(format!(
                    "The physical volume {h} is already mapped on the Virtual I/O Server {vios}."
                ));
            }
            MapRequest {
                add_vscsi: vec![VscsiMapping {
                    server_slot,
                    client_lpar_id: m.client_id,
                    lun_id: lun.id.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            }
        }
        Backing::Port(fcs) => {
            let ports = pvmlab_common::vios_hw::fc_ports(d.npiv.iter().map(|x| x.fcs.as_str()));
            let ok = fcs
                .strip_prefix("fcs")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < ports);
            if !ok {
                return Err(format!(
                    "The physical Fibre Channel port {fcs} was not found on the Virtual I/O Server {vios}."
                ));
            }
            MapRequest {
                add_npiv: vec![NpivMapping {
                    server_slot,
                    client_lpar_id: m.client_id,
                    client_slot,
                    fcs: fcs.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            }
        }
    })
}

/// A change made so far, to undo if a later one is refused.
enum Done {
    Dynamic { lpar: u32, slot: u32 },
    Profile(Partition),
}

pub async fn add(ctx: &Ctx<'_>, frame: &FrameView, m: NewMapping) -> Result<(), CmdError> {
    ctx.may_change()?;
    let find = |id: u32| {
        frame
            .partitions
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| CmdError::from(Hscl::PartitionNotFound(id.to_string())))
    };
    let vios = find(m.vios_id)?;
    let client = find(m.client_id)?;
    if !vios.is_vios() {
        return Err(format!("Partition {} is not a Virtual I/O Server.", vios.name).into());
    }
    if client.is_vios() {
        return Err(format!(
            "Partition {} is a Virtual I/O Server; storage is mapped to client partitions.",
            client.name
        )
        .into());
    }
    let mut v = vios_client(ctx, &frame.name, &vios)?;
    let devices = v
        .devices(DevicesRequest {})
        .await
        .map_err(|e| Hscl::RmcFailed {
            lpar: vios.name.clone(),
            detail: Some(e.message().to_string()),
        })?
        .into_inner();
    let server_slot = pick_slot(&vios, m.server_slot)?;
    let client_slot = pick_slot(&client, m.client_slot)?;
    let map = map_request(&m, &devices, &vios.name, server_slot, client_slot)?;
    let serial = frame.frame.as_ref().map_or("", |f| f.serial_num.as_str());
    let wwpns = if m.wwpns.len() == 2 {
        m.wwpns.clone()
    } else {
        wwpn_pair(serial, client.id, client_slot)
    };
    let [server, own] = adapters(&m, &vios, &client, (server_slot, client_slot), wwpns);
    let kind = server.kind();
    let mut done = Vec::new();
    let mut result = Ok(());
    for (p, a) in [(&vios, server), (&client, own)] {
        result = adapter(ctx, frame, p, &a, &mut done).await;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = v
            .map(map)
            .await
            .map(|_| ())
            .map_err(|e| CmdError::from(e.message().to_string()));
    }
    if let Err(e) = result {
        undo(ctx, frame, kind, done).await;
        return Err(e);
    }
    Ok(())
}

/// One adapter: dynamically where the partition runs, and in the profile
/// it runs or starts with.
async fn adapter(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    p: &Partition,
    a: &Adapter,
    done: &mut Vec<Done>,
) -> Result<(), CmdError> {
    let what = format!(
        "adding the virtual adapter in slot {} of partition {}",
        a.slot(),
        p.name
    );
    if p.state == lpar_state::RUNNING {
        change_adapter(ctx, frame, p.id, a.kind(), a.slot(), Some(a.spec()), false)
            .await
            .map_err(|e| CmdError::from(format!("An error occurred while {what}: {e}")))?;
        done.push(Done::Dynamic {
            lpar: p.id,
            slot: a.slot(),
        });
    }
    let mut q = p.clone();
    let name = p.current_profile_name().to_string();
    if let Some(pr) = q.profiles.iter_mut().find(|pr| pr.name == name) {
        a.add_to(pr);
        crate::partitions::put(ctx, frame, q, false, &what).await?;
        done.push(Done::Profile(p.clone()));
    }
    Ok(())
}

/// Best effort, newest first: what could not be undone stays, logged.
async fn undo(ctx: &Ctx<'_>, frame: &FrameView, kind: AdapterKind, done: Vec<Done>) {
    for d in done.into_iter().rev() {
        let r = match d {
            Done::Dynamic { lpar, slot } => {
                change_adapter(ctx, frame, lpar, kind, slot, None, false)
                    .await
                    .map(|_| ())
            }
            Done::Profile(before) => {
                crate::partitions::put(ctx, frame, before, false, "undoing a mapping")
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        if let Err(e) = r {
            tracing::warn!(frame = %frame.name, %e, "undoing a refused mapping failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{Lun, Resources};

    fn running(slots: &[u32]) -> Partition {
        Partition {
            id: 5,
            name: "c".into(),
            state: lpar_state::RUNNING.into(),
            curr: Some(Resources {
                max_virtual_slots: 8,
                scsi: slots
                    .iter()
                    .map(|s| VirtualScsiAdapter {
                        slot: *s,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn slots_are_the_first_free_or_the_one_asked_for() {
        let p = running(&[2, 3]);
        assert_eq!(pick_slot(&p, None), Ok(4));
        assert_eq!(pick_slot(&p, Some(6)), Ok(6));
        assert!(
            pick_slot(&p, Some(3))
                .unwrap_err()
                .contains("already in use")
        );
        assert!(
            pick_slot(&p, Some(8))
                .unwrap_err()
                .contains("between 2 and 7")
        );
        assert!(pick_slot(&running(&[2, 3, 4, 5, 6, 7]), None).is_err());
    }

    #[test]
    fn a_disk_must_be_seen_and_free_and_a_port_must_exist() {
        let d = ViosDevices {
            luns: vec![Lun {
                id: "lun1".into(),
                hdisk: "hdisk2".into(),
                ..Default::default()
            }],
            vscsi: vec![],
            ..Default::default()
        };
        let m = |b| NewMapping {
            vios_id: 1,
            client_id: 5,
            backing: b,
            server_slot: None,
            client_slot: None,
            wwpns: vec![],
        };
        let r = map_request(&m(Backing::Disk("hdisk2".into())), &d, "v", 11, 4).unwrap();
        assert_eq!(r.add_vscsi[0].lun_id, "lun1");
        assert!(map_request(&m(Backing::Disk("hdisk9".into())), &d, "v", 11, 4).is_err());
        assert!(map_request(&m(Backing::Port("fcs1".into())), &d, "v", 11, 4).is_ok());
        assert!(map_request(&m(Backing::Port("fcs7".into())), &d, "v", 11, 4).is_err());
        assert_eq!(wwpn_pair("S", 5, 4).len(), 2);
    }
}
