//! The PCM's JSON documents, in the shapes its clients parse: the raw
//! long-term monitor's `phyp` document (pypowervm's `PhypInfo`, recorded
//! in `phyp_pcm_data.txt`) and `lpar` document (`LparInfo`,
//! `lpar_pcm_data.txt`), and the processed documents of a frame and of a
//! partition (`systemUtil.utilSamples[n].serverUtil.processor.
//! utilizedProcUnits`, each figure an array in `metricArrayOrder`).

use super::iso;
use crate::utilization::sample::{CYCLES_PER_SECOND, FrameSample, LparSample};
use pvmlab_common::proto::hmc::FrameView;
use serde_json::{Value, json};

pub const VERSION: &str = "1.3.0";

fn mtms(f: &FrameView) -> String {
    use pvmlab_common::model::FrameExt as _;
    f.frame.as_ref().map(|fr| fr.mtms()).unwrap_or_default()
}

fn name(f: &FrameView) -> String {
    match f.frame.as_ref() {
        Some(fr) if !fr.user_name.is_empty() => fr.user_name.clone(),
        _ => f.name.clone(),
    }
}

fn lpar_uuid(l: &LparSample) -> String {
    crate::ids::uuid("LogicalPartition", &l.name).to_uppercase()
}

/// The mode as PHYP names it: cap, uncap, or the dedicated sharing mode.
fn mode(l: &LparSample) -> &str {
    &l.sharing_mode
}

fn raw_proc(l: &LparSample) -> Value {
    json!({
        "poolId": l.pool_id,
        "mode": mode(l),
        "maxVirtualProcessors": l.procs,
        "maxProcUnits": l.proc_units,
        "weight": l.uncap_weight,
        "entitledProcCycles": l.counters.entitled,
        "utilizedCappedProcCycles": l.counters.capped,
        "utilizedUnCappedProcCycles": l.counters.uncapped,
        "idleProcCycles": l.counters.idle,
        "donatedProcCycles": 0,
        "timeSpentWaitingForDispatch": 0,
        "totalInstructions": 0,
        "totalInstructionsExecutionTime": 0
    })
}

/// The raw `phyp` document of one long-term monitor sample.
pub fn phyp(f: &FrameView, s: &FrameSample) -> Value {
    let lpars: Vec<Value> = s
        .lpars
        .iter()
        .filter(|l| !l.vios)
        .map(|l| {
            json!({
                "id": l.id,
                "uuid": lpar_uuid(l),
                "type": "aixlinux",
                "name": l.name,
                "state": l.state,
                "affinityScore": 100,
                "memory": {"logicalMem": l.mem_mb, "backedPhysicalMem": l.mem_mb},
                "processor": raw_proc(l)
            })
        })
        .collect();
    let vioses: Vec<Value> = s
        .lpars
        .iter()
        .filter(|l| l.vios)
        .map(|l| {
            json!({
                "id": l.id,
                "uuid": lpar_uuid(l),
                "name": l.name,
                "state": l.state,
                "affinityScore": 100,
                "memory": {"assignedMem": l.mem_mb},
                "processor": raw_proc(l)
            })
        })
        .collect();
    let pools: Vec<Value> = s
        .procpools
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "assignedProcCycles": p.total_cycles,
                "utilizedPoolCycles": p.utilized_cycles,
                "maxProcUnits": p.max_units,
                "borrowedPoolProcUnits": 0
            })
        })
        .collect();
    json!({"systemUtil": {
        "utilInfo": {
            "version": VERSION,
            "metricType": "Raw",
            "monitoringType": "LTM",
            "mtms": mtms(f),
            "name": name(f)
        },
        "utilSample": {
            "timeStamp": iso(s.time),
            "status": 0,
            "errorInfo": [],
            "timeBasedCycles": s.time_cycles,
            "systemFirmware": {"utilizedProcCycles": 0, "assignedMem": s.firmware_mem_mb},
            "processor": {
                "totalProcUnits": s.proc_units,
                "configurableProcUnits": s.proc_units,
                "availableProcUnits": s.avail_proc_units,
                "procCyclesPerSecond": CYCLES_PER_SECOND
            },
            "memory": {
                "totalMem": s.mem_mb,
                "availableMem": s.avail_mem_mb,
                "configurableMem": s.mem_mb
            },
            "sharedProcessorPool": pools,
            "lparsUtil": lpars,
            "viosUtil": vioses
        }
    }})
}

