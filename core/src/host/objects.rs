//! Options holding a host's own objects (`HOST_OBJECT_OPTIONS`: Node's `signal` and `logger`),
//! which the host checks itself: the wording of one that holds something else.

use crate::error::{Error, ErrorCode};
use crate::options::{Dialect, HOST_OBJECT_OPTIONS, wrong_type};
use crate::redact::clean_line;

/// The problem of the host-object option `name` of `dialect` holding something else:
/// `received` is the host's name for the type it holds (its options object word, e.g. Node's
/// `object`, for an object of the wrong shape). A client option is `configuration`, a call's
/// `invalid_input` (nothing is sent). `None` for a name the table does not declare.
pub fn host_object_error(name: &str, received: &str, dialect: &Dialect) -> Option<Error> {
    let option = HOST_OBJECT_OPTIONS
        .iter()
        .find(|option| option.dialect == dialect.name && option.name == name)?;
    let code = if option.table == "client" {
        ErrorCode::Configuration
    } else {
        ErrorCode::InvalidInput
    };
    Some(if received == dialect.words.map {
        // An object, but not the one asked for: its type says nothing more.
        Error::new(
            code,
            format!("{} must be {}.", clean_line(name, 60), option.expects),
        )
        .with_wrong_type()
    } else {
        wrong_type(code, name, option.expects, received)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_each_declared_option_with_its_code() {
        let signal = host_object_error("signal", "string", &Dialect::NODE).unwrap();
        assert_eq!(signal.code(), ErrorCode::InvalidInput);
        assert_eq!(
            signal.message(),
            "signal must be an AbortSignal, not string."
        );
        let logger = host_object_error("logger", "object", &Dialect::NODE).unwrap();
        assert_eq!(logger.code(), ErrorCode::Configuration);
        assert_eq!(
            logger.message(),
            "logger must be an object with debug, info, warn and error methods (console, pino, \
             winston)."
        );
        assert!(
            host_object_error("logger", "number", &Dialect::NODE)
                .unwrap()
                .message()
                .ends_with("winston), not number.")
        );
    }

    #[test]
    fn an_undeclared_name_or_dialect_is_none() {
        assert!(host_object_error("signal", "string", &Dialect::PYTHON).is_none());
        assert!(host_object_error("timeout", "string", &Dialect::NODE).is_none());
    }

    #[test]
    fn every_declared_option_is_of_a_known_dialect_and_table() {
        for option in HOST_OBJECT_OPTIONS {
            assert!(
                Dialect::ALL
                    .iter()
                    .any(|dialect| dialect.name == option.dialect)
            );
            assert!(["client", "request"].contains(&option.table), "{option:?}");
            assert!(!option.expects.ends_with('.'), "{option:?}");
        }
    }
}
