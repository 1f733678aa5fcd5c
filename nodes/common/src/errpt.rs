//! AIX error log lines (`errpt`, and the VIOS's `errlog`), as the Redbook's
//! examples print them (§6, Ex 6-1 to 6-6): the identifier, the time as
//! MMDDhhmmYY, type, class, resource and a description cut at 40 columns,
//! newest first under one header.

use crate::clock::Civil;

/// An entry's identifier, type (I, P), resource name and description.
pub type Entry = (&'static str, &'static str, &'static str, &'static str);

/// Logged by the mobile partition's operating system (Table B-3).
pub const CLIENT_PMIG_STARTED: Entry = (
    "08917DC6",
    "I",
    "pmig",
    "Client Partition Migration Started",
);
pub const CLIENT_PMIG_DONE: Entry = (
    "A5E6DB96",
    "I",
    "pmig",
    "Client Partition Migration Completed",
);
pub const CLIENT_PMIG_ABORTED: Entry = (
    "5E075ADF",
    "I",
    "pmig",
    "Client Partition Migration Aborted",
);

pub const HEADER: &str = "IDENTIFIER  TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n";

/// MMDDhhmmYY.
pub fn timestamp(c: Civil) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.year % 100
    )
}

/// One line of the log for `e` at `at`.
pub fn line((id, t, resource, text): Entry, at: Civil) -> String {
    format_line(id, t, "S", resource, text, at)
}

/// A hardware entry (class H): its identifier, type and description; the
/// resource is the device it is about, named when it is logged.
pub type HwEntry = (&'static str, &'static str, &'static str);

/// Logged by an SEA in failover (seed 002).
pub const SEA_BECOME_PRIMARY: HwEntry = ("E136EAFA", "I", "BECOME PRIMARY");
pub const SEA_BECOME_BACKUP: HwEntry = ("40D97644", "I", "BECOME BACKUP");
/// Logged by a client's MPIO disk driver when a path fails and returns,
/// and when an I/O finds no path left.
pub const PATH_FAILED: HwEntry = ("DE3B8540", "P", "PATH HAS FAILED");
pub const PATH_RECOVERED: HwEntry = ("F31FFAB3", "I", "PATH HAS RECOVERED");
pub const DISK_OPERATION_ERROR: HwEntry = ("DCB47997", "T", "DISK OPERATION ERROR");

/// One line of the log for a hardware entry about `resource`.
pub fn hw_line((id, t, text): HwEntry, resource: &str, at: Civil) -> String {
    format_line(id, t, "H", resource, text, at)
}

fn format_line(id: &str, t: &str, class: &str, resource: &str, text: &str, at: Civil) -> String {
    format!(
        "{id:<8}   {} {t} {class} {resource:<14} {}",
        timestamp(at),
        text.chars().take(40).collect::<String>()
    )
}

/// The log, given oldest first, printed newest first.
pub fn render<'a>(lines: impl DoubleEndedIterator<Item = &'a String>) -> String {
    let mut out = String::from(HEADER);
    for l in lines.rev() {
        out.push_str(l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_look_like_the_redbooks() {
        // 2007-03-29 14:33 UTC
        let at = Civil::at(1_175_178_780);
        assert_eq!(timestamp(at), "0329143307");
        let log = [line(CLIENT_PMIG_STARTED, at), line(CLIENT_PMIG_DONE, at)];
        assert_eq!(
            render(log.iter()),
            "IDENTIFIER  TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n\
             A5E6DB96   0329143307 I S pmig           Client Partition Migration Completed\n\
             08917DC6   0329143307 I S pmig           Client Partition Migration Started\n"
        );
    }
}
