//! The reserved storage device pool: remote restart the POWER7 way. A
//! frame's pool is a set of VIOS partitions and LUNs of the shared SAN
//! they all see; a remote restart capable partition is given one device,
//! and its configuration is written there (by the VIOS, at the HMC's
//! request) and kept current, in the migration-session format of seed 000
//! §1.11. A restart reads it back through a destination VIOS that sees the
//! same LUN. Listings follow the reference's records.

use super::Doc;
use crate::error::CmdError;
use crate::hmc::Ctx;
use crate::lpm;
use crate::render::Record;
use base64::Engine as _;
use pvmlab_common::model::{Partition, PartitionExt as _, RsDevice, RsPool, ViosDevices};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::vios::DeviceRequest;
use std::collections::HashMap;

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// The location code of a LUN seen through a VIOS's fibre channel path
/// `path` (1: the first VIOS of the pool, 2: the redundant one).
pub fn phys_loc(serial: &str, lun: &str, path: u32) -> String {
    let n: u32 = lun
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    format!(
        "U78C9.001.{serial}-P2-C{path}-T1-W500507680140F32C-L{:X}000000000000",
        0x3E4 + n
    )
}

/// `lsrsdevsize`: what a partition's device must hold. The one figure in
/// the reference: max_mem 8192 needs 8498 MB; it scales with the largest
/// max_mem of its profiles.
pub fn needed_mb(p: &Partition) -> u64 {
    let max = p.profiles.iter().map(|pr| pr.max_mem).max().unwrap_or(0);
    (max * 8498).div_ceil(8192)
}

pub fn pool(f: &FrameView) -> RsPool {
    f.frame
        .as_ref()
        .and_then(|fr| fr.rspool.clone())
        .unwrap_or_default()
}

fn vios_name(f: &FrameView, id: u32) -> String {
    f.partitions
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// The partition a device holds the data of.
pub fn holder<'a>(f: &'a FrameView, d: &RsDevice) -> Option<&'a Partition> {
    let primary = vios_name(f, d.vios_id);
    f.partitions
        .iter()
        .find(|p| p.rs_device_name == d.device_name && p.primary_rs_vios_name == primary)
}

/// `lshwres -r rspool`.
pub fn pool_records(f: &FrameView) -> Vec<Record> {
    let pool = pool(f);
    if pool.vios_ids.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = pool.vios_ids.iter().map(|id| vios_name(f, *id)).collect();
    let ids: Vec<String> = pool.vios_ids.iter().map(u32::to_string).collect();
    vec![vec![
        kv("vios_names", names.join(",")),
        kv("vios_ids", ids.join(",")),
    ]]
}

/// `lshwres -r rspool --rsubtype rsdev`.
pub fn device_records(f: &FrameView) -> Vec<Record> {
    let serial = f
        .frame
        .as_ref()
        .map(|fr| fr.serial_num.clone())
        .unwrap_or_default();
    pool(f)
        .devices
        .iter()
        .map(|d| {
            let who = holder(f, d);
            let state = if who.is_some() { "Active" } else { "Inactive" };
            let mut r = vec![
                kv("device_name", d.device_name.clone()),
                kv("vios_name", vios_name(f, d.vios_id)),
                kv("vios_id", d.vios_id.to_string()),
                kv("size", d.size_mb.to_string()),
                kv("type", "phys"),
                kv("state", state),
                kv("phys_loc", phys_loc(&serial, &d.lun, 1)),
                kv(
                    "is_redundant",
                    if d.redundant_vios_id != 0 { "1" } else { "0" },
                ),
            ];
            if d.redundant_vios_id != 0 {
                r.extend([
                    kv("redundant_device_name", d.redundant_device_name.clone()),
                    kv("redundant_vios_name", vios_name(f, d.redundant_vios_id)),
                    kv("redundant_vios_id", d.redundant_vios_id.to_string()),
                    kv("redundant_state", state),
                    kv("redundant_phys_loc", phys_loc(&serial, &d.lun, 2)),
                ]);
            }
            match who {
                Some(p) => {
                    r.push(kv("lpar_name", p.name.clone()));
                    r.push(kv("lpar_id", p.id.to_string()));
                }
                None => r.push(kv("lpar_id", "none")),
            }
            r.push(kv(
                "device_selection_type",
                if d.manual { "manual" } else { "auto" },
            ));
            r
        })
        .collect()
}

