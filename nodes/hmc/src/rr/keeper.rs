//! The HMC's side of simplified remote restart that runs by itself: it
//! keeps each remote restart capable partition's configuration current in
//! the HMC's store as the frames report changes, and marks a stale source
//! copy (or cleans it up, with auto cleanup) as soon as its frame is back.

use super::{Doc, Restarted, set_status};
use crate::hmc::{Ctx, Hmc};
use crate::lpm;
use crate::users::User;
use pvmlab_common::model::{Partition, PartitionExt as _, ViosDevices, lpar_state, rr_status};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The VIOS partitions a client's virtual SCSI and fibre channel adapters
/// name, in its profiles and as it runs.
fn serving_ids(p: &Partition) -> HashSet<u32> {
    let profiles = p.profiles.iter();
    let scsi = profiles
        .clone()
        .flat_map(|pr| pr.virtual_scsi_adapters.iter())
        .chain(p.curr.iter().flat_map(|c| c.scsi.iter()))
        .map(|a| (a.server, &a.remote_lpar_id));
    let fc = profiles
        .flat_map(|pr| pr.virtual_fc_adapters.iter())
        .chain(p.curr.iter().flat_map(|c| c.fc.iter()))
        .map(|a| (a.server, &a.remote_lpar_id));
    scsi.chain(fc)
        .filter(|(server, _)| !server)
        .filter_map(|(_, id)| id.parse().ok())
        .collect()
}

/// The document for partition `p` of frame `f`, with the devices of its
/// VIOS partitions from `devices` (those that did not answer are left out).
pub fn doc_of(f: &FrameView, p: &Partition, devices: &HashMap<u32, ViosDevices>) -> Doc {
    let ids = serving_ids(p);
    let mut frame = f.frame.clone().unwrap_or_default();
    frame.epoch = 0;
    Doc {
        frame,
        lpar: p.clone(),
        vioses: f
            .partitions
            .iter()
            .filter(|v| v.is_vios() && ids.contains(&v.id))
            .cloned()
            .collect(),
        devices: devices
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .map(|(id, d)| (*id, d.clone()))
            .collect(),
    }
}

