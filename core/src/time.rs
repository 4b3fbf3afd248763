//! Instants read from the wire and instants shown as text (docs/contract.md §Session token).
//!
//! A time claim is only believed from 1970-01-01T00:00:00Z to [`LATEST_UNIX_SECONDS`]
//! (9999-12-30T00:00:00Z), a range every host's date type holds (JavaScript `Date`, Python
//! `datetime`, `java.time.Instant`) even after the 24-hour lifetime is added; anything outside
//! counts as absent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The latest instant a token's claim may name, in Unix seconds: 9999-12-30T00:00:00Z, so
/// that adding the 24-hour lifetime still stays within year 9999.
pub const LATEST_UNIX_SECONDS: u64 = 253_402_128_000;

/// A JWT NumericDate (seconds since the epoch, possibly fractional), if it is in range.
pub(crate) fn from_unix_seconds(seconds: f64) -> Option<SystemTime> {
    if !(0.0..=LATEST_UNIX_SECONDS as f64).contains(&seconds) {
        return None; // also rejects NaN
    }
    UNIX_EPOCH.checked_add(Duration::from_secs_f64(seconds))
}

/// `time` as RFC 3339 in UTC with whole seconds, e.g. `2026-11-25T20:08:19Z`: the one text
/// form every language prints (CLI `--json`, Python `to_dict()`, Node `toJSON`). Instants
/// before 1970 print as 1970-01-01T00:00:00Z (the token never holds one).
pub fn format_rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs()) as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
            "2030-03-17T17:46:40Z"
        );
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_999)),
            "2000-02-29T00:00:00Z"
        );
        let latest = UNIX_EPOCH + Duration::from_secs(LATEST_UNIX_SECONDS);
        assert_eq!(format_rfc3339(latest), "9999-12-30T00:00:00Z");
        assert_eq!(
            format_rfc3339(latest + Duration::from_secs(86_400 * 2 - 1)),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn claims_outside_the_range_are_absent() {
        assert_eq!(from_unix_seconds(0.0), Some(UNIX_EPOCH));
        assert_eq!(
            from_unix_seconds(LATEST_UNIX_SECONDS as f64),
            Some(UNIX_EPOCH + Duration::from_secs(LATEST_UNIX_SECONDS))
        );
        for bad in [
            -1.0,
            LATEST_UNIX_SECONDS as f64 + 1.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
        ] {
            assert_eq!(from_unix_seconds(bad), None, "{bad}");
        }
    }
}
