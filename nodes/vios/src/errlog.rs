//! The VIOS error log (`errlog`), where the mover records what it did to a
//! migration, with the identifiers and texts of the Redbook's examples.

use pvmlab_common::clock::Civil;
use pvmlab_common::errpt::{self, Entry};
use pvmlab_common::store::{Store, StoreError};
use std::sync::{Arc, Mutex};

pub const SUSPEND_ISSUED: Entry = ("6CB10B8D", "I", "", "Client partition suspend issued");
pub const COMPLETED: Entry = (
    "3EB09F5A",
    "I",
    "Migration",
    "Migration completed successfully",
);
pub const ABORTED_LINK: Entry = (
    "427E17BD",
    "P",
    "Migration",
    "Migration aborted: MSP-MSP connection down",
);
pub const ABORTED: Entry = ("427E17BD", "P", "Migration", "Migration aborted");

/// The entries a VIOS keeps at most; the oldest go first, as AIX's
/// errdemon wraps its log.
const KEEP: usize = 1000;
const TABLE: &str = "errlog";
const KEY: &str = "entries";

#[derive(Clone, Default)]
pub struct Errlog(Arc<Mutex<Log>>);

#[derive(Default)]
struct Log {
    /// When each entry was logged (seconds since the epoch), and its line.
    entries: Vec<(i64, String)>,
    /// Where it is kept across restarts, once the VIOS's database is open.
    store: Option<Arc<Store>>,
}

impl Log {
    fn save(&self) {
        if let Some(store) = &self.store {
            if let Err(e) = store.put(TABLE, KEY, &self.entries) {
                tracing::warn!("the error log could not be kept: {e}");
            }
        }
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Errlog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps the log in the VIOS's database from now on, after the entries
    /// it held before this start (a VIOS's error log survives its reboot).
    pub fn keep_in(&self, store: Arc<Store>) -> Result<(), StoreError> {
        let mut l = self.lock();
        let mut entries: Vec<(i64, String)> = store.get(TABLE, KEY)?.unwrap_or_default();
        entries.append(&mut l.entries);
        l.entries = entries;
        l.store = Some(store);
        l.save();
        Ok(())
    }

    fn push(&self, at: i64, line: String) {
        let mut l = self.lock();
        l.entries.push((at, line));
        let over = l.entries.len().saturating_sub(KEEP);
        l.entries.drain(..over);
        l.save();
    }

    /// Adds an entry now; `errlog` lists the newest first.
    pub fn add(&self, e: Entry) {
        tracing::info!(id = e.0, text = e.3, "errlog");
        let at = now_s();
        self.push(at, errpt::line(e, Civil::at(at)));
    }

    /// Adds a hardware entry about `resource` (an SEA's BECOME PRIMARY …).
    pub fn add_hw(&self, e: errpt::HwEntry, resource: &str) {
        tracing::info!(id = e.0, text = e.2, resource, "errlog");
        let at = now_s();
        self.push(at, errpt::hw_line(e, resource, Civil::at(at)));
    }

    /// `errlog -rm Days`: removes the entries older than that many days
    /// (0: all of them).
    pub fn remove_older_than(&self, days: u32) {
        let cut = now_s() - i64::from(days) * 86_400;
        let mut l = self.lock();
        l.entries.retain(|(at, _)| days > 0 && *at >= cut);
        l.save();
    }

    pub fn render(&self) -> String {
        errpt::render(self.lock().entries.iter().map(|(_, line)| line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_look_like_the_redbooks() {
        let log = Errlog::default();
        log.add(SUSPEND_ISSUED);
        log.add(ABORTED_LINK);
        let out = log.render();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].starts_with("427E17BD   "));
        assert!(lines[1].ends_with(" P S Migration      Migration aborted: MSP-MSP connection do"));
        assert!(lines[2].ends_with(" I S                Client partition suspend issued"));
    }

    #[test]
    fn the_log_survives_a_restart_and_rm_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("v.redb")).unwrap());
        let log = Errlog::default();
        log.add(SUSPEND_ISSUED);
        log.keep_in(store.clone()).unwrap();
        log.add_hw(errpt::SEA_BECOME_PRIMARY, "ent5");
        // The next start finds both, and logs after them.
        let again = Errlog::default();
        again.keep_in(store.clone()).unwrap();
        let out = again.render();
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(
            out.lines().nth(1).unwrap().contains("BECOME PRIMARY"),
            "{out}"
        );
        again.remove_older_than(1);
        assert_eq!(again.render().lines().count(), 3, "entries of today stay");
        again.remove_older_than(0);
        assert_eq!(again.render().lines().count(), 1, "only the header");
        let third = Errlog::default();
        third.keep_in(store).unwrap();
        assert_eq!(third.render().lines().count(), 1, "the removal was kept");
    }
}