/// Runs for as long as the HMC does.
pub async fn keep(hmc: Arc<Hmc>) {
    let ctx = Ctx {
        hmc: &hmc,
        user: User {
            name: "hscroot".into(),
            password: String::new(),
            taskrole: "hmcsuperadmin".into(),
            description: "remote restart keeper".into(),
            keys: Vec::new(),
            trusted_hmcs: Vec::new(),
            settings: Default::default(),
        },
    };
    let mut changed = hmc.view.subscribe();
    let mut seen: HashMap<String, u64> = HashMap::new();
    loop {
        let mut incomplete = false;
        for f in hmc.view.frames().into_iter().filter(|f| f.connected) {
            let epoch = f.frame.as_ref().map_or(0, |fr| fr.epoch);
            if seen.get(&f.name) == Some(&epoch) {
                continue;
            }
            // Stale copies first: their held auto start waits for no one.
            mark_stale(&ctx, &f).await;
            let complete = refresh(&ctx, &f).await;
            hmc.rr.set_gathered(&f.name, complete);
            if complete {
                seen.insert(f.name.clone(), epoch);
            } else {
                incomplete = true;
            }
        }
        // A VIOS that has not answered yet is asked again soon, whether or
        // not the frame changes meanwhile.
        if incomplete {
            let _ = tokio::time::timeout(Duration::from_millis(500), changed.changed()).await;
            continue;
        }
        // At most twice a second: a migration updates its frames often.
        if changed.changed().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Whether `doc` holds the devices of every serving VIOS partition that
/// runs or is starting, so that validation can find the partition's
/// storage. A starting VIOS is waited for: a frame powering on starts its
/// client partitions while its VIOS boot, and a copy taken then would
/// otherwise count as complete without any VIOS devices.
fn complete(doc: &Doc) -> bool {
    doc.vioses
        .iter()
        .filter(|v| matches!(v.state.as_str(), lpar_state::RUNNING | lpar_state::STARTING))
        .all(|v| doc.devices.contains_key(&v.id))
}

/// Stores the configuration of every remote restart capable partition of
/// `f` that has run (and so can be restarted), where it changed. Returns
/// whether every copy is complete.
async fn refresh(ctx: &Ctx<'_>, f: &FrameView) -> bool {
    let rr: Vec<&Partition> = f
        .partitions
        .iter()
        .filter(|p| !p.is_vios() && p.remote_restart_capable)
        .filter(|p| {
            !matches!(
                p.remote_restart_status.as_str(),
                "" | rr_status::INVALID | rr_status::RESTARTED | rr_status::SOURCE_RESTARTING
            )
        })
        .collect();
    if rr.is_empty() {
        return true;
    }
    let devices = lpm::devices(ctx, f).await;
    let mut all = true;
    for p in rr {
        let old = ctx.hmc.rr.get(&f.name, &p.name);
        let mut doc = doc_of(f, p, &devices);
        // A VIOS that did not answer now keeps what it last told.
        if let Some(o) = &old {
            for (id, d) in &o.devices {
                doc.devices.entry(*id).or_insert_with(|| d.clone());
            }
        }
        all &= complete(&doc);
        if old.as_ref() != Some(&doc) {
            // The POWER7 way: the device holds it; the HMC's copy follows
            // a successful write, so a failed one is tried again.
            if !p.simplified_remote_restart_capable && !p.rs_device_name.is_empty() {
                if let Err(e) = super::rsdp::write(ctx, f, &doc).await {
                    tracing::warn!(frame = %f.name, lpar = %p.name, "writing the reserved storage device: {}", e);
                    continue;
                }
            }
            if let Err(e) = ctx.hmc.rr.put(&f.name, &doc) {
                tracing::warn!(frame = %f.name, lpar = %p.name, "storing the remote restart configuration: {e}");
            }
        }
    }
    all
}

/// A frame this HMC restarted partitions away from is back: each stale
/// copy is marked so that it does not start, or removed with auto cleanup;
/// a copy someone removed ends the record.
async fn mark_stale(ctx: &Ctx<'_>, f: &FrameView) {
    let mine: Vec<Restarted> = ctx
        .hmc
        .rr
        .all_restarted()
        .into_iter()
        .filter(|r| r.source == f.name)
        .collect();
    for r in mine {
        match f.partitions.iter().find(|p| p.name == r.lpar) {
            None => {
                let _ = ctx.hmc.rr.end_restart(&f.name, &r.lpar);
            }
            Some(p) if ctx.hmc.rr_auto_cleanup && p.state == lpar_state::NOT_ACTIVATED => {
                let opts = super::Opts {
                    force: true,
                    ..Default::default()
                };
                match super::cleanup(ctx, f, &r.lpar, &opts).await {
                    Ok(()) => {
                        tracing::info!(frame = %f.name, lpar = %r.lpar, "stale copy cleaned up automatically")
                    }
                    Err(e) => {
                        tracing::warn!(frame = %f.name, lpar = %r.lpar, "automatic cleanup: {}", e)
                    }
                }
            }
            Some(p) if p.remote_restart_status != rr_status::RESTARTED => {
                if let Err(e) = set_status(ctx, f, p, rr_status::RESTARTED).await {
                    tracing::warn!(frame = %f.name, lpar = %r.lpar, "marking the stale copy: {}", e);
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_waits_for_the_devices_of_a_vios_that_is_still_starting() {
        let vios = |id, state: &str| Partition {
            id,
            state: state.into(),
            ..Default::default()
        };
        let mut doc = Doc {
            frame: Default::default(),
            lpar: Default::default(),
            vioses: vec![
                vios(1, lpar_state::STARTING),
                vios(2, lpar_state::NOT_ACTIVATED),
            ],
            devices: HashMap::new(),
        };
        assert!(!complete(&doc), "vios1 is booting: its devices come");
        doc.devices.insert(1, ViosDevices::default());
        assert!(complete(&doc), "vios2 is off: nothing to wait for");
    }
}
