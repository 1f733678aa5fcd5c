//! The HMC's remote restart store: each remote restart capable
//! partition's configuration as the HMC keeps it, and the restarts it
//! made whose stale source copy still waits for its cleanup.

use pvmlab_common::model::{Frame, Partition, ViosDevices};
use pvmlab_common::store::{Store, StoreError, Write};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const CONFIGS: &str = "rr_config";
const RESTARTED: &str = "rr_restarted";

/// A partition's configuration as the HMC keeps it for a remote restart.
#[derive(Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Doc {
    /// The frame it was on (name, capabilities, memory block size).
    pub frame: Frame,
    pub lpar: Partition,
    /// The VIOS partitions that serve its virtual adapters, and their
    /// devices and mappings, by partition id.
    pub vioses: Vec<Partition>,
    pub devices: HashMap<u32, ViosDevices>,
}

/// A restart this HMC made: the source copy waits for its cleanup.
#[derive(Clone, Serialize, Deserialize, Default)]
pub struct Restarted {
    pub source: String,
    pub lpar: String,
    pub dest: String,
}

/// The HMC's remote restart store.
pub struct Configs {
    store: Store,
}

fn key(frame: &str, lpar: &str) -> String {
    format!("{frame}/{lpar}")
}

impl Configs {
    pub fn open(path: &std::path::Path) -> Result<Configs, StoreError> {
        Ok(Configs {
            store: Store::open(path)?,
        })
    }

    pub fn get(&self, frame: &str, lpar: &str) -> Option<Doc> {
        self.store.get(CONFIGS, &key(frame, lpar)).ok().flatten()
    }

    pub(super) fn put(&self, frame: &str, doc: &Doc) -> Result<(), StoreError> {
        self.store.put(CONFIGS, &key(frame, &doc.lpar.name), doc)
    }

    /// A restart under way: from here the source copy is stale, until a
    /// cleanup or a cancel.
    pub(super) fn record_restart(&self, r: &Restarted) -> Result<(), StoreError> {
        self.store
            .apply(vec![Write::put(RESTARTED, key(&r.source, &r.lpar), r)])
    }

    /// A restart done: the source's configuration goes (the destination's
    /// comes with the next refresh).
    pub(super) fn restart_done(&self, frame: &str, lpar: &str) -> Result<(), StoreError> {
        self.store
            .apply(vec![Write::delete(CONFIGS, key(frame, lpar))])
    }

    /// The stale copy is gone (cleaned up, or the restart cancelled).
    pub(super) fn end_restart(&self, frame: &str, lpar: &str) -> Result<(), StoreError> {
        self.store
            .apply(vec![Write::delete(RESTARTED, key(frame, lpar))])
    }

    pub fn restarted(&self, frame: &str, lpar: &str) -> Option<Restarted> {
        self.store.get(RESTARTED, &key(frame, lpar)).ok().flatten()
    }

    pub(super) fn all_restarted(&self) -> Vec<Restarted> {
        self.store
            .list::<Restarted>(RESTARTED)
            .map(|v| v.into_iter().map(|(_, r)| r).collect())
            .unwrap_or_default()
    }
}