/// The LUNs `vios` sees that are free for the pool: mapped to no client
/// and not in the pool already.
fn free_luns<'a>(pool: &RsPool, devs: &'a ViosDevices) -> Vec<&'a pvmlab_common::model::Lun> {
    devs.luns
        .iter()
        .filter(|l| !devs.vscsi.iter().any(|m| m.lun_id == l.id))
        .filter(|l| !pool.devices.iter().any(|d| d.lun == l.id))
        .collect()
}

/// `lsmemdev -r avail -p <vios>[,<vios>]`: the devices the first VIOS can
/// add to the pool, with the same LUN on the second where it sees it.
pub fn available_records(
    f: &FrameView,
    vioses: &[&Partition],
    devices: &HashMap<u32, ViosDevices>,
) -> Result<Vec<Record>, CmdError> {
    let serial = f
        .frame
        .as_ref()
        .map(|fr| fr.serial_num.clone())
        .unwrap_or_default();
    let first = vioses[0];
    let devs = devices
        .get(&first.id)
        .ok_or_else(|| rmc_failed(&first.name))?;
    let second = match vioses.get(1) {
        Some(v) => Some(devices.get(&v.id).ok_or_else(|| rmc_failed(&v.name))?),
        None => None,
    };
    let pool = pool(f);
    Ok(free_luns(&pool, devs)
        .into_iter()
        .map(|l| {
            let mut r = vec![kv("device_name", l.hdisk.clone())];
            let other = second.and_then(|d| d.luns.iter().find(|o| o.id == l.id));
            if let Some(o) = other {
                r.push(kv("redundant_device_name", o.hdisk.clone()));
            }
            r.push(kv("size", l.size_mb.to_string()));
            r.push(kv("type", "phys"));
            r.push(kv("phys_loc", phys_loc(&serial, &l.id, 1)));
            if other.is_some() {
                r.push(kv("redundant_phys_loc", phys_loc(&serial, &l.id, 2)));
            }
            r.push(kv(
                "redundant_capable",
                if other.is_some() { "1" } else { "0" },
            ));
            r
        })
        .collect())
}

fn rmc_failed(vios: &str) -> CmdError {
    rmc_failed_with(vios, None)
}

fn rmc_failed_with(vios: &str, why: Option<&str>) -> CmdError {
    crate::hscl::Hscl::RmcFailed {
        lpar: vios.to_string(),
        detail: why.map(str::to_string),
    }
    .into()
}

/// `chhwres -r rspool -o a -a vios_names=...`: the pool, or more VIOS in it.
pub fn add_vioses(f: &FrameView, names: &str) -> Result<RsPool, CmdError> {
    let mut pool = pool(f);
    for n in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let v = f
            .partitions
            .iter()
            .find(|p| p.name == n)
            .ok_or_else(|| crate::hscl::Hscl::PartitionNotFound(n.to_string()))?;
        if !v.is_vios() {
            return Err(CmdError::Usage(format!(
                "The partition {n} is not a Virtual I/O Server partition. Only Virtual I/O Server partitions can serve the reserved storage device pool."
            )));
        }
        if !pool.vios_ids.contains(&v.id) {
            pool.vios_ids.push(v.id);
        }
    }
    if pool.vios_ids.is_empty() {
        return Err(CmdError::Usage(
            "The vios_names attribute must name at least one Virtual I/O Server partition.".into(),
        ));
    }
    Ok(pool)
}