/// The raw `lpar` document: what each partition's operating system says
/// of its memory (RMC), or why it says nothing (6001: not running).
pub fn lpar(s: &FrameSample) -> Value {
    let stamp = super::stamp(s.time).replace("+0000", "-0000");
    let util: Vec<Value> = s
        .lpars
        .iter()
        .filter(|l| !l.vios)
        .map(|l| {
            let mut v = json!({
                "uuid": lpar_uuid(l),
                "id": l.id.to_string(),
                "name": l.name,
                "timeStamp": stamp
            });
            if l.mem_mb == 0 {
                v["errorInfo"] =
                    json!({"errorId": "6001", "message": "The partition is not running."});
            } else {
                let free = l.mem_mb.saturating_sub(l.used_mem_mb);
                let pct = (free * 100 / l.mem_mb.max(1)) as u32;
                v["memory"] = json!({
                    "pctRealMemAvbl": pct,
                    "totalPgSpSizeCount": 131072,
                    "totalPgSpFreeCount": 131072,
                    "vmActivePgCount": l.used_mem_mb * 256,
                    "realMemSizeBytes": l.mem_mb * 1024 * 1024,
                    "pctRealMemFree": pct,
                    "vmPgInRate": 0,
                    "vmPgOutRate": 0,
                    "vmPgSpInRate": 0,
                    "vmPgSpOutRate": 0
                });
            }
            v
        })
        .collect();
    json!({"lparUtil": util})
}

fn info(f: &FrameView, samples: &[&FrameSample], uuid: &str) -> Value {
    let (start, end) = match (samples.last(), samples.first()) {
        (Some(a), Some(b)) => (a.time, b.time),
        _ => (0, 0),
    };
    json!({
        "version": VERSION,
        "metricType": "Processed",
        "monitoringType": "LTM",
        "frequency": crate::utilization::PCM_INTERVAL,
        "startTimeStamp": iso(start),
        "endTimeStamp": iso(end),
        "mtms": mtms(f),
        "name": name(f),
        "uuid": uuid,
        "metricArrayOrder": ["Avg"]
    })
}

fn r2(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn proc_processed(l: &LparSample) -> Value {
    let capped = l.used_units.min(l.proc_units);
    json!({
        "poolId": l.pool_id,
        "weight": l.uncap_weight,
        "mode": mode(l),
        "maxVirtualProcessors": [l.procs],
        "currentVirtualProcessors": [l.procs],
        "maxProcUnits": [l.proc_units],
        "entitledProcUnits": [l.proc_units],
        "utilizedProcUnits": [r2(l.used_units)],
        "utilizedCappedProcUnits": [r2(capped)],
        "utilizedUncappedProcUnits": [r2((l.used_units - l.proc_units).max(0.0))],
        "idleProcUnits": [r2((l.proc_units - l.used_units).max(0.0))],
        "donatedProcUnits": [0.0],
        "timeSpentWaitingForDispatch": [0.0],
        "timePerInstructionExecution": [0.0]
    })
}

fn sample_info(s: &FrameSample) -> Value {
    json!({"timeStamp": iso(s.time), "status": 0})
}

/// `U8286.42A.21A5E8V-V2-C3`: a partition's virtual slot.
fn location(f: &FrameView, id: u32, slot: u32) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    format!(
        "U{}.{}-V{id}-C{slot}",
        fr.type_model.replace('-', "."),
        fr.serial_num
    )
}

