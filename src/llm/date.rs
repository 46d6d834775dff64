//! A calendar date (UTC), just enough for price effective dates.
//!
//! A tiny type instead of `time` or `chrono`: prices only need "which entry applies on this
//! day", which is an ordered `(year, month, day)` plus today's date from the system clock.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A proleptic Gregorian date, years 1..=9999. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: u16,
    month: u8,
    day: u8,
}

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {0:?}: expected YYYY-MM-DD (e.g. 2025-06-01)")]
#[non_exhaustive]
pub struct DateParseError(pub String);

impl Date {
    /// The date, if it exists (e.g. `2024-02-29` does, `2023-02-29` does not).
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year == 0 || year > 9999 || month == 0 || month > 12 || day == 0 {
            return None;
        }
        if day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The UTC date of `time`; times before 1970-01-01 give 1970-01-01.
    pub fn from_system_time(time: SystemTime) -> Date {
        let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Date::from_unix_days((secs / 86_400) as i64)
    }

    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> Date {
        Date::from_system_time(SystemTime::now())
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`), clamped to
    /// years 1..=9999.
    fn from_unix_days(days: i64) -> Date {
        let z = days.clamp(-719_162, 2_932_896) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = DateParseError;

    /// Parses exactly `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Date, DateParseError> {
        let err = || DateParseError(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, DateParseError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y, m as u8, d as u8).ok_or_else(err)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_validates_and_orders() {
        let d: Date = "2024-02-29".parse().unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2024, 2, 29));
        assert_eq!(d.to_string(), "2024-02-29");
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "24-01-01", "2024-1-01", "2024/01/01"]
        {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!(Date::new(2024, 10, 2).unwrap() > Date::new(2024, 9, 30).unwrap());
        assert!(Date::new(2025, 1, 1).unwrap() > Date::new(2024, 12, 31).unwrap());
    }

    #[test]
    fn converts_system_time_in_utc() {
        let at = |secs: u64| Date::from_system_time(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0).to_string(), "1970-01-01");
        assert_eq!(at(951_782_400).to_string(), "2000-02-29"); // 2000-02-29T00:00:00Z
        assert_eq!(at(1_727_827_199).to_string(), "2024-10-01"); // 23:59:59Z
        assert_eq!(at(1_727_827_200).to_string(), "2024-10-02");
    }
}
