//! The pre-copy stop rule: after each pass, another pass or suspend now.
//! It is a pure function of the passes so far and the migration's limits,
//! so the rule can be read, and tested, apart from the streams that feed it.
//!
//! Every pass while the partition runs costs no downtime, but a partition
//! that dirties memory as fast as the link sends it never converges; the
//! rule suspends as soon as the rest can go within the downtime budget, or
//! once more passes stop paying (the dirty set no longer shrinks), and at
//! the latest at the pass limit or the copy phase's timeout.

use super::PAGE;
use pvmlab_common::proto::mover::MigrateRequest;
use std::time::Duration;

/// What the HMC allows this migration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The longest the partition may be stopped.
    pub max_downtime: Duration,
    pub max_passes: u32,
    /// Of the copy phase, from the migration's start: then suspend anyway.
    pub timeout: Duration,
}

impl Limits {
    /// A zero in the request would mean "suspend at once" or "never pass";
    /// the smallest meaningful value stands for it instead.
    pub fn of(r: &MigrateRequest) -> Limits {
        Limits {
            max_downtime: Duration::from_millis(r.max_downtime_ms.max(1)),
            max_passes: r.max_passes.max(1),
            timeout: Duration::from_millis(r.timeout_ms.max(1)),
        }
    }
}

/// What the source knew when a pass ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassEnd {
    /// Pages the partition dirtied while the pass was sent.
    pub dirty: u64,
    /// Bytes sent since the migration started.
    pub sent_bytes: u64,
    /// Since the migration started.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    AnotherPass,
    Suspend(Why),
}

/// Why the copy phase ends; for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Nothing is dirty: nothing but the processor state is left.
    Clean,
    /// The rest goes within the downtime budget at the rate seen so far.
    Fits,
    /// The last pass left as many dirty pages as the one before or more:
    /// the partition dirties memory as fast as it is sent.
    NotFalling,
    PassLimit,
    Timeout,
}

/// The rate at which the source has sent, in bytes a second, measured from
/// the migration's start (connection set-up included, as a real link pays it).
pub fn rate(sent_bytes: u64, elapsed: Duration) -> f64 {
    sent_bytes as f64 / elapsed.as_secs_f64().max(1e-6)
}

/// Another pass, or suspend now, after the passes so far (oldest first;
/// the last one has just ended). No pass yet means one is needed.
pub fn next(limits: &Limits, passes: &[PassEnd]) -> Decision {
    let Some(last) = passes.last() else {
        return Decision::AnotherPass;
    };
    let before = passes
        .len()
        .checked_sub(2)
        .map_or(u64::MAX, |i| passes[i].dirty);
    let fits = (last.dirty * PAGE) as f64
        <= rate(last.sent_bytes, last.elapsed) * limits.max_downtime.as_secs_f64();
    let why = if last.dirty == 0 {
        Why::Clean
    } else if fits {
        Why::Fits
    } else if last.dirty >= before {
        Why::NotFalling
    } else if passes.len() >= limits.max_passes as usize {
        Why::PassLimit
    } else if last.elapsed >= limits.timeout {
        Why::Timeout
    } else {
        return Decision::AnotherPass;
    };
    Decision::Suspend(why)
}

