//! When to wait and for how long between attempts (docs/contract.md §Retries).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// First backoff delay; each further retry doubles it.
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Backoff never grows past this.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A server-requested wait longer than this is ignored in favour of our own backoff.
pub const MAX_HONOURED_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Exponential backoff before retry number `retry` (1 for the first retry), with jitter
/// that takes off up to a quarter so that clients which failed together spread out.
pub fn backoff(retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(16);
    let full = INITIAL_BACKOFF
        .saturating_mul(1u32 << exponent)
        .min(MAX_BACKOFF);
    full.mul_f64(1.0 - 0.25 * fastrand::f64())
}

/// The wait the server asked for: `retry-after-ms`, else `Retry-After` as seconds or an
/// HTTP date (relative to `now`). Unparseable or negative values count as absent.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(millis) = header("retry-after-ms").and_then(non_negative_number) {
        return Some(Duration::from_secs_f64(millis / 1000.0));
    }
    let value = header("retry-after")?;
    if let Some(seconds) = non_negative_number(value) {
        return Some(Duration::from_secs_f64(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn non_negative_number(text: &str) -> Option<f64> {
    let value: f64 = text.parse().ok()?;
    // Bounded so Duration::from_secs_f64 cannot panic on absurd inputs.
    (value.is_finite() && (0.0..1e12).contains(&value)).then_some(value)
}

/// The server's explicit verdict from `x-should-retry`, which overrides our own rule.
pub fn should_retry_override(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        value if value.eq_ignore_ascii_case("true") => Some(true),
        value if value.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The delay before retry number `retry`: the server's wish when it is reasonable,
/// else our backoff.
pub fn delay_before_retry(retry: u32, server_wish: Option<Duration>) -> Duration {
    match server_wish {
        Some(wish) if wish <= MAX_HONOURED_RETRY_AFTER => wish,
        _ => backoff(retry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        for _ in 0..200 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(375) && first <= Duration::from_millis(500));
            let third = backoff(3);
            assert!(third >= Duration::from_millis(1500) && third <= Duration::from_secs(2));
            let late = backoff(30);
            assert!(late >= Duration::from_secs(6) && late <= MAX_BACKOFF);
        }
    }

    #[test]
    fn retry_after_reads_ms_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")]), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")]), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")]), now),
            Some(Duration::from_millis(1500))
        );
        let in_ten = httpdate::fmt_http_date(now + Duration::from_secs(10));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &in_ten)]), now),
            Some(Duration::from_secs(10))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        // retry-after-ms wins over Retry-After.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "5"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn retry_after_ignores_garbage() {
        let now = SystemTime::now();
        for value in ["soon", "-1", "NaN", "inf", "1e300", ""] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", value)]), now),
                None,
                "{value}"
            );
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn long_server_waits_fall_back_to_backoff() {
        assert_eq!(
            delay_before_retry(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert!(delay_before_retry(1, Some(Duration::from_secs(61))) <= Duration::from_millis(500));
        assert!(delay_before_retry(1, None) <= Duration::from_millis(500));
    }

    #[test]
    fn should_retry_header_parses_both_ways() {
        assert_eq!(
            should_retry_override(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry_override(&headers(&[("x-should-retry", "FALSE")])),
            Some(false)
        );
        assert_eq!(
            should_retry_override(&headers(&[("x-should-retry", "maybe")])),
            None
        );
    }
}