/// The processed document of a frame: the frame's processors, memory and
/// pools, and its VIOS partitions (the mover service partitions' network
/// carries the migrations' bytes), one sample per monitor interval.
pub fn processed_system(f: &FrameView, samples: &[&FrameSample]) -> Value {
    let uuid = crate::ids::frame(&f.name);
    let util: Vec<Value> = samples
        .iter()
        .map(|s| {
            let assigned: u64 = s.lpars.iter().map(|l| l.mem_mb).sum();
            let used: f64 = s.lpars.iter().map(|l| l.used_units).sum();
            let pools: Vec<Value> = s
                .procpools
                .iter()
                .map(|p| {
                    json!({
                        "id": p.id,
                        "name": p.name,
                        "assignedProcUnits": [p.entitled_units],
                        "utilizedProcUnits": [r2(p.used_units)],
                        "availableProcUnits": [r2((p.max_units - p.used_units).max(0.0))],
                        "configuredProcUnits": [p.max_units],
                        "borrowedProcUnits": [0.0]
                    })
                })
                .collect();
            let vioses: Vec<Value> = s
                .lpars
                .iter()
                .filter(|l| l.vios)
                .map(|v| {
                    let sent: f64 = s
                        .lpars
                        .iter()
                        .filter(|l| l.mig_msp_id == v.id && l.mig_bytes > 0)
                        .map(|l| l.mig_mb_s * 1024.0 * 1024.0)
                        .sum();
                    json!({
                        "id": v.id,
                        "uuid": lpar_uuid(v),
                        "name": v.name,
                        "state": v.state,
                        "affinityScore": 100,
                        "memory": {"assignedMem": [v.mem_mb], "utilizedMem": [v.used_mem_mb]},
                        "processor": proc_processed(v),
                        "network": {
                            "genericAdapters": [{
                                "id": "ent0",
                                "type": "physical",
                                "physicalLocation": location(f, v.id, 0),
                                "receivedPackets": [0.0],
                                "sentPackets": [r2(sent / 9000.0)],
                                "droppedPackets": [0.0],
                                "sentBytes": [r2(sent)],
                                "receivedBytes": [0.0],
                                "transferredBytes": [r2(sent)]
                            }],
                            "sharedAdapters": [],
                            "virtualEthernetAdapters": []
                        },
                        "storage": {}
                    })
                })
                .collect();
            json!({
                "sampleType": "ManagedSystem",
                "sampleInfo": sample_info(s),
                "serverUtil": {
                    "processor": {
                        "totalProcUnits": [s.proc_units],
                        "utilizedProcUnits": [r2(used)],
                        "utilizedProcUnitsDeductIdle": [r2(used)],
                        "availableProcUnits": [s.avail_proc_units],
                        "configurableProcUnits": [s.proc_units]
                    },
                    "memory": {
                        "totalMem": [s.mem_mb],
                        "availableMem": [s.avail_mem_mb],
                        "configurableMem": [s.mem_mb],
                        "assignedMemToLpars": [assigned],
                        "virtualPersistentMem": [0.0]
                    },
                    "physicalProcessorPool": {
                        "assignedProcUnits": [s.pool.configurable_units],
                        "utilizedProcUnits": [s.pool.used_units],
                        "availableProcUnits": [s.pool.avail_units],
                        "configuredProcUnits": [s.pool.configurable_units],
                        "borrowedProcUnits": [s.pool.borrowed_units]
                    },
                    "sharedProcessorPool": pools,
                    "network": {"sriovPorts": []}
                },
                "viosUtil": vioses
            })
        })
        .collect();
    json!({"systemUtil": {"utilInfo": info(f, samples, &uuid), "utilSamples": util}})
}

/// The processed document of a partition: what it has and uses, and its
/// workload's writes (through its first virtual SCSI adapter, where its
/// disks are).
pub fn processed_lpar(f: &FrameView, lpar: &str, samples: &[&FrameSample]) -> Value {
    let uuid = crate::ids::uuid("LogicalPartition", lpar);
    let slot = f
        .partitions
        .iter()
        .find(|p| p.name == lpar)
        .and_then(|p| p.curr.as_ref())
        .and_then(|c| c.scsi.iter().find(|a| !a.server).map(|a| a.slot));
    let util: Vec<Value> = samples
        .iter()
        .filter_map(|s| {
            let l = s.lpars.iter().find(|l| l.name == lpar)?;
            let bytes = l.write_mb_s * 1024.0 * 1024.0;
            let adapters: Vec<Value> = slot
                .map(|slot| {
                    json!({
                        "id": format!("vscsi{}", slot),
                        "type": "virtual",
                        "physicalLocation": location(f, l.id, slot),
                        "numOfReads": [0.0],
                        "numOfWrites": [r2(bytes / 4096.0)],
                        "readBytes": [0.0],
                        "writeBytes": [r2(bytes)],
                        "transmittedBytes": [r2(bytes)]
                    })
                })
                .into_iter()
                .collect();
            Some(json!({
                "sampleType": "LogicalPartition",
                "sampleInfo": sample_info(s),
                "lparsUtil": [{
                    "id": l.id,
                    "uuid": lpar_uuid(l),
                    "type": if l.vios { "VirtualIOServer" } else { "AIX/Linux" },
                    "name": l.name,
                    "state": l.state,
                    "affinityScore": 100,
                    "memory": {
                        "logicalMem": [l.mem_mb],
                        "backedPhysicalMem": [l.mem_mb],
                        "utilizedMem": [l.used_mem_mb]
                    },
                    "processor": proc_processed(l),
                    "network": {"virtualEthernetAdapters": [], "sriovLogicalPorts": []},
                    "storage": {"genericVirtualAdapters": adapters, "virtualFCAdapters": []}
                }]
            }))
        })
        .collect();
    json!({"systemUtil": {"utilInfo": info(f, samples, &uuid), "utilSamples": util}})
}
