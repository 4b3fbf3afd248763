//! The Kotlin layer's values (options, per-call options, a linked account to send) as the
//! core's `HostValue`, which every rule of `refold_session::host` reads. `HostValue.kt` writes
//! them with its one converter into the byte form below; this module only reads it back. A
//! byte form rather than a recursive uniffi type: text that is not valid Unicode crosses as
//! its own tag (uniffi's string encoder would throw), and Kotlin needs no generated classes.
//!
//! ```text
//! value: u8 tag, then
//!   0 missing · 1 null · 2 bool (u8) · 3 number (f64) · 4 integer (i128, 16 bytes)
//!   5 text (str) · 6 not unicode · 7 list (u32 n, n values) · 8 map (u32 n, n key/value pairs)
//!   9 duration (f64 seconds) · 10 other (str: the type's name) · 11 too deep
//! str: u32 byte length · UTF-8 bytes        (big-endian throughout, as java.nio writes)
//! ```

use refold_session::Error;
use refold_session::host::{HostValue, MAX_DEPTH};

use crate::error::FfiError;

/// The deepest nesting the Kotlin converter descends into (below it, it writes "too deep").
#[uniffi::export]
pub fn host_max_depth() -> u32 {
    u32::try_from(MAX_DEPTH).unwrap_or(u32::MAX)
}

/// Reads `bytes` (then wiped: they may hold a secret). A malformed form is a bug of the
/// Kotlin layer: `internal`.
pub(crate) fn read(mut bytes: Vec<u8>) -> Result<HostValue, FfiError> {
    let value = Reader {
        bytes: &bytes,
        at: 0,
    }
    .whole();
    bytes.fill(0);
    std::hint::black_box(&bytes);
    value.ok_or_else(|| Error::internal("the Kotlin layer sent a malformed host value").into())
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn whole(mut self) -> Option<HostValue> {
        let value = self.value(0)?;
        (self.at == self.bytes.len()).then_some(value)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn count(&mut self) -> Option<usize> {
        usize::try_from(u32::from_be_bytes(self.array()?)).ok()
    }

    fn text(&mut self) -> Option<String> {
        let len = self.count()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    fn value(&mut self, depth: usize) -> Option<HostValue> {
        // The converter stops at MAX_DEPTH + 1; anything deeper is not its output.
        if depth > MAX_DEPTH + 1 {
            return None;
        }
        let [tag] = self.array()?;
        Some(match tag {
            0 => HostValue::Missing,
            1 => HostValue::Null,
            2 => HostValue::Bool(self.array::<1>()?[0] != 0),
            3 => HostValue::Number(f64::from_be_bytes(self.array()?)),
            4 => HostValue::Integer(i128::from_be_bytes(self.array()?)),
            5 => HostValue::Text(self.text()?),
            6 => HostValue::NotUnicode,
            7 => {
                let n = self.count()?;
                // Each item takes at least one byte: no count beyond the bytes left sizes anything.
                let mut items = Vec::with_capacity(n.min(self.bytes.len() - self.at));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                HostValue::List(items)
            }
            8 => {
                let n = self.count()?;
                let mut members = Vec::with_capacity(n.min(self.bytes.len() - self.at));
                for _ in 0..n {
                    let key = self.value(depth + 1)?;
                    members.push((key, self.value(depth + 1)?));
                }
                HostValue::Map(members)
            }
            9 => HostValue::Duration(f64::from_be_bytes(self.array()?)),
            10 => HostValue::Other(self.text()?),
            11 => HostValue::TooDeep,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &mut Vec<u8>, tag: u8, text: &str) {
        bytes.push(tag);
        bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
        bytes.extend_from_slice(text.as_bytes());
    }

    #[test]
    fn every_tag_reads_back() {
        let mut bytes = vec![8, 0, 0, 0, 3];
        text(&mut bytes, 5, "timeout");
        bytes.push(9);
        bytes.extend_from_slice(&(-1.5f64).to_be_bytes());
        text(&mut bytes, 5, "list");
        bytes.extend_from_slice(&[7, 0, 0, 0, 5, 0, 1, 2, 1, 6, 11]);
        bytes.push(4);
        bytes.extend_from_slice(&(-7i128).to_be_bytes());
        text(&mut bytes, 10, "java.util.Date");
        let value = read(bytes).unwrap();
        assert_eq!(
            value,
            HostValue::Map(vec![
                (HostValue::text("timeout"), HostValue::Duration(-1.5)),
                (
                    HostValue::text("list"),
                    HostValue::List(vec![
                        HostValue::Missing,
                        HostValue::Null,
                        HostValue::Bool(true),
                        HostValue::NotUnicode,
                        HostValue::TooDeep,
                    ])
                ),
                (
                    HostValue::Integer(-7),
                    HostValue::Other("java.util.Date".into())
                ),
            ])
        );
    }

    #[test]
    fn malformed_forms_are_internal_errors_never_panics() {
        for bytes in [
            vec![],
            vec![42],
            vec![5, 0, 0, 0, 9, b'a'],
            vec![7, 255, 255, 255, 255],
            vec![1, 1],
            vec![5, 0, 0, 0, 1, 0xff],
        ] {
            assert_eq!(read(bytes).unwrap_err().info().code, "internal");
        }
        let deep = vec![vec![7u8, 0, 0, 0, 1]; 100].concat();
        assert!(read(deep).is_err());
    }
}
