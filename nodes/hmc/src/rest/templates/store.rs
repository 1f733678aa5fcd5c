//! The HMC's partition template library: the predefined templates every
//! HMC ships (QuickStart_lpar_rpa_2 for AIX/Linux, QuickStart_lpar_IBMi_2
//! for IBM i, QuickStart_lpar_VIOS_2 …; read-only, the same on every HMC)
//! and the templates and drafts its users make, kept in the HMC's
//! database so that a template acknowledged survives `kill -9`.

use pvmlab_common::store::{Store, StoreError, Write};
use serde::{Deserialize, Serialize};

const TABLE: &str = "partition_templates";

/// Templates and drafts kept at most: a client that copies without ever
/// deleting is refused rather than filling the disk.
pub const KEEP: usize = 500;

/// The predefined templates: name, partition type, description.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "QuickStart_lpar_rpa_2",
        "AIX/Linux",
        "Quick start template for an AIX or Linux partition with dedicated processors.",
    ),
    (
        "QuickStart_lpar_IBMi_2",
        "OS400",
        "Quick start template for an IBM i partition with dedicated processors.",
    ),
    (
        "QuickStart_lpar_VIOS_2",
        "Virtual IO Server",
        "Quick start template for a Virtual I/O Server partition.",
    ),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub uuid: String,
    pub name: String,
    /// A draft is what Check makes of a template for one managed system;
    /// Transform and Deploy take drafts.
    pub draft: bool,
    /// The template a draft was made from.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub transformed: bool,
    /// The template's elements after its Metadata, as the client wrote
    /// them (in the templates namespace).
    pub body: String,
    /// Milliseconds since the epoch.
    pub created: u64,
    #[serde(default)]
    pub builtin: bool,
}

/// A predefined template's elements.
pub fn builtin_body(name: &str, kind: &str) -> String {
    let el = |n: &str, v: &str| format!("<{n} kb=\"CUD\" kxe=\"false\">{v}</{n}>");
    let group = |n: &str, children: &[String]| {
        format!(
            "<{n} kb=\"CUD\" kxe=\"false\" schemaVersion=\"V1_0\"><Metadata><Atom/></Metadata>{}</{n}>",
            children.concat()
        )
    };
    let desc = BUILTIN
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, d)| *d)
        .unwrap_or_default();
    [
        format!("<partitionTemplateName kb=\"CUR\" kxe=\"false\">{name}</partitionTemplateName>"),
        el("description", desc),
        group(
            "generalSettings",
            &[
                el("partitionId", "0"),
                el("partitionName", "lpar"),
                el("partitionType", kind),
                el("currProcessorCompatibilityMode", "default"),
                el("SimplifiedRemoteRestartEnable", "false"),
                el("currMaxVirtualIOSlots", "20"),
            ],
        ),
        group(
            "processorConfiguration",
            &[
                el("sharingMode", "sre idle proces"),
                group(
                    "sharedProcessorConfiguration",
                    &[
                        el("sharedProcessorPoolId", "0"),
                        el("uncappedWeight", "128"),
                        el("minProcessingUnits", "0.1"),
                        el("desiredProcessingUnits", "0.5"),
                        el("maxProcessingUnits", "2"),
                        el("minVirtualProcessors", "1"),
                        el("desiredVirtualProcessors", "1"),
                        el("maxVirtualProcessors", "2"),
                    ],
                ),
                group(
                    "dedicatedProcessorConfiguration",
                    &[
                        el("minProcessors", "1"),
                        el("desiredProcessors", "1"),
                        el("maxProcessors", "2"),
                    ],
                ),
                el("currHasDedicatedProcessors", "true"),
                el("currSharingMode", "sre idle proces"),
            ],
        ),
        group(
            "memoryConfiguration",
            &[
                el("currMinMemory", "1024"),
                el("currMemory", "2048"),
                el("currMaxMemory", "4096"),
            ],
        ),
        group(
            "ioConfiguration",
            &[el("isUseCapturedPhysicalIOInformationEnabled", "false")],
        ),
        group("DedicatedVirtualNICs", &[]),
        el("suspendEnable", "false"),
    ]
    .concat()
}

/// The predefined templates, with the UUIDs every HMC of the lab gives them.
pub fn builtins() -> Vec<Template> {
    BUILTIN
        .iter()
        .map(|(name, kind, _)| Template {
            uuid: crate::ids::uuid("PartitionTemplate", name),
            name: name.to_string(),
            draft: false,
            source: String::new(),
            transformed: false,
            body: builtin_body(name, kind),
            created: 0,
            builtin: true,
        })
        .collect()
}

/// Every template, predefined first.
pub fn all(store: &Store) -> Vec<Template> {
    let mut out = builtins();
    match store.list::<Template>(TABLE) {
        Ok(mut kept) => {
            kept.sort_by(|a, b| (a.1.created, &a.0).cmp(&(b.1.created, &b.0)));
            out.extend(kept.into_iter().map(|(_, t)| t));
        }
        Err(e) => tracing::warn!("partition templates cannot be read: {e}"),
    }
    out
}

pub fn get(store: &Store, uuid: &str) -> Option<Template> {
    all(store).into_iter().find(|t| t.uuid == uuid)
}

/// Keeps a template (new or changed) durably.
pub fn put(store: &Store, t: &Template) -> Result<(), StoreError> {
    store.put(TABLE, &t.uuid, t)
}

/// Removes a template and the drafts made from it, in one transaction.
pub fn remove(store: &Store, uuid: &str) -> Result<(), StoreError> {
    let mut writes = vec![Write::delete(TABLE, uuid)];
    for (k, t) in store.list::<Template>(TABLE)? {
        if t.source == uuid {
            writes.push(Write::delete(TABLE, k));
        }
    }
    store.apply(writes)
}

/// How many templates users keep.
pub fn kept(store: &Store) -> usize {
    store.list::<Template>(TABLE).map(|l| l.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_survive_a_reopen_and_go_with_their_drafts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hmc.redb");
        let t = Template {
            uuid: "u1".into(),
            name: "mine".into(),
            draft: false,
            source: String::new(),
            transformed: false,
            body: builtin_body("QuickStart_lpar_rpa_2", "AIX/Linux"),
            created: 1,
            builtin: false,
        };
        let d = Template {
            uuid: "d1".into(),
            draft: true,
            source: "u1".into(),
            created: 2,
            ..t.clone()
        };
        {
            let s = Store::open(&path).unwrap();
            put(&s, &t).unwrap();
            put(&s, &d).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(get(&s, "u1"), Some(t));
        assert_eq!(all(&s).len(), BUILTIN.len() + 2);
        assert!(
            get(
                &s,
                &crate::ids::uuid("PartitionTemplate", "QuickStart_lpar_rpa_2")
            )
            .is_some_and(|t| t.builtin)
        );
        remove(&s, "u1").unwrap();
        assert_eq!(kept(&s), 0);
    }
}
