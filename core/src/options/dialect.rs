//! How each host spells option names, expresses lengths of time and names types, and the one
//! wording of every problem with an option or argument (docs/contract.md §Options, §8): a
//! message names the option as the host spells it, in the host's unit, and never shows a
//! text value.

use std::time::Duration;

use crate::error::{Error, ErrorCode};
use crate::redact::clean_line;

/// How a host writes option names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// `max_retries` (Rust, Python).
    Snake,
    /// `maxRetries` (Node, Kotlin, Java).
    Camel,
    /// `--max-retries` (the CLI's flags).
    Flag,
}

/// The unit a host gives lengths of time in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// A number of milliseconds; the option's name ends in `Ms` (Node: `timeoutMs`).
    Milliseconds,
    /// A number of seconds, fractions allowed (Python, the CLI).
    Seconds,
    /// The host's own duration type (Rust `Duration`, `java.time.Duration`); messages speak
    /// seconds.
    Duration,
}

impl DurationUnit {
    fn per_second(self) -> f64 {
        match self {
            DurationUnit::Milliseconds => 1000.0,
            DurationUnit::Seconds | DurationUnit::Duration => 1.0,
        }
    }

    fn word(self) -> &'static str {
        match self {
            DurationUnit::Milliseconds => "milliseconds",
            DurationUnit::Seconds | DurationUnit::Duration => "seconds",
        }
    }
}

/// Option names a table does not know: ignored, or refused naming them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownNames {
    Ignore,
    Refuse,
}

/// How a host names types, in "`x` must be a string, not number."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeWords {
    /// Names of what was received, by kind of value.
    pub null: &'static str,
    pub boolean: &'static str,
    pub integer: &'static str,
    pub number: &'static str,
    pub text: &'static str,
    pub list: &'static str,
    pub map: &'static str,
    pub duration: &'static str,
    /// What an option of each kind must be.
    pub expect_text: &'static str,
    pub expect_bool: &'static str,
    pub expect_count: &'static str,
    pub expect_duration: &'static str,
    pub expect_text_list: &'static str,
    /// An options object (`{record}` stands for the record's name, e.g. `CacheOptions`).
    pub expect_map: &'static str,
    /// A nested table that `true` also turns on with its defaults.
    pub expect_table: &'static str,
    /// A value JSON can carry.
    pub expect_json: &'static str,
}

/// How one host spells and types what it passes to the core: Node, Python, Kotlin, the CLI or
/// Rust itself. Bindings pass one of the constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// `rust`, `node`, `python`, `kotlin` or `cli`.
    pub name: &'static str,
    pub case: Case,
    pub durations: DurationUnit,
    /// Whether a count may arrive as a floating-point number (JavaScript has no integers);
    /// otherwise only integers are counts.
    pub fractional_counts: bool,
    /// Whether a whole floating-point number becomes a JSON integer (`JSON.stringify` writes
    /// `1.0` as `1`; Python's `json` keeps `1.0`).
    pub whole_numbers_as_integers: bool,
    /// What an option name outside the table does.
    pub unknown_names: UnknownNames,
    pub words: TypeWords,
    /// Where the host reads an operation's answer as plain JSON: named when a typed answer
    /// does not fit its model ([`crate::api::answer_shape_error`]).
    pub raw_call: &'static str,
}

impl Dialect {
    /// Rust's own spelling (`ClientOptions`' fields).
    pub const RUST: Dialect = Dialect {
        name: "rust",
        case: Case::Snake,
        durations: DurationUnit::Duration,
        fractional_counts: false,
        whole_numbers_as_integers: false,
        unknown_names: UnknownNames::Refuse,
        words: TypeWords {
            null: "None",
            boolean: "a bool",
            integer: "an integer",
            number: "a float",
            text: "a string",
            list: "a list",
            map: "a map",
            duration: "a Duration",
            expect_text: "a string",
            expect_bool: "a bool",
            expect_count: "an integer",
            expect_duration: "a Duration",
            expect_text_list: "a list of strings",
            expect_map: "a map",
            expect_table: "a bool or a {record}",
            expect_json: "a JSON value",
        },
        raw_call: "Client::call",
    };

    /// JavaScript: camelCase, milliseconds (`timeoutMs`), `typeof` names.
    pub const NODE: Dialect = Dialect {
        name: "node",
        case: Case::Camel,
        durations: DurationUnit::Milliseconds,
        fractional_counts: true,
        whole_numbers_as_integers: true,
        unknown_names: UnknownNames::Ignore,
        words: TypeWords {
            null: "null",
            boolean: "boolean",
            integer: "number",
            number: "number",
            text: "string",
            list: "array",
            map: "object",
            duration: "object",
            expect_text: "a string",
            expect_bool: "a boolean",
            expect_count: "a number",
            expect_duration: "a number",
            expect_text_list: "an array of strings",
            expect_map: "an object",
            expect_table: "a boolean or an object",
            expect_json: "a string, number, boolean, null, object or array",
        },
        raw_call: "client.call",
    };

