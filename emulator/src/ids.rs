//! MongoDB-style object ids and timestamps, as Refold's documents carry.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Mints 24-hex-digit ObjectIds: 4 bytes of seconds, 5 random bytes per
/// emulator, a 3-byte counter (starting at random), as MongoDB does.
pub(crate) struct ObjectIds {
    instance: [u8; 5],
    counter: AtomicU32,
}

impl ObjectIds {
    pub(crate) fn new() -> Self {
        // std's hasher keys are random per `RandomState`: enough entropy for
        // ids that only need to differ between emulators.
        let random = RandomState::new().hash_one(std::process::id());
        let bytes = random.to_be_bytes();
        Self {
            instance: [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]],
            counter: AtomicU32::new(u32::from_be_bytes([0, bytes[5], bytes[6], bytes[7]])),
        }
    }

    /// A fresh id for a document created at `unix_millis`.
    pub(crate) fn next(&self, unix_millis: u64) -> String {
        let seconds = (unix_millis / 1000) as u32;
        let count = self.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&seconds.to_be_bytes());
        raw[4..9].copy_from_slice(&self.instance);
        raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        hex(&raw)
    }
}

/// The 24-hex `associated_org` for an org id: the id itself when it already
/// is one, otherwise the first 12 bytes of its SHA-256 (stable per org id).
pub(crate) fn org_object_id(org_id: &str) -> String {
    if is_object_id(org_id) {
        return org_id.to_owned();
    }
    hex(&Sha256::digest(org_id.as_bytes())[..12])
}

pub(crate) fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `2023-01-20T16:09:41.700Z`: ISO 8601 in UTC with milliseconds, as
/// JavaScript's `Date.prototype.toISOString` writes it (years 0–9999).
pub(crate) fn iso_millis(unix_millis: u64) -> String {
    let millis = unix_millis % 1000;
    let seconds = unix_millis / 1000;
    let (days, day_seconds) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        day_seconds / 3600,
        day_seconds / 60 % 60,
        day_seconds % 60
    )
}

/// Year, month, day of the `days`-th day after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative day counts).
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_match_javascript() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_674_230_981_700), "2023-01-20T16:09:41.700Z");
        // A leap day and the end of a leap year.
        assert_eq!(iso_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_millis(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
    }

    #[test]
    fn object_ids_are_24_hex_unique_and_start_with_the_time() {
        let ids = ObjectIds::new();
        let a = ids.next(1_674_230_981_700);
        let b = ids.next(1_674_230_981_700);
        assert!(is_object_id(&a) && is_object_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(&a[..8], format!("{:08x}", 1_674_230_981u32));
        assert_eq!(a[8..18], b[8..18]);
    }

    #[test]
    fn org_ids_become_object_ids() {
        assert_eq!(
            org_object_id("63cabc1f2e8f1b0012345678"),
            "63cabc1f2e8f1b0012345678"
        );
        let derived = org_object_id("emulator-org");
        assert!(is_object_id(&derived));
        assert_eq!(derived, org_object_id("emulator-org"));
        assert_ne!(derived, org_object_id("other-org"));
    }
}