/// `chhwres -r rspool -o a -p <vios> --rsubtype rsdev --device <hdisk>`.
pub fn add_device(
    f: &FrameView,
    vios: &Partition,
    hdisk: &str,
    manual: bool,
    devices: &HashMap<u32, ViosDevices>,
) -> Result<RsPool, CmdError> {
    let mut pool = pool(f);
    if !pool.vios_ids.contains(&vios.id) {
        return Err(CmdError::Usage(format!(
            "The Virtual I/O Server partition {} does not serve the reserved storage device pool of {}. Create the pool with chhwres -r rspool -o a -a vios_names=... first.",
            vios.name, f.name
        )));
    }
    let devs = devices
        .get(&vios.id)
        .ok_or_else(|| rmc_failed(&vios.name))?;
    let lun = free_luns(&pool, devs)
        .into_iter()
        .find(|l| l.hdisk == hdisk)
        .ok_or_else(|| {
            CmdError::Usage(format!(
                "The device {hdisk} is not available on {}: it must be a disk the partition sees that is neither mapped to a client nor in the pool (lsmemdev -r avail lists them).",
                vios.name
            ))
        })?
        .clone();
    // The same LUN on another VIOS of the pool makes the device redundant.
    let redundant = pool
        .vios_ids
        .iter()
        .filter(|id| **id != vios.id)
        .find_map(|id| {
            devices
                .get(id)
                .and_then(|d| d.luns.iter().find(|l| l.id == lun.id))
                .map(|l| (*id, l.hdisk.clone()))
        });
    pool.devices.push(RsDevice {
        device_name: hdisk.to_string(),
        vios_id: vios.id,
        lun: lun.id.clone(),
        size_mb: lun.size_mb,
        redundant_vios_id: redundant.as_ref().map_or(0, |r| r.0),
        redundant_device_name: redundant.map(|r| r.1).unwrap_or_default(),
        manual,
    });
    Ok(pool)
}

/// `chhwres -r rspool -o r -p <vios> --rsubtype rsdev --device <hdisk>`.
pub fn remove_device(f: &FrameView, vios: &Partition, hdisk: &str) -> Result<RsPool, CmdError> {
    let mut pool = pool(f);
    let i = pool
        .devices
        .iter()
        .position(|d| d.vios_id == vios.id && d.device_name == hdisk)
        .ok_or_else(|| {
            CmdError::Usage(format!(
                "The device {hdisk} of {} is not in the reserved storage device pool.",
                vios.name
            ))
        })?;
    if let Some(p) = holder(f, &pool.devices[i]) {
        return Err(CmdError::Usage(format!(
            "The device {hdisk} holds the remote restart data of partition {}. Assign the partition another device first.",
            p.name
        )));
    }
    pool.devices.remove(i);
    Ok(pool)
}

/// Checks a partition's device assignment (chsyscfg primary_rs_vios_name,
/// secondary_rs_vios_name, rs_device_name) against the pool.
pub fn check_assignment(f: &FrameView, p: &Partition) -> Result<(), CmdError> {
    if p.rs_device_name.is_empty() {
        return Ok(());
    }
    if !p.remote_restart_capable {
        return Err(CmdError::Usage(format!(
            "The partition {} is not remote restart capable; it cannot be given a reserved storage device.",
            p.name
        )));
    }
    let pool = pool(f);
    let primary = f
        .partitions
        .iter()
        .find(|v| v.is_vios() && v.name == p.primary_rs_vios_name)
        .ok_or_else(|| {
            CmdError::Usage(format!(
                "primary_rs_vios_name must name a Virtual I/O Server partition of the pool, not {:?}.",
                p.primary_rs_vios_name
            ))
        })?;
    let d = pool
        .devices
        .iter()
        .find(|d| d.vios_id == primary.id && d.device_name == p.rs_device_name)
        .ok_or_else(|| {
            CmdError::Usage(format!(
                "The device {} of {} is not in the reserved storage device pool.",
                p.rs_device_name, primary.name
            ))
        })?;
    if !p.secondary_rs_vios_name.is_empty()
        && vios_name(f, d.redundant_vios_id) != p.secondary_rs_vios_name
    {
        return Err(CmdError::Usage(format!(
            "The device {} has no path through {}: secondary_rs_vios_name must be its redundant Virtual I/O Server partition.",
            d.device_name, p.secondary_rs_vios_name
        )));
    }
    if let Some(o) = holder(f, d).filter(|o| o.id != p.id) {
        return Err(CmdError::Usage(format!(
            "The device {} already holds the remote restart data of partition {}.",
            d.device_name, o.name
        )));
    }
    if d.size_mb < needed_mb(p) {
        return Err(CmdError::Usage(format!(
            "The device {} ({} MB) is smaller than the {} MB partition {} needs (lsrsdevsize).",
            d.device_name,
            d.size_mb,
            needed_mb(p),
            p.name
        )));
    }
    Ok(())
}

