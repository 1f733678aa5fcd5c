//! The proxies added through the API, kept in `<lab>/toxiproxy.json` so
//! that they outlive the API process; the lab's own links are never stored.

use super::model::Proxy;
use pvmlab_common::lab::LabDir;
use std::sync::Mutex;

pub(super) struct Store {
    lab: LabDir,
    added: Mutex<Vec<Proxy>>,
}

impl Store {
    /// What the lab directory holds; nothing (not an error) if it holds none.
    pub(super) fn load(lab: &LabDir) -> Store {
        let added = std::fs::read(Self::path(lab))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Store {
            lab: lab.clone(),
            added: Mutex::new(added),
        }
    }

    fn path(lab: &LabDir) -> std::path::PathBuf {
        lab.root().join("toxiproxy.json")
    }

    pub(super) fn list(&self) -> Vec<Proxy> {
        self.added.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(super) fn add(&self, p: Proxy) {
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        added.push(p);
        self.save(&added);
    }

    /// Forgets the proxy called `name`, if it was added here.
    pub(super) fn remove(&self, name: &str) {
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        let before = added.len();
        added.retain(|x| x.name != name);
        if added.len() != before {
            self.save(&added);
        }
    }

    fn save(&self, added: &[Proxy]) {
        if let Ok(b) = serde_json::to_vec_pretty(added) {
            let _ = std::fs::write(Self::path(&self.lab), b);
        }
    }
}
