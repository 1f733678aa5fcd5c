//! What a chaos run records (its timeline, migrations, violations and
//! counts) and how it ends: the summary printed and the JSON report written.

use super::scenario::Step;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub t_ms: u64,
    pub step: String,
    pub outcome: String,
}

/// A timeline line, as printed live and in the summary.
impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  {:>8.2}s  {:<48} {}",
            self.t_ms as f64 / 1000.0,
            self.step,
            self.outcome
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    pub lpar: String,
    pub from: String,
    pub to: String,
    /// completed | failed (recovered later) | refused (nothing moved)
    pub result: String,
    pub secs: f64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub t_ms: u64,
    pub invariant: String,
    pub detail: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub migrations: usize,
    pub completed: usize,
    pub failed: usize,
    pub refused: usize,
    pub faults: usize,
    pub recoveries: usize,
    pub violations: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    scenario: &'a str,
    seed: u64,
    schedule: &'a [Step],
    counts: Counts,
    timeline: Vec<Event>,
    migrations: Vec<Migration>,
    violations: Vec<Violation>,
}

/// What the run has seen so far; shared with background migrations and
/// the invariant sampler.
#[derive(Default)]
pub struct Log {
    pub(super) timeline: Vec<Event>,
    pub(super) migrations: Vec<Migration>,
    pub(super) violations: Vec<Violation>,
    pub(super) faults: usize,
    pub(super) recoveries: usize,
    /// Partitions a migration of the run is moving now.
    pub(super) in_flight: BTreeSet<String>,
}

impl Counts {
    fn of(log: &Log) -> Counts {
        let results = |r: &str| log.migrations.iter().filter(|m| m.result == r).count();
        Counts {
            migrations: log.migrations.len(),
            completed: results("completed"),
            failed: results("failed"),
            refused: results("refused"),
            faults: log.faults,
            recoveries: log.recoveries,
            violations: log.violations.len(),
        }
    }
}

/// Prints the timeline and the summary, writes the report to `path`, and
/// fails if any invariant was broken.
pub(super) fn finish(
    scenario: &str,
    seed: u64,
    schedule: &[Step],
    log: Log,
    path: &Path,
) -> anyhow::Result<()> {
    let counts = Counts::of(&log);
    println!("\ntimeline:");
    for e in &log.timeline {
        println!("{e}");
    }
    for v in &log.violations {
        println!(
            "VIOLATION at {:.2}s: {}: {}",
            v.t_ms as f64 / 1000.0,
            v.invariant,
            v.detail
        );
    }
    println!(
        "\n{}: migrations {} (completed {}, failed then recovered {}, refused {}), faults {}, recoveries {}, violations {}",
        scenario,
        counts.migrations,
        counts.completed,
        counts.failed,
        counts.refused,
        counts.faults,
        counts.recoveries,
        counts.violations
    );
    let violations = counts.violations;
    let r = Report {
        scenario,
        seed,
        schedule,
        counts,
        timeline: log.timeline,
        migrations: log.migrations,
        violations: log.violations,
    };
    std::fs::write(path, serde_json::to_vec_pretty(&r)?)?;
    println!("report: {}", path.display());
    if violations > 0 {
        anyhow::bail!("{violations} invariant violations");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(result: &str) -> Migration {
        Migration {
            lpar: "a".into(),
            from: "sys1".into(),
            to: "sys2".into(),
            result: result.into(),
            secs: 1.0,
            detail: String::new(),
        }
    }

    #[test]
    fn counts_sort_migrations_by_result() {
        let log = Log {
            migrations: ["completed", "failed", "completed", "refused"]
                .map(migration)
                .to_vec(),
            faults: 3,
            ..Default::default()
        };
        let c = Counts::of(&log);
        assert_eq!(
            (c.migrations, c.completed, c.failed, c.refused, c.faults),
            (4, 2, 1, 1, 3)
        );
    }
}
