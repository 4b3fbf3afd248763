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

/// Reads an RFC 3339 / ISO 8601 instant as Refold writes them (`2023-01-20T16:09:41.700Z`,
/// or with a `+HH:MM` offset). Anything else, or outside 1970..=9999, is `None`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.len() > 40 || !text.is_ascii() {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    if bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    let seconds = u64::try_from(seconds)
        .ok()
        .filter(|s| *s <= LATEST_UNIX_SECONDS + 2 * 86_400)?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        for bad in [
            "",
            "2023-01-20",
            "2023-13-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2023-01-20T16:09:41",
            "x023-01-20T16:09:41Z",
            "2023-01-20T16:09:41.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
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