    /// Python: snake_case, seconds (`int` or `float`, or a `timedelta`), type names.
    pub const PYTHON: Dialect = Dialect {
        name: "python",
        case: Case::Snake,
        durations: DurationUnit::Seconds,
        fractional_counts: false,
        whole_numbers_as_integers: false,
        unknown_names: UnknownNames::Refuse,
        words: TypeWords {
            null: "NoneType",
            boolean: "bool",
            integer: "int",
            number: "float",
            text: "str",
            list: "list",
            map: "dict",
            duration: "timedelta",
            expect_text: "a str",
            expect_bool: "a bool",
            expect_count: "an int",
            expect_duration: "a number of seconds (int or float) or a timedelta",
            expect_text_list: "a list of str",
            expect_map: "a dict",
            expect_table: "a bool, a {record} or a dict",
            expect_json: "a str, int, float, bool, None, dict or list",
        },
        raw_call: "client.call",
    };

    /// Kotlin and Java: camelCase, `java.time.Duration`.
    pub const KOTLIN: Dialect = Dialect {
        name: "kotlin",
        case: Case::Camel,
        durations: DurationUnit::Duration,
        fractional_counts: false,
        whole_numbers_as_integers: false,
        unknown_names: UnknownNames::Refuse,
        words: TypeWords {
            null: "null",
            boolean: "a Boolean",
            integer: "an integer",
            number: "a floating-point number",
            text: "a String",
            list: "a List",
            map: "a Map",
            duration: "a java.time.Duration",
            expect_text: "a String",
            expect_bool: "a Boolean",
            expect_count: "an Int",
            expect_duration: "a java.time.Duration",
            expect_text_list: "a List of String",
            expect_map: "a Map with String keys",
            expect_table: "a {record}",
            expect_json: "a String, a number, a Boolean, null, a Map with String keys or a List",
        },
        raw_call: "api.raw (or client.call)",
    };

    /// The `refold` command line: `--kebab-case` flags, seconds.
    pub const CLI: Dialect = Dialect {
        name: "cli",
        case: Case::Flag,
        durations: DurationUnit::Seconds,
        fractional_counts: true,
        whole_numbers_as_integers: false,
        unknown_names: UnknownNames::Refuse,
        words: TypeWords {
            null: "nothing",
            boolean: "a flag",
            integer: "a number",
            number: "a number",
            text: "text",
            list: "a list",
            map: "a map",
            duration: "a duration",
            expect_text: "text",
            expect_bool: "a flag",
            expect_count: "a number",
            expect_duration: "a number of seconds",
            expect_text_list: "a list",
            expect_map: "a map",
            expect_table: "a map",
            expect_json: "JSON",
        },
        raw_call: "refold api",
    };

    /// Every dialect, for `describe()`.
    pub const ALL: [Dialect; 5] = [
        Dialect::RUST,
        Dialect::NODE,
        Dialect::PYTHON,
        Dialect::KOTLIN,
        Dialect::CLI,
    ];

    /// The option at canonical `path` (`cache.min_remaining`) as this host spells it
    /// (`cache.minRemainingMs` in Node); `duration` adds Node's `Ms`.
    pub fn spell(&self, path: &str, duration: bool) -> String {
        let mut parts: Vec<String> = path.split('.').map(|part| self.word(part)).collect();
        if duration && self.durations == DurationUnit::Milliseconds {
            if let Some(last) = parts.last_mut() {
                last.push_str("Ms");
            }
        }
        let joined = parts.join(".");
        match self.case {
            Case::Flag => format!("--{joined}"),
            _ => joined,
        }
    }

    /// One snake_case word in this host's case.
    fn word(&self, snake: &str) -> String {
        match self.case {
            Case::Snake => snake.to_owned(),
            Case::Flag => snake.replace('_', "-"),
            Case::Camel => {
                let mut out = String::with_capacity(snake.len());
                let mut upper = false;
                for ch in snake.chars() {
                    if ch == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(ch.to_uppercase());
                        upper = false;
                    } else {
                        out.push(ch);
                    }
                }
                out
            }
        }
    }

    /// `{record}` of a table expectation filled in.
    pub(crate) fn expect_table(&self, record: &str) -> String {
        self.words.expect_table.replace("{record}", record)
    }

    /// A length of time given in this host's unit, as a `Duration`, or the problem with it:
    /// `name` as the host spells it, `allow_zero`, and the option's own upper bound.
    pub(crate) fn duration(
        &self,
        name: &str,
        number: f64,
        allow_zero: bool,
        max_seconds: f64,
        code: ErrorCode,
    ) -> Result<Duration, Error> {
        let unit = self.durations;
        let seconds = number / unit.per_second();
        if seconds.is_finite()
            && (seconds > 0.0 || (allow_zero && seconds == 0.0))
            && seconds < max_seconds
        {
            return Ok(Duration::from_secs_f64(seconds));
        }
        let kind = if allow_zero {
            "non-negative"
        } else {
            "positive"
        };
        Err(Error::new(
            code,
            format!(
                "{} must be a {kind} number of {} below {} {}, not {}.",
                clean_line(name, 60),
                unit.word(),
                max_seconds * unit.per_second(),
                unit.word(),
                show_number(number)
            ),
        ))
    }

    /// A count (a whole number from `min` to `max`), or the problem with it.
    pub(crate) fn count(
        &self,
        name: &str,
        number: f64,
        min: u64,
        max: u64,
        code: ErrorCode,
    ) -> Result<u64, Error> {
        if number.fract() == 0.0 && number >= min as f64 && number <= max as f64 {
            return Ok(number as u64);
        }
        Err(Error::new(
            code,
            format!(
                "{} must be a whole number from {min} to {max}, not {}.",
                clean_line(name, 60),
                show_number(number)
            ),
        ))
    }
}

