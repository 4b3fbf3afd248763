//! Checks made before anything is sent: the linked account id and other call arguments
//! (`invalid_input`, docs/contract.md §Errors), and the numbers and durations of options
//! (`configuration`, docs/contract.md §Options).

use std::time::Duration;

use crate::error::Error;
use crate::redact::clean_line;
use crate::time::HostDuration;

/// Longest duration any option accepts (about 31 years): beyond it the number is surely a
/// mistake.
const MAX_DURATION_SECONDS: f64 = 1e9;

/// The longest linked account id accepted, in UTF-8 bytes.
pub const MAX_LINKED_ACCOUNT_ID_BYTES: usize = 1024;

/// Fails with `invalid_input` for an id Refold could never accept.
pub fn validate_linked_account_id(id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::invalid_input(
            "linked_account_id is empty; pass the id of the end-user's linked account.",
        ));
    }
    if id.trim().is_empty() {
        return Err(Error::invalid_input(
            "linked_account_id is only whitespace; pass the id of the end-user's linked account.",
        ));
    }
    if id.len() > MAX_LINKED_ACCOUNT_ID_BYTES {
        return Err(Error::invalid_input(format!(
            "linked_account_id is {} bytes long; at most {MAX_LINKED_ACCOUNT_ID_BYTES} are accepted.",
            id.len()
        )));
    }
    if let Some(position) = id.chars().position(char::is_control) {
        return Err(Error::invalid_input(format!(
            "linked_account_id contains a control character at position {position}; \
             ids are printable text."
        )));
    }
    Ok(())
}

/// The `invalid_input` error for a linked account id that is not a string at all, for
/// dynamically typed hosts; `received` names what was passed (e.g. `number`, `null`).
pub fn linked_account_id_type_error(received: &str) -> Error {
    Error::invalid_input(format!(
        "linked_account_id must be a string, not {}; pass the id of the end-user's linked account.",
        clean_line(received, 40)
    ))
}

/// The `invalid_input` error for an id that is not valid Unicode text (a lone UTF-16
/// surrogate from a JavaScript, Python or JVM string): it is never replaced and sent.
pub fn linked_account_id_not_unicode() -> Error {
    Error::invalid_input(
        "linked_account_id is not valid Unicode text (it holds a lone surrogate); pass the id \
         exactly as your system stores it.",
    )
}

/// The `invalid_input` error for another text argument (a linked account's `name`, a `udf`
/// key or value, `your_app` fields) that is not valid Unicode; `field` names it as the host
/// spells it.
pub fn field_not_unicode(field: &str) -> Error {
    Error::invalid_input(format!(
        "{} is not valid Unicode text (it holds a lone surrogate); pass it as UTF-8 text.",
        clean_line(field, 60)
    ))
}

/// The `invalid_input` error for an argument of a type the call cannot send (e.g. a date or
/// NaN inside `udf`), for dynamically typed hosts; the value itself is never shown.
pub fn field_type_error(field: &str, expected: &str, received: &str) -> Error {
    Error::invalid_input(format!(
        "{} must be {}, not {}.",
        clean_line(field, 60),
        clean_line(expected, 80),
        clean_line(received, 40)
    ))
}

/// `value` as a whole number in `0..=max`.
pub(crate) fn whole_number(value: f64, max: usize) -> Option<usize> {
    (value.fract() == 0.0 && (0.0..=max as f64).contains(&value)).then_some(value as usize)
}

/// A count option as the host gave it: `default` when unset, else a whole number from `min` to
/// `max`, or the configuration error naming it as `what`.
pub(crate) fn whole_count(
    value: Option<f64>,
    default: usize,
    min: usize,
    max: usize,
    what: &str,
) -> Result<usize, Error> {
    match value {
        None => Ok(default),
        Some(count) => whole_number(count, max)
            .filter(|count| *count >= min)
            .ok_or_else(|| {
                Error::configuration(format!(
                    "{what} must be a whole number from {min} to {max}, not {count}."
                ))
            }),
    }
}

