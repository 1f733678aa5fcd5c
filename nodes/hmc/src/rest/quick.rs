//! The `quick` forms: an object's main properties in the HMC's JSON
//! (`ManagedSystem/{uuid}/quick`, `…/LogicalPartition/quick/All`), one
//! property on its own as a JSON value (`LogicalPartition/{uuid}/quick/
//! PartitionState` → `"running"`), and the names a kind offers
//! (`LogicalPartition/quick`). The keys are the ones IBM documents as
//! quick properties and Ansible's REST client and inventory read (its
//! `partition_info` sample shows a real HMC's answer): `UUID`,
//! `PartitionName`, `PartitionState`, `RMCState`, `SystemName`,
//! `IPAddress`, `MTMS` …

use super::Reply;
use pvmlab_common::model::{FrameExt as _, Partition, PartitionExt as _};
use pvmlab_common::proto::hmc::FrameView;
use serde_json::{Map, Value, json};

/// A frame's quick properties.
pub fn system(f: &FrameView) -> Map<String, Value> {
    let fr = f.frame.clone().unwrap_or_default();
    let mut m = Map::new();
    m.insert("IPAddress".into(), json!(super::system::ip_address(&fr)));
    m.insert(
        "MemoryDefragmentationState".into(),
        json!("Memory_Defragmentation_Not_In_Progress"),
    );
    m.insert("MTMS".into(), json!(fr.mtms()));
    m.insert("PhysicalSystemAttentionLEDState".into(), json!("false"));
    m.insert("State".into(), json!(super::system::state(f)));
    m.insert("SystemName".into(), json!(super::system::name(f)));
    m.insert("UUID".into(), json!(crate::ids::frame(&f.name)));
    m
}

/// REST's sharing modes (pypowervm's `SharingMode`, the templates'
/// `sharingMode`) and the profile's words for them (`lssyscfg`'s
/// `sharing_mode`).
pub const SHARING_MODES: &[(&str, &str)] = &[
    ("capped", "cap"),
    ("uncapped", "uncap"),
    ("keep idle procs", "keep_idle_procs"),
    ("sre idle proces", "share_idle_procs"),
    ("sre idle procs active", "share_idle_procs_active"),
    ("sre idle procs always", "share_idle_procs_always"),
];

/// REST's word for a profile's sharing mode; a mode without one (a
/// shared partition that names none) reads capped.
pub fn sharing_mode(mode: &str) -> &'static str {
    SHARING_MODES
        .iter()
        .find(|(_, w)| *w == mode)
        .map_or("capped", |(r, _)| r)
}

