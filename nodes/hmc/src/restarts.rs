//! The HMC's remote restart store: each remote restart capable
//! partition's configuration as the HMC keeps it, and the restarts it
//! made whose stale source copy still waits for its cleanup.

use pvmlab_common::model::{Frame, Partition, ViosDevices};
use pvmlab_common::store::{Store, StoreError, Write};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::watch;

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
    /// The connected frames whose copies the keeper has not yet gathered
    /// in full: not seen since the HMC connected, or a running VIOS that
    /// serves a partition has not told its devices yet. The HMC is not
    /// ready while any is, and a command that reads the copies waits.
    gathering: watch::Sender<Gathering>,
}

/// What the keeper has still to gather.
#[derive(Clone, Default, PartialEq)]
pub struct Gathering {
    /// Frames the keeper has gathered in full at least once.
    pub seen: BTreeSet<String>,
    /// Frames with a running serving VIOS whose devices are not known yet.
    pub incomplete: BTreeSet<String>,
}

impl Gathering {
    /// Whether `frame`'s copies are still being gathered, for a frame the
    /// HMC is connected to.
    pub fn pending(&self, frame: &str) -> bool {
        !self.seen.contains(frame) || self.incomplete.contains(frame)
    }
}

fn key(frame: &str, lpar: &str) -> String {
    format!("{frame}/{lpar}")
}

impl Configs {
    pub fn open(path: &std::path::Path) -> Result<Configs, StoreError> {
        Ok(Configs {
            store: Store::open(path)?,
            gathering: watch::Sender::new(Gathering::default()),
        })
    }

    pub fn gathering(&self) -> watch::Receiver<Gathering> {
        self.gathering.subscribe()
    }

    /// The keeper's word on `frame`: gathered in full, or not yet.
    pub(super) fn set_gathered(&self, frame: &str, complete: bool) {
        self.gathering.send_if_modified(|g| {
            let before = g.clone();
            if complete {
                g.seen.insert(frame.to_string());
                g.incomplete.remove(frame);
            } else {
                g.incomplete.insert(frame.to_string());
            }
            *g != before
        });
    }

    /// Waits, at most `limit`, until the keeper has gathered `frame`'s
    /// copies, so that a command right after the HMC connects reads what
    /// the frame holds rather than an empty or partial copy. Returns
    /// whether it has.
    pub async fn settled(&self, frame: &str, limit: Duration) -> bool {
        let mut rx = self.gathering();
        tokio::time::timeout(limit, rx.wait_for(|g| !g.pending(frame)))
            .await
            .is_ok_and(|r| r.is_ok())
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

#[cfg(test)]
mod tests {
    use super::Gathering;

    #[test]
    fn a_frame_is_pending_until_gathered_in_full() {
        let mut g = Gathering::default();
        assert!(g.pending("sys1"), "never seen");
        g.seen.insert("sys1".into());
        assert!(!g.pending("sys1"));
        g.incomplete.insert("sys1".into());
        assert!(g.pending("sys1"), "a running VIOS has not answered");
    }
}
