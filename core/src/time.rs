//! Time: instants read from the wire or shown as text (docs/contract.md §Session token), the
//! wall clock in milliseconds.
//!
//! A time claim is only believed from 1970-01-01T00:00:00Z to [`LATEST_UNIX_SECONDS`]
//! (9999-12-30T00:00:00Z), a range every host's date type holds even after the 24-hour
//! lifetime is added; anything outside counts as absent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::Span;
use jiff::civil::{self, Date};
use jiff::fmt::temporal::Pieces;

/// The latest instant a token's claim may name, in Unix seconds: 9999-12-30T00:00:00Z, so
/// that adding the 24-hour lifetime still stays within year 9999.
pub const LATEST_UNIX_SECONDS: u64 = 253_402_128_000;
/// Longest RFC 3339 text read: Refold's own are 24 characters.
const MAX_RFC3339_CHARS: usize = 40;
/// The last second of year 9999, the end of the calendar.
const LAST_SECOND_OF_9999: u64 = 253_402_300_799;
const SECONDS_PER_DAY: u64 = 86_400;
const EPOCH: Date = civil::date(1970, 1, 1);

/// A JWT NumericDate (seconds since the epoch, possibly fractional), if it is in range.
pub(crate) fn from_unix_seconds(seconds: f64) -> Option<SystemTime> {
    if !(0.0..=LATEST_UNIX_SECONDS as f64).contains(&seconds) {
        return None; // also rejects NaN
    }
    UNIX_EPOCH.checked_add(Duration::from_secs_f64(seconds))
}

/// `time` as RFC 3339 in UTC with whole seconds, e.g. `2026-11-25T20:08:19Z`: the one text
/// form every language prints (CLI `--json`, Python `to_dict()`, Node `toJSON`). Instants
/// before 1970 print as 1970-01-01T00:00:00Z and after year 9999 as 9999-12-31T23:59:59Z
/// (a token never holds either).
pub fn format_rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
        .min(LAST_SECOND_OF_9999);
    let days = (seconds / SECONDS_PER_DAY) as i64;
    let date = Span::new()
        .try_days(days)
        .and_then(|days| EPOCH.checked_add(days))
        .unwrap_or(Date::MAX);
    let rest = seconds % SECONDS_PER_DAY;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Reads an RFC 3339 / ISO 8601 instant as Refold writes them (`2023-01-20T16:09:41.700Z`,
/// or with a `+HH:MM` offset). A date the calendar does not have (2023-02-31), anything else,
/// or an instant outside 1970..=9999 is `None`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    if text.len() > MAX_RFC3339_CHARS || !text.is_ascii() {
        return None;
    }
    // The calendar's checks are jiff's; an instant needs a time and a numeric offset.
    let pieces = Pieces::parse(text).ok()?;
    let time = pieces.time()?;
    let offset = pieces.to_numeric_offset()?;
    let days = i64::from(pieces.date().since(EPOCH).ok()?.get_days());
    let seconds = days * SECONDS_PER_DAY as i64
        + i64::from(time.hour()) * 3600
        + i64::from(time.minute()) * 60
        + i64::from(time.second())
        - i64::from(offset.seconds());
    let seconds = u64::try_from(seconds)
        .ok()
        .filter(|seconds| *seconds <= LATEST_UNIX_SECONDS + 2 * SECONDS_PER_DAY)?;
    let nanos = u32::try_from(time.subsec_nanosecond()).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// Milliseconds since the epoch now (0 for a clock set before 1970).
pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
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
        assert_eq!(
            format_rfc3339(latest + Duration::from_secs(86_400 * 400)),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            format_rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn parses_what_it_formats_and_refolds_forms() {
        for seconds in [0, 951_782_400, 1_900_000_000, LATEST_UNIX_SECONDS] {
            let time = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(parse_rfc3339(&format_rfc3339(time)), Some(time));
        }
        assert_eq!(
            parse_rfc3339("2023-01-20T16:09:41.700Z"),
            Some(UNIX_EPOCH + Duration::from_millis(1_674_230_981_700))
        );
        assert_eq!(
            parse_rfc3339("2023-01-20T18:09:41+02:00"),
            parse_rfc3339("2023-01-20T16:09:41Z")
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_709_164_800))
        );
        for bad in [
            "",
            "2023-01-20",
            "2023-13-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2023-01-20T16:09:41",
            "x023-01-20T16:09:41Z",
            "2023-01-20T16:09:41.Z",
            "2023-01-20T24:00:00Z",
            "2023-01-20T16:09:41.700Z and more text after the instant",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_the_calendar_does_not_have_are_absent() {
        for impossible in [
            "2023-02-31T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-04-31T12:00:00Z",
            "2100-02-29T00:00:00Z",
            "2023-01-00T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(impossible), None, "{impossible}");
        }
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