/// A partition's (or a VIOS's) quick properties. A partition that does
/// not run shows what it would start with, as the HMC's sample does for
/// a partition just made.
pub fn partition(p: &Partition) -> Map<String, Value> {
    let prof = super::partition::current_profile(p);
    let cur = p.curr.clone();
    let dedicated = cur
        .as_ref()
        .map_or(prof.proc_mode == "ded", |c| c.proc_mode == "ded");
    let mem = cur.as_ref().map_or(prof.desired_mem, |c| c.mem_mb);
    let (units, procs) = cur
        .as_ref()
        .map_or((prof.desired_proc_units, prof.desired_procs), |c| {
            (c.proc_units, c.procs)
        });
    let sharing = if dedicated && prof.sharing_mode.is_empty() {
        "keep idle procs"
    } else {
        sharing_mode(&prof.sharing_mode)
    };
    let nullable = |s: &str| {
        if s.is_empty() { Value::Null } else { json!(s) }
    };
    let last = if p.last_activated_profile.is_empty() {
        &p.curr_profile
    } else {
        &p.last_activated_profile
    };
    let migration = p
        .migration
        .as_ref()
        .map(|m| m.state.replace(' ', "_"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Not_Migrating".into());
    let rr = if !p.remote_restart_capable && !p.simplified_remote_restart_capable {
        "Invalid".to_string()
    } else if p.remote_restart_status.is_empty() {
        "Remote_Restartable".to_string()
    } else {
        p.remote_restart_status.replace(' ', "_")
    };
    let mut m = Map::new();
    m.insert(
        "AllocatedVirtualProcessors".into(),
        if dedicated { Value::Null } else { json!(procs) },
    );
    m.insert("CurrentMemory".into(), json!(mem));
    m.insert(
        "CurrentProcessingUnits".into(),
        if dedicated { Value::Null } else { json!(units) },
    );
    m.insert(
        "CurrentProcessors".into(),
        if dedicated { json!(procs) } else { Value::Null },
    );
    m.insert("Description".into(), Value::Null);
    m.insert(
        "HasDedicatedProcessors".into(),
        json!(if dedicated { "true" } else { "false" }),
    );
    m.insert(
        "HasPhysicalIO".into(),
        json!(if prof.io_slots.is_empty() {
            "false"
        } else {
            "true"
        }),
    );
    m.insert("IsVirtualServiceAttentionLEDOn".into(), json!("false"));
    m.insert("LastActivatedProfile".into(), nullable(last));
    m.insert(
        "MemoryMode".into(),
        json!(if prof.mem_mode == "shared" {
            "Shared"
        } else {
            "Dedicated"
        }),
    );
    m.insert("MigrationState".into(), json!(migration));
    m.insert("OperatingSystemVersion".into(), json!(p.os_version));
    m.insert("PartitionID".into(), json!(p.id));
    m.insert("PartitionName".into(), json!(p.name));
    m.insert("PartitionState".into(), json!(super::partition::state(p)));
    m.insert(
        "PartitionType".into(),
        json!(if p.is_vios() {
            "Virtual IO Server"
        } else {
            "AIX/Linux"
        }),
    );
    m.insert("PowerManagementMode".into(), Value::Null);
    m.insert("ProgressState".into(), Value::Null);
    m.insert("RMCState".into(), json!(p.rmc_state));
    m.insert("ReferenceCode".into(), json!(p.ref_code));
    m.insert("RemoteRestartState".into(), json!(rr));
    m.insert(
        "ResourceMonitoringIPAddress".into(),
        nullable(&p.rmc_ipaddr),
    );
    m.insert("SharingMode".into(), json!(sharing));
    m.insert("UUID".into(), json!(crate::ids::partition(p)));
    m
}

/// `quick` (all properties) or `quick/{Property}` (one, as a JSON value)
/// of one object; `None` (404) for a property it has not.
pub fn answer(props: Map<String, Value>, rest_of_path: &[&str]) -> Option<Reply> {
    match rest_of_path {
        [] => Some(Reply::json(&Value::Object(props))),
        [name] => props.get(*name).map(Reply::json),
        _ => None,
    }
}

/// `{Kind}/quick`: the property names the kind offers.
pub fn names(props: &Map<String, Value>) -> Reply {
    Reply::json(&Value::Array(
        props.keys().map(|k| Value::String(k.clone())).collect(),
    ))
}

/// `quick/All`: every object's properties, in a JSON array.
pub fn all(list: impl IntoIterator<Item = Map<String, Value>>) -> Reply {
    Reply::json(&Value::Array(list.into_iter().map(Value::Object).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{Profile, Resources};

    fn lpar(proc_mode: &str, running: bool) -> Partition {
        Partition {
            id: 4,
            name: "aix72a".into(),
            lpar_env: "aixlinux".into(),
            state: if running { "Running" } else { "Not Activated" }.into(),
            default_profile: "default_profile".into(),
            rmc_state: "active".into(),
            rmc_ipaddr: "10.0.0.4".into(),
            profiles: vec![Profile {
                name: "default_profile".into(),
                desired_mem: 4096,
                proc_mode: proc_mode.into(),
                desired_proc_units: 0.5,
                desired_procs: 2,
                sharing_mode: "uncap".into(),
                ..Default::default()
            }],
            curr: running.then(|| Resources {
                mem_mb: 2048,
                proc_mode: proc_mode.into(),
                proc_units: 0.4,
                procs: 1,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_shared_partition_shows_units_and_virtual_processors() {
        let m = partition(&lpar("shared", true));
        assert_eq!(m["PartitionState"], json!("running"));
        assert_eq!(m["CurrentMemory"], json!(2048));
        assert_eq!(m["CurrentProcessingUnits"], json!(0.4));
        assert_eq!(m["AllocatedVirtualProcessors"], json!(1));
        assert_eq!(m["CurrentProcessors"], Value::Null);
        assert_eq!(m["SharingMode"], json!("uncapped"));
        assert_eq!(m["RMCState"], json!("active"));
        assert_eq!(m["PartitionType"], json!("AIX/Linux"));
        assert_eq!(
            m["UUID"],
            json!(crate::ids::uuid("LogicalPartition", "aix72a"))
        );
        assert_eq!(m["RemoteRestartState"], json!("Invalid"));
    }

    #[test]
    fn a_stopped_dedicated_partition_shows_what_it_would_start_with() {
        let m = partition(&lpar("ded", false));
        assert_eq!(m["PartitionState"], json!("not activated"));
        assert_eq!(m["CurrentMemory"], json!(4096));
        assert_eq!(m["CurrentProcessors"], json!(2));
        assert_eq!(m["CurrentProcessingUnits"], Value::Null);
        assert_eq!(m["HasDedicatedProcessors"], json!("true"));
    }

    #[test]
    fn one_property_is_a_json_value() {
        let r = answer(partition(&lpar("shared", true)), &["PartitionState"]).unwrap();
        assert_eq!(r.body, "\"running\"");
        let r = answer(partition(&lpar("shared", true)), &["PartitionID"]).unwrap();
        assert_eq!(r.body, "4");
        assert!(answer(partition(&lpar("shared", true)), &["NoSuch"]).is_none());
        let all = answer(partition(&lpar("shared", true)), &[]).unwrap();
        let v: Value = serde_json::from_str(&all.body).unwrap();
        assert_eq!(v["PartitionName"], json!("aix72a"));
        let names: Value =
            serde_json::from_str(&names(&partition(&lpar("ded", false))).body).unwrap();
        assert!(names.as_array().unwrap().contains(&json!("PartitionState")));
    }

    #[test]
    fn a_frame_shows_its_address_without_the_port() {
        let f = FrameView {
            name: "sys2".into(),
            state: "Operating".into(),
            frame: Some(pvmlab_common::model::Frame {
                type_model: "8286-42A".into(),
                serial_num: "21A5E8V".into(),
                address: "127.42.0.22:50051".into(),
                user_name: "prod".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let m = system(&f);
        assert_eq!(m["IPAddress"], json!("127.42.0.22"));
        assert_eq!(m["SystemName"], json!("prod"));
        assert_eq!(m["MTMS"], json!("8286-42A*21A5E8V"));
        assert_eq!(m["State"], json!("operating"));
        assert_eq!(m["UUID"], json!(crate::ids::frame("sys2")));
    }
}
