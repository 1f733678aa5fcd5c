//! The VIOS error log (`errlog`), where the mover records what it did to a
//! migration, with the identifiers and texts of the Redbook's examples.

use pvmlab_common::clock::Civil;
use std::sync::{Arc, Mutex};

pub const SUSPEND_ISSUED: (&str, &str, &str, &str) =
    ("6CB10B8D", "I", "", "Client partition suspend issued");
pub const COMPLETED: (&str, &str, &str, &str) = (
    "3EB09F5A",
    "I",
    "Migration",
    "Migration completed successfully",
);
pub const ABORTED_LINK: (&str, &str, &str, &str) = (
    "427E17BD",
    "P",
    "Migration",
    "Migration aborted: MSP-MSP connection down",
);
pub const ABORTED: (&str, &str, &str, &str) = ("427E17BD", "P", "Migration", "Migration aborted");

#[derive(Clone, Default)]
pub struct Errlog(Arc<Mutex<Vec<String>>>);

impl Errlog {
    /// Adds an entry now; `errlog` lists the newest first.
    pub fn add(&self, (id, t, resource, text): (&str, &str, &str, &str)) {
        let line = format!(
            "{id:<8}   {} {t} S {resource:<14} {}",
            timestamp(Civil::now()),
            text.chars().take(40).collect::<String>()
        );
        tracing::info!(%id, text, "errlog");
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    pub fn render(&self) -> String {
        let mut out = String::from("IDENTIFIER TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n");
        for l in self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
        {
            out.push_str(l);
            out.push('\n');
        }
        out
    }
}

/// MMDDhhmmYY, as errpt prints it.
fn timestamp(c: Civil) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.year % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_look_like_the_redbooks() {
        // 2007-03-29 14:34 UTC
        assert_eq!(timestamp(Civil::at(1_175_178_840)), "0329143407");
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