/// The problem of a value of the wrong type: `name` must be `expected`, not `received`. The
/// value itself is never shown.
pub(crate) fn wrong_type(code: ErrorCode, name: &str, expected: &str, received: &str) -> Error {
    Error::new(
        code,
        format!(
            "{} must be {}, not {}.",
            clean_line(name, 60),
            clean_line(expected, 100),
            clean_line(received, 60)
        ),
    )
    .with_wrong_type()
}

/// The problem of text that does not encode to UTF-8 (a lone UTF-16 surrogate).
pub(crate) fn not_unicode(code: ErrorCode, name: &str) -> Error {
    Error::new(
        code,
        format!(
            "{} is not valid Unicode text (it holds a lone surrogate or bytes that are not \
             UTF-8); pass the value exactly as issued.",
            clean_line(name, 60)
        ),
    )
}

/// A number as the host would print it: JavaScript's and Java's names for the non-finite
/// ones, Rust's shortest form otherwise, in exponent form when that would be long.
pub(crate) fn show_number(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number == f64::INFINITY {
        "Infinity".to_owned()
    } else if number == f64::NEG_INFINITY {
        "-Infinity".to_owned()
    } else {
        let plain = number.to_string();
        if plain.len() <= 24 {
            plain
        } else {
            format!("{number:e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_host() {
        assert_eq!(
            Dialect::NODE.spell("cache.min_remaining", true),
            "cache.minRemainingMs"
        );
        assert_eq!(Dialect::NODE.spell("max_retries", false), "maxRetries");
        assert_eq!(
            Dialect::PYTHON.spell("cache.store.timeout", true),
            "cache.store.timeout"
        );
        assert_eq!(
            Dialect::KOTLIN.spell("cache.store.redis_url", false),
            "cache.store.redisUrl"
        );
        assert_eq!(Dialect::CLI.spell("max_retries", false), "--max-retries");
        assert_eq!(Dialect::RUST.spell("timeout", true), "timeout");
    }

    #[test]
    fn durations_speak_the_hosts_unit() {
        let err = Dialect::NODE
            .duration("timeoutMs", -5.0, false, 1e9, ErrorCode::Configuration)
            .unwrap_err();
        assert_eq!(
            err.message(),
            "timeoutMs must be a positive number of milliseconds below 1000000000000 \
             milliseconds, not -5."
        );
        let err = Dialect::PYTHON
            .duration("timeout", f64::NAN, true, 60.0, ErrorCode::Configuration)
            .unwrap_err();
        assert_eq!(
            err.message(),
            "timeout must be a non-negative number of seconds below 60 seconds, not NaN."
        );
        assert_eq!(
            Dialect::NODE
                .duration("t", 250.0, false, 1e9, ErrorCode::Configuration)
                .unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            Dialect::PYTHON
                .duration("t", 0.0, true, 1.0, ErrorCode::Configuration)
                .unwrap(),
            Duration::ZERO
        );
    }

    #[test]
    fn counts_are_whole_and_bounded() {
        assert_eq!(
            Dialect::NODE
                .count("maxRetries", 100.0, 0, 100, ErrorCode::Configuration)
                .unwrap(),
            100
        );
        for bad in [-1.0, 1.5, 101.0, f64::NAN, f64::INFINITY] {
            let err = Dialect::NODE
                .count("maxRetries", bad, 0, 100, ErrorCode::Configuration)
                .unwrap_err();
            assert!(
                err.message()
                    .starts_with("maxRetries must be a whole number from 0 to 100, not "),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn numbers_are_shown_short() {
        assert_eq!(show_number(-5.0), "-5");
        assert_eq!(show_number(1.5), "1.5");
        assert_eq!(show_number(1e300), "1e300");
        assert_eq!(show_number(-8.4e-300), "-8.4e-300");
        assert_eq!(show_number(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn wrong_types_name_both_types_and_never_the_value() {
        let err = wrong_type(ErrorCode::Configuration, "apiKey", "a string", "number");
        assert_eq!(err.message(), "apiKey must be a string, not number.");
        assert!(err.is_wrong_type());
        let err = not_unicode(ErrorCode::InvalidInput, "udf.born");
        assert!(
            err.message()
                .starts_with("udf.born is not valid Unicode text")
        );
        assert!(!err.is_wrong_type());
    }
}
