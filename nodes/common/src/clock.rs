//! The wall clock as dates, for the outputs that print one (lssyscfg's
//! sys_time, errlog's timestamps). UTC: the lab has no time zones.

/// A moment split into its calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Civil {
    pub fn now() -> Civil {
        Civil::at(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        )
    }

    /// Seconds since 1970-01-01 UTC (Howard Hinnant's civil-from-days).
    pub fn at(secs: i64) -> Civil {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Civil {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_calendars() {
        let c = Civil::at(1_175_178_840); // 2007-03-29 14:34:00
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2007, 3, 29, 14, 34, 0)
        );
        assert_eq!(Civil::at(951_782_400).day, 29, "2000-02-29");
    }
}
