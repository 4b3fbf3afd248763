//! Checks made before anything is sent: the linked account id and other call arguments
//! (`invalid_input`, docs/contract.md §Errors).

use crate::error::Error;
use crate::redact::clean_line;

/// The longest linked account id accepted, in UTF-8 bytes.
pub const MAX_LINKED_ACCOUNT_ID_BYTES: usize = 1024;
/// The longest session token accepted as an argument (Refold's are about 250 bytes).
pub const MAX_SESSION_TOKEN_BYTES: usize = 16 * 1024;

/// Fails with `invalid_input` for a session token argument that cannot be one: empty, too
/// long, or with characters a header cannot carry. The token is never quoted.
pub fn validate_session_token(token: &str) -> Result<(), Error> {
    if token.trim().is_empty() {
        return Err(Error::invalid_input(
            "The session token is empty; pass the token a mint returned.",
        ));
    }
    if token.len() > MAX_SESSION_TOKEN_BYTES {
        return Err(Error::invalid_input(format!(
            "The session token is {} bytes long; at most {MAX_SESSION_TOKEN_BYTES} are accepted.",
            token.len()
        )));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(
            "The session token holds spaces or characters a header cannot carry; pass it \
             exactly as minted.",
        ));
    }
    Ok(())
}

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
#[doc(hidden)]
#[deprecated(note = "a shim until the bindings move onto `refold_session::host::json`")]
pub fn field_not_unicode(field: &str) -> Error {
    field_not_unicode_error(field)
}

pub(crate) fn field_not_unicode_error(field: &str) -> Error {
    Error::invalid_input(format!(
        "{} is not valid Unicode text (it holds a lone surrogate); pass it as UTF-8 text.",
        clean_line(field, 60)
    ))
}

/// The `invalid_input` error for an argument of a type the call cannot send (e.g. a date or
/// NaN inside `udf`), for dynamically typed hosts; the value itself is never shown.
#[doc(hidden)]
#[deprecated(note = "a shim until the bindings move onto `refold_session::host::json`")]
pub fn field_type_error(field: &str, expected: &str, received: &str) -> Error {
    field_type_error_of(field, expected, received)
}

/// `field` must be `expected`, not `received` (`invalid_input`).
pub(crate) fn field_type_error_of(field: &str, expected: &str, received: &str) -> Error {
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
        let err = field_not_unicode_error("udf.phone");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.message().starts_with("udf.phone is not valid Unicode"));
        let err = field_type_error_of("udf.born", "a string, number, boolean or null", "a Date");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert_eq!(
            err.message(),
            "udf.born must be a string, number, boolean or null, not a Date."
        );
    }

    #[test]
    fn session_tokens_are_checked_without_being_quoted() {
        validate_session_token("eyJhbGciOiJIUzI1NiJ9.e30.c2ln").unwrap();
        for bad in [
            String::new(),
            "  ".to_owned(),
            "eyJ SECRET".to_owned(),
            "eyJ\nSECRET".to_owned(),
            "é".to_owned(),
            "x".repeat(MAX_SESSION_TOKEN_BYTES + 1),
        ] {
            let err = validate_session_token(&bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidInput);
            assert!(!err.message().contains("SECRET"));
        }
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
    }
}