/// The VIOS through which a partition's device is reached now: the primary
/// while it runs, else the secondary (`curr_rs_vios_name`).
pub fn current_vios<'a>(f: &'a FrameView, p: &Partition) -> Option<&'a Partition> {
    let up = |n: &str| {
        f.partitions
            .iter()
            .find(|v| v.name == n && v.rmc_state == "active")
    };
    up(&p.primary_rs_vios_name).or_else(|| up(&p.secondary_rs_vios_name))
}

/// The device's content: the migration-session document of seed 000
/// §1.11, the configuration inside as base64, as the real one carries its
/// profile gzipped in base64.
pub fn encode(doc: &Doc) -> Vec<u8> {
    let json = serde_json::to_vec(doc).unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD.encode(json);
    format!(
        "<?xml version=\"1.0\"?>\n<MigrationSession recover=\"na\" required_capabilities=\"veth_switch,hmc_compatibilty,proc_compat_modes,remote_restart_capability,lpar_uuid\">\n<FileInfo version=\"1\"/>\n<SourceInfo><SourceLparInfo lpar_name=\"{}\" lpar_id=\"{}\" Profile=\"{b64}\"/></SourceInfo>\n</MigrationSession>\n",
        doc.lpar.name, doc.lpar.id
    )
    .into_bytes()
}

pub fn decode(data: &[u8]) -> Option<Doc> {
    let text = std::str::from_utf8(data).ok()?;
    let b64 = text.split("Profile=\"").nth(1)?.split('"').next()?;
    let json = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Writes a partition's configuration to its device (`refdev`, and the
/// keeper on every change).
pub async fn write(ctx: &Ctx<'_>, f: &FrameView, doc: &Doc) -> Result<(), CmdError> {
    let p = &doc.lpar;
    let vios = current_vios(f, p).ok_or_else(|| {
        CmdError::Usage(format!(
            "Neither {} nor {} can reach the reserved storage device of partition {}.",
            p.primary_rs_vios_name, p.secondary_rs_vios_name, p.name
        ))
    })?;
    let pool = pool(f);
    let hdisk = if vios.name == p.primary_rs_vios_name {
        p.rs_device_name.clone()
    } else {
        pool.devices
            .iter()
            .find(|d| d.device_name == p.rs_device_name)
            .map(|d| d.redundant_device_name.clone())
            .unwrap_or_default()
    };
    let mut c = lpm::vios_client(ctx, &f.name, vios)?;
    c.device(DeviceRequest {
        hdisk,
        write: true,
        data: encode(doc),
    })
    .await
    .map_err(|e| rmc_failed_with(&vios.name, Some(e.message())))?;
    Ok(())
}

/// Reads a partition's configuration from the device `lun` through a
/// VIOS of frame `f` that sees it (a restart's destination).
pub async fn read(ctx: &Ctx<'_>, f: &FrameView, lun: &str) -> Option<Doc> {
    let devices = lpm::devices(ctx, f).await;
    for v in f.partitions.iter().filter(|v| v.is_vios()) {
        let Some(hdisk) = devices
            .get(&v.id)
            .and_then(|d| d.luns.iter().find(|l| l.id == lun))
            .map(|l| l.hdisk.clone())
        else {
            continue;
        };
        let Ok(mut c) = lpm::vios_client(ctx, &f.name, v) else {
            continue;
        };
        let r = c
            .device(DeviceRequest {
                hdisk,
                write: false,
                data: Vec::new(),
            })
            .await;
        if let Some(doc) = r.ok().and_then(|r| decode(&r.into_inner().data)) {
            return Some(doc);
        }
    }
    None
}

/// Gives the frame its new pool, and waits until this HMC's view has it.
pub async fn set_pool(ctx: &Ctx<'_>, f: &FrameView, pool: RsPool) -> Result<(), CmdError> {
    let c = crate::hmc::conn(ctx, f)?;
    let mut fsp = c.fsp;
    let done = fsp
        .change_frame(pvmlab_common::proto::fsp::ChangeFrameRequest {
            session: c.session,
            rspool: Some(pool),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            CmdError::Usage(format!(
                "An error occurred while changing the reserved storage device pool of {}: {}.",
                f.name,
                e.message()
            ))
        })?
        .into_inner();
    let epoch = done.frame.map(|x| x.epoch).unwrap_or(0);
    let name = f.name.clone();
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|v| v.name == name && v.frame.as_ref().is_some_and(|x| x.epoch >= epoch))
        })
        .await;
    Ok(())
}
