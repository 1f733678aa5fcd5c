//! Which samples a listing asks for: the kind (`-s h|d|m|s`), the time
//! window (`--startyear` … `--endminute`, or `-d`/`-h`/`--minutes` back
//! from now) and the sample rates `chlparutil` takes. All pure; times are
//! the HMC's clock, UTC, as its listings print them.

/// The sample rates (seconds) the HMC collects at; 0 stops sampling.
pub const RATES: &[u32] = &[0, 30, 60, 300, 1800, 3600, 7200, 14400];

/// A new HMC samples every five minutes.
pub const DEFAULT_RATE: u32 = 300;

/// `chlparutil -s`: a rate the HMC collects at.
pub fn parse_rate(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|r| RATES.contains(r))
        .ok_or_else(|| {
            let valid: Vec<String> = RATES.iter().map(u32::to_string).collect();
            crate::commands::opts::not_one_of(
                "-s",
                v,
                &valid.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
}

/// The samples a listing shows: those at the configured rate, or the
/// hourly, daily (midnight) or monthly (the 1st, midnight) ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Rate,
    Hourly,
    Daily,
    Monthly,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Rate, Kind::Hourly, Kind::Daily, Kind::Monthly];

    pub fn parse(v: &str) -> Result<Kind, String> {
        crate::commands::opts::one_of(
            "-s",
            v,
            &[
                ("s", Kind::Rate),
                ("h", Kind::Hourly),
                ("d", Kind::Daily),
                ("m", Kind::Monthly),
            ],
            "Valid values are h, d, m, s.",
        )
    }

    /// The period this kind is collected on, as an index that changes once
    /// per period: a sample is due when the index moved on since the last.
    pub fn period(self, t: i64, rate: u32) -> Option<i64> {
        match self {
            Kind::Rate if rate == 0 => None,
            Kind::Rate => Some(t.div_euclid(i64::from(rate))),
            Kind::Hourly => Some(t.div_euclid(3600)),
            Kind::Daily => Some(t.div_euclid(86_400)),
            Kind::Monthly => {
                let c = pvmlab_common::clock::Civil::at(t);
                Some(c.year * 12 + c.month)
            }
        }
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's
/// days-from-civil), the inverse of `Civil::at`.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn secs_of(y: i64, mo: i64, d: i64, h: i64, mi: i64) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60
}

/// A point of the window as given: each part that was left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Point {
    pub year: Option<i64>,
    pub month: Option<i64>,
    pub day: Option<i64>,
    pub hour: Option<i64>,
    pub minute: Option<i64>,
}

impl Point {
    pub fn given(&self) -> bool {
        self.year.is_some()
            || self.month.is_some()
            || self.day.is_some()
            || self.hour.is_some()
            || self.minute.is_some()
    }
}

/// The time window of a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: Point,
    pub end: Point,
    /// `-d`, `-h`, `--minutes`, added up: that far back from now.
    pub back_secs: Option<i64>,
}

/// One part of a point, checked against its range.
pub fn part(name: &str, v: Option<&str>, lo: i64, hi: i64) -> Result<Option<i64>, String> {
    v.map(|v| {
        v.parse::<i64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| crate::commands::opts::invalid_value(name, v, ""))
    })
    .transpose()
}

impl Window {
    /// `[start, end]` in seconds at `now`. A start left out is the
    /// beginning of what the HMC keeps; an end left out is now. Parts of a
    /// point that are left out are the earliest (start) or the current
    /// (end) ones.
    pub fn bounds(&self, now: i64) -> (i64, i64) {
        let c = pvmlab_common::clock::Civil::at(now);
        let start = match self.back_secs {
            Some(b) => now - b,
            None if self.start.given() => {
                let p = self.start;
                secs_of(
                    p.year.unwrap_or(c.year),
                    p.month.unwrap_or(1),
                    p.day.unwrap_or(1),
                    p.hour.unwrap_or(0),
                    p.minute.unwrap_or(0),
                )
            }
            None => i64::MIN,
        };
        let end = if self.end.given() {
            let p = self.end;
            // The end's minute is included whole.
            secs_of(
                p.year.unwrap_or(c.year),
                p.month.unwrap_or(c.month),
                p.day.unwrap_or(c.day),
                p.hour.unwrap_or(c.hour),
                p.minute.unwrap_or(c.minute),
            ) + 59
        } else {
            i64::MAX
        };
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_the_hmcs() {
        assert_eq!(parse_rate("30"), Ok(30));
        assert_eq!(parse_rate("0"), Ok(0));
        assert_eq!(
            parse_rate("45"),
            Err("An invalid value was entered for the -s parameter: 45. Valid values are 0, 30, 60, 300, 1800, 3600, 7200, 14400.".into())
        );
        assert!(parse_rate("x").is_err());
        assert_eq!(Kind::parse("h"), Ok(Kind::Hourly));
        assert!(Kind::parse("w").is_err());
    }

    #[test]
    fn periods_turn_over_on_their_boundaries() {
        let t = secs_of(2026, 3, 31, 23, 59) + 30;
        assert_eq!(Kind::Rate.period(t, 0), None);
        assert_ne!(Kind::Rate.period(t, 30), Kind::Rate.period(t + 30, 30));
        assert_eq!(Kind::Hourly.period(t, 30), Kind::Hourly.period(t + 29, 30));
        assert_ne!(Kind::Daily.period(t, 30), Kind::Daily.period(t + 30, 30));
        assert_ne!(
            Kind::Monthly.period(t, 30),
            Kind::Monthly.period(t + 30, 30)
        );
        assert_eq!(
            Kind::Monthly.period(t + 30, 30),
            Kind::Monthly.period(t + 86_400, 30)
        );
    }

    #[test]
    fn civil_dates_round_trip() {
        for t in [0, 951_782_400, 1_175_178_840, 1_800_000_000] {
            let c = pvmlab_common::clock::Civil::at(t);
            assert_eq!(
                secs_of(c.year, c.month, c.day, c.hour, c.minute) + c.second,
                t
            );
        }
    }

    #[test]
    fn windows_fill_in_what_was_left_out() {
        let now = secs_of(2026, 12, 2, 10, 30);
        assert_eq!(Window::default().bounds(now), (i64::MIN, i64::MAX));
        let back = Window {
            back_secs: Some(3600),
            ..Default::default()
        };
        assert_eq!(back.bounds(now).0, now - 3600);
        let w = Window {
            start: Point {
                year: Some(2026),
                month: Some(12),
                day: Some(2),
                hour: Some(9),
                ..Default::default()
            },
            end: Point {
                hour: Some(10),
                minute: Some(0),
                ..Default::default()
            },
            back_secs: None,
        };
        assert_eq!(
            w.bounds(now),
            (secs_of(2026, 12, 2, 9, 0), secs_of(2026, 12, 2, 10, 0) + 59)
        );
        assert_eq!(
            part("--startmonth", Some("13"), 1, 12).err().as_deref(),
            Some("An invalid value was entered for the --startmonth parameter: 13.")
        );
        assert_eq!(part("--startmonth", Some("2"), 1, 12), Ok(Some(2)));
    }
}