/// A length of time as the host gave it, or why it is unusable: `what` names it in the
/// message, which speaks the host's unit. `max_seconds` is an option's own bound (named in the
/// message); every duration is below [`MAX_DURATION_SECONDS`] too.
pub(crate) fn checked_duration(
    what: &str,
    value: HostDuration,
    allow_zero: bool,
    max_seconds: Option<f64>,
) -> Result<Duration, Error> {
    let (number, per_second, unit) = match value {
        HostDuration::Duration(duration) => (duration.as_secs_f64(), 1.0, "seconds"),
        HostDuration::Seconds(seconds) => (seconds, 1.0, "seconds"),
        HostDuration::Milliseconds(millis) => (millis, 1000.0, "milliseconds"),
    };
    let seconds = number / per_second;
    let bound = max_seconds.map_or(MAX_DURATION_SECONDS, |max| max.min(MAX_DURATION_SECONDS));
    let in_range =
        seconds.is_finite() && (seconds > 0.0 || (allow_zero && seconds == 0.0)) && seconds < bound;
    if in_range {
        return Ok(Duration::from_secs_f64(seconds));
    }
    let kind = if allow_zero {
        "non-negative"
    } else {
        "positive"
    };
    let limit = match max_seconds {
        Some(max) => format!(" below {} {unit}", max * per_second),
        None => String::new(),
    };
    Err(Error::configuration(format!(
        "{what} must be a {kind} number of {unit}{limit}, not {number}."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn rejects_what_refold_could_never_accept() {
        let too_long = "a".repeat(MAX_LINKED_ACCOUNT_ID_BYTES + 1);
        let multibyte_too_long = "é".repeat(513); // 1026 bytes, 513 characters
        for bad in [
            "",
            " ",
            "\t\n ",
            "a\0b",
            "a\nb",
            "\u{7f}",
            "x\u{85}",
            &too_long,
            &multibyte_too_long,
        ] {
            let err = validate_linked_account_id(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad:?}");
            assert_eq!(err.attempts(), 0);
        }
    }

    #[test]
    fn other_fields_are_worded_by_the_core_too() {
        let err = field_not_unicode("udf.phone");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.message().starts_with("udf.phone is not valid Unicode"));
        let err = field_type_error("udf.born", "a string, number, boolean or null", "a Date");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert_eq!(
            err.message(),
            "udf.born must be a string, number, boolean or null, not a Date."
        );
    }

    #[test]
    fn wrong_type_is_invalid_input() {
        let err = linked_account_id_type_error("number");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(
            err.message().contains("must be a string, not number"),
            "{}",
            err.message()
        );
        assert_eq!(err.attempts(), 0);
    }

    #[test]
    fn accepts_ordinary_and_unusual_but_printable_ids() {
        let longest = "a".repeat(MAX_LINKED_ACCOUNT_ID_BYTES);
        for good in [
            "u1",
            " padded ",
            "quote\"back\\slash",
            "日本語",
            "emoji🙂",
            &longest,
        ] {
            validate_linked_account_id(good).unwrap();
        }
    }

    #[test]
    fn whole_numbers_within_bounds() {
        assert_eq!(whole_number(0.0, 10), Some(0));
        assert_eq!(whole_number(10.0, 10), Some(10));
        for bad in [-1.0, 1.5, 11.0, f64::NAN, f64::INFINITY] {
            assert_eq!(whole_number(bad, 10), None, "{bad}");
        }
        let err = whole_count(Some(0.0), 5, 1, 10, "max things").unwrap_err();
        assert_eq!(
            err.message(),
            "max things must be a whole number from 1 to 10, not 0."
        );
        assert_eq!(whole_count(None, 5, 1, 10, "max things").unwrap(), 5);
    }

    #[test]
    fn durations_are_worded_in_the_hosts_unit_and_bounded() {
        let err = checked_duration(
            "The wait",
            HostDuration::Milliseconds(90_000.0),
            false,
            Some(60.0),
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "The wait must be a positive number of milliseconds below 60000 milliseconds, not 90000."
        );
        let err = checked_duration("The wait", HostDuration::Seconds(2e9), true, None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert_eq!(
            checked_duration("The wait", HostDuration::Seconds(0.0), true, None).unwrap(),
            Duration::ZERO
        );
    }
}
