//! The VIOS error log (`errlog`), where the mover records what it did to a
//! migration, with the identifiers and texts of the Redbook's examples.

use pvmlab_common::clock::Civil;
use pvmlab_common::errpt::{self, Entry};
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

#[derive(Clone, Default)]
pub struct Errlog(Arc<Mutex<Vec<String>>>);

impl Errlog {
    /// Adds an entry now; `errlog` lists the newest first.
    pub fn add(&self, e: Entry) {
        tracing::info!(id = e.0, text = e.3, "errlog");
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(errpt::line(e, Civil::now()));
    }

    /// Adds a hardware entry about `resource` (an SEA's BECOME PRIMARY …).
    pub fn add_hw(&self, e: errpt::HwEntry, resource: &str) {
        tracing::info!(id = e.0, text = e.2, resource, "errlog");
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(errpt::hw_line(e, resource, Civil::now()));
    }

    pub fn render(&self) -> String {
        errpt::render(self.0.lock().unwrap_or_else(|e| e.into_inner()).iter())
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
}