/// How many of the `remaining` pages go after the suspend but before the
/// resume: as many as the rate seen so far sends in a quarter of the
/// budget. The rest follow the resume, the ones the partition touches
/// first; the quarter keeps the resume message's own wait in the budget.
pub fn before_resume(
    limits: &Limits,
    sent_bytes: u64,
    elapsed: Duration,
    remaining: usize,
) -> usize {
    let bytes = rate(sent_bytes, elapsed) * limits.max_downtime.as_secs_f64() / 4.0;
    ((bytes as u64 / PAGE) as usize).min(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn limits() -> Limits {
        Limits {
            max_downtime: 20 * MS,
            max_passes: 30,
            timeout: Duration::from_secs(600),
        }
    }

    /// A pass that ends at `ms` with `dirty` pages, the link having sent
    /// 1 GB/s so far (1 MB a millisecond: 20 MB, some 4,880 pages, fit
    /// the 20 ms budget).
    fn pass(dirty: u64, ms: u64) -> PassEnd {
        PassEnd {
            dirty,
            sent_bytes: ms * 1_000_000,
            elapsed: Duration::from_millis(ms),
        }
    }

    #[test]
    fn the_first_pass_is_always_taken() {
        assert_eq!(next(&limits(), &[]), Decision::AnotherPass);
    }

    #[test]
    fn nothing_dirty_suspends() {
        assert_eq!(
            next(&limits(), &[pass(0, 100)]),
            Decision::Suspend(Why::Clean)
        );
        // Even with nothing sent at all (an empty partition).
        let empty = PassEnd {
            dirty: 0,
            sent_bytes: 0,
            elapsed: Duration::ZERO,
        };
        assert_eq!(next(&limits(), &[empty]), Decision::Suspend(Why::Clean));
    }

    #[test]
    fn a_rest_that_fits_the_budget_suspends() {
        // 20 MB in 20 ms at 1 GB/s: 4,882 pages fit, 4,883 do not.
        let fit = 20_000_000 / PAGE;
        assert_eq!(
            next(&limits(), &[pass(fit, 1000)]),
            Decision::Suspend(Why::Fits)
        );
        assert_eq!(
            next(&limits(), &[pass(fit + 1, 1000)]),
            Decision::AnotherPass
        );
    }

    #[test]
    fn the_budget_scales_the_rule() {
        let big = Limits {
            max_downtime: 200 * MS,
            ..limits()
        };
        assert_eq!(
            next(&big, &[pass(40_000, 1000)]),
            Decision::Suspend(Why::Fits)
        );
        assert_eq!(
            next(&limits(), &[pass(40_000, 1000)]),
            Decision::AnotherPass
        );
    }

    #[test]
    fn falling_dirty_pages_earn_another_pass() {
        let passes = [pass(100_000, 1000), pass(50_000, 1500), pass(20_000, 1700)];
        assert_eq!(next(&limits(), &passes), Decision::AnotherPass);
    }

    #[test]
    fn dirty_pages_that_stop_falling_suspend() {
        let same = [pass(100_000, 1000), pass(100_000, 1500)];
        assert_eq!(next(&limits(), &same), Decision::Suspend(Why::NotFalling));
        let more = [pass(100_000, 1000), pass(120_000, 1500)];
        assert_eq!(next(&limits(), &more), Decision::Suspend(Why::NotFalling));
        // Only the last two passes count.
        let rising_then_falling = [pass(10_000, 1000), pass(90_000, 1500), pass(80_000, 2000)];
        assert_eq!(next(&limits(), &rising_then_falling), Decision::AnotherPass);
    }

    #[test]
    fn the_pass_limit_suspends() {
        let few = Limits {
            max_passes: 3,
            ..limits()
        };
        let two = [pass(100_000, 1000), pass(90_000, 1100)];
        assert_eq!(next(&few, &two), Decision::AnotherPass);
        let three = [two[0], two[1], pass(80_000, 1200)];
        assert_eq!(next(&few, &three), Decision::Suspend(Why::PassLimit));
    }

    #[test]
    fn a_limit_of_one_pass_suspends_after_it() {
        let one = Limits {
            max_passes: 1,
            ..limits()
        };
        assert_eq!(
            next(&one, &[pass(100_000, 1000)]),
            Decision::Suspend(Why::PassLimit)
        );
    }

    #[test]
    fn the_timeout_suspends() {
        let short = Limits {
            timeout: Duration::from_secs(2),
            ..limits()
        };
        let early = [pass(100_000, 1000), pass(90_000, 1999)];
        assert_eq!(next(&short, &early), Decision::AnotherPass);
        let late = [pass(100_000, 1000), pass(90_000, 2000)];
        assert_eq!(next(&short, &late), Decision::Suspend(Why::Timeout));
    }

    #[test]
    fn the_first_reason_wins() {
        // Clean, and past every limit: reported as clean.
        let tight = Limits {
            max_passes: 1,
            timeout: MS,
            ..limits()
        };
        assert_eq!(
            next(&tight, &[pass(0, 5000)]),
            Decision::Suspend(Why::Clean)
        );
        assert_eq!(
            next(&tight, &[pass(100_000, 5000)]),
            Decision::Suspend(Why::PassLimit)
        );
    }

    #[test]
    fn nothing_sent_yet_fits_nothing() {
        let idle = PassEnd {
            dirty: 1,
            sent_bytes: 0,
            elapsed: Duration::ZERO,
        };
        assert_eq!(next(&limits(), &[idle]), Decision::AnotherPass);
    }

    #[test]
    fn zeros_in_the_request_mean_the_least() {
        let r = MigrateRequest::default();
        assert_eq!(
            Limits::of(&r),
            Limits {
                max_downtime: MS,
                max_passes: 1,
                timeout: MS,
            }
        );
        let r = MigrateRequest {
            max_downtime_ms: 20,
            max_passes: 30,
            timeout_ms: 600_000,
            ..Default::default()
        };
        assert_eq!(Limits::of(&r), limits());
    }

    #[test]
    fn a_quarter_of_the_budget_goes_before_the_resume() {
        // 1 GB/s for a quarter of 20 ms: 5 MB, 1,220 pages.
        let l = limits();
        let secs = Duration::from_secs(1);
        assert_eq!(before_resume(&l, 1_000_000_000, secs, 100_000), 1220);
        // Never more than is left.
        assert_eq!(before_resume(&l, 1_000_000_000, secs, 7), 7);
        assert_eq!(before_resume(&l, 0, Duration::ZERO, 100), 0);
    }

    #[test]
    fn the_rate_survives_no_time() {
        assert_eq!(rate(0, Duration::ZERO), 0.0);
        assert_eq!(rate(2_000_000, Duration::from_secs(2)), 1_000_000.0);
        assert!(rate(1, Duration::ZERO).is_finite());
    }
}
