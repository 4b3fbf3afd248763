//! Checks on the linked account id, made before anything is sent
//! (docs/contract.md §Errors, `invalid_input`).

use crate::error::Error;

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
        crate::redact::clean_line(received, 40)
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
        crate::redact::clean_line(field, 60)
    ))
}

/// The `invalid_input` error for an argument of a type the call cannot send (e.g. a date or
/// NaN inside `udf`), for dynamically typed hosts; the value itself is never shown.
pub fn field_type_error(field: &str, expected: &str, received: &str) -> Error {
    Error::invalid_input(format!(
        "{} must be {}, not {}.",
        crate::redact::clean_line(field, 60),
        crate::redact::clean_line(expected, 80),
        crate::redact::clean_line(received, 40)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

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
}
