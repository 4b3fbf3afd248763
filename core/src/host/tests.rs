//! Every host rule, per dialect: ported from the bindings' own tests (Node's api, cache, store
//! and accounts tests, Python's input tests, Kotlin's accounts tests) so the bindings can
//! delete theirs when they move onto `core::host`.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::environment::Environment;
use crate::error::ErrorCode;
use crate::options::{CacheOptions, RequestOptions, StoreOptions};
use crate::secret::Secret;

fn text(value: &str) -> HostValue {
    HostValue::text(value)
}

fn node(members: Vec<(&str, HostValue)>) -> Result<ClientOptions, Error> {
    client_options(&HostValue::map(members), &Dialect::NODE)
}

fn python(members: Vec<(&str, HostValue)>) -> Result<ClientOptions, Error> {
    client_options(&HostValue::map(members), &Dialect::PYTHON)
}

fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
    result.expect_err("a problem").message().to_owned()
}

#[test]
fn node_reads_every_option_by_its_name_and_unit() {
    let options = node(vec![
        ("apiKey", text("sk_node")),
        ("environment", text("Sandbox")),
        ("baseUrl", text("http://127.0.0.1:1")),
        ("timeoutMs", HostValue::Number(250.0)),
        ("maxRetries", HostValue::Number(3.0)),
        ("maxIdleConnections", HostValue::Number(0.0)),
        ("maxConnections", HostValue::Number(8.0)),
        (
            "cache",
            HostValue::map(vec![
                ("maxEntries", HostValue::Number(10.0)),
                ("minRemainingMs", HostValue::Number(2000.0)),
                ("refreshAheadMs", HostValue::Number(4000.0)),
                (
                    "store",
                    HostValue::map(vec![
                        ("redisUrl", text("redis://127.0.0.1:1")),
                        ("encryptionKey", text("a2V5")),
                        ("keyPrefix", text("p:")),
                        ("timeoutMs", HostValue::Number(100.0)),
                    ]),
                ),
            ]),
        ),
        ("unknownOption", HostValue::Bool(true)),
    ])
    .unwrap();
    assert_eq!(options.api_key, Some(Secret::new("sk_node")));
    assert_eq!(options.environment, Some(Environment::Sandbox));
    assert_eq!(options.timeout, Some(Duration::from_millis(250)));
    assert_eq!(
        (
            options.max_retries,
            options.max_idle_connections,
            options.max_connections
        ),
        (Some(3), Some(0), Some(8))
    );
    let cache = options.cache.unwrap();
    assert_eq!(cache.max_entries, Some(10));
    assert_eq!(cache.min_remaining, Some(Duration::from_secs(2)));
    assert_eq!(cache.refresh_ahead, Some(Duration::from_secs(4)));
    let store = cache.store.unwrap();
    assert_eq!(store.encryption_keys, vec![Secret::new("a2V5")]);
    assert_eq!(store.timeout, Some(Duration::from_millis(100)));
    assert_eq!(store.key_prefix.as_deref(), Some("p:"));
}

#[test]
fn absent_means_unset_and_true_means_the_defaults() {
    assert_eq!(
        client_options(&HostValue::Missing, &Dialect::NODE).unwrap(),
        ClientOptions::default()
    );
    let options = node(vec![
        ("apiKey", HostValue::Null),
        ("timeoutMs", HostValue::Missing),
        ("cache", HostValue::Bool(true)),
    ])
    .unwrap();
    assert_eq!(options.api_key, None);
    assert_eq!(options.cache, Some(CacheOptions::default()));
    let off = node(vec![("cache", HostValue::Bool(false))]).unwrap();
    assert_eq!(off.cache, None);
    let store = node(vec![(
        "cache",
        HostValue::map(vec![("store", HostValue::Bool(true))]),
    )])
    .unwrap();
    assert_eq!(store.cache.unwrap().store, Some(StoreOptions::default()));
}

#[test]
fn node_aliases_are_the_official_sdks() {
    let options = node(vec![
        ("server_url", text("https://proxy.example")),
        ("sandbox", HostValue::Bool(true)),
    ])
    .unwrap();
    assert_eq!(options.base_url.as_deref(), Some("https://proxy.example"));
    assert_eq!(options.environment, Some(Environment::Sandbox));
    // The option itself wins; `sandbox` other than true is ignored, as today.
    let options = node(vec![
        ("baseUrl", text("https://a.example")),
        ("server_url", text("https://b.example")),
        ("environment", text("staging")),
        ("sandbox", HostValue::Bool(true)),
    ])
    .unwrap();
    assert_eq!(options.base_url.as_deref(), Some("https://a.example"));
    assert_eq!(options.environment, Some(Environment::Staging));
    assert_eq!(
        node(vec![("sandbox", text("yes"))]).unwrap().environment,
        None
    );
    // An alias is named as the user wrote it.
    assert_eq!(
        message(node(vec![("server_url", HostValue::Number(5.0))])),
        "server_url must be a string, not number."
    );
    // Python has no aliases: refused as unknown.
    assert!(message(python(vec![("server_url", text("x"))])).contains("server_url"));
}

#[test]
fn wrong_types_are_named_the_hosts_way_and_never_show_the_value() {
    let cases: Vec<(Vec<(&str, HostValue)>, &str)> = vec![
        (
            vec![("apiKey", HostValue::Number(12345.0))],
            "apiKey must be a string, not number.",
        ),
        (
            vec![("environment", HostValue::Number(3.0))],
            "environment must be a string, not number.",
        ),
        (
            vec![("baseUrl", HostValue::map(Vec::<(&str, HostValue)>::new()))],
            "baseUrl must be a string, not object.",
        ),
        (
            vec![("timeoutMs", text("100"))],
            "timeoutMs must be a number, not string.",
        ),
        (
            vec![("maxRetries", text("2"))],
            "maxRetries must be a number, not string.",
        ),
        (
            vec![("maxIdleConnections", text("4"))],
            "maxIdleConnections must be a number, not string.",
        ),
        (
            vec![("cache", text("yes"))],
            "cache must be a boolean or an object, not string.",
        ),
        (
            vec![("cache", HostValue::List(vec![]))],
            "cache must be a boolean or an object, not array.",
        ),
        (
            vec![("cache", HostValue::map(vec![("maxEntries", text("10"))]))],
            "cache.maxEntries must be a number, not string.",
        ),
        (
            vec![("cache", HostValue::map(vec![("store", text("yes"))]))],
            "cache.store must be a boolean or an object, not string.",
        ),
    ];
    for (members, wanted) in cases {
        let err = node(members).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert!(err.is_wrong_type(), "{wanted}");
    }
    assert_eq!(
        message(client_options(&HostValue::Number(42.0), &Dialect::NODE)),
        "options must be an object, not number."
    );
    let secret = "sk_DISTINCTIVE_7";
    let err = node(vec![("apiKey", HostValue::List(vec![text(secret)]))]).unwrap_err();
    assert!(!err.message().contains(secret));
}

#[test]
fn python_names_its_types_and_wants_ints_for_counts() {
    let cases: Vec<(Vec<(&str, HostValue)>, &str)> = vec![
        (
            vec![("api_key", HostValue::Integer(5))],
            "api_key must be a str, not int.",
        ),
        (
            vec![("max_retries", HostValue::Number(2.0))],
            "max_retries must be an int, not float.",
        ),
        (
            vec![("max_retries", HostValue::Bool(true))],
            "max_retries must be an int, not bool.",
        ),
        (
            vec![("timeout", text("1"))],
            "timeout must be a number of seconds (int or float) or a timedelta, not str.",
        ),
        (
            vec![("cache", text("x"))],
            "cache must be a bool, a CacheOptions or a dict, not str.",
        ),
        (
            vec![(
                "cache",
                HostValue::map(vec![("store", HostValue::Integer(1))]),
            )],
            "cache.store must be a bool, a StoreOptions or a dict, not int.",
        ),
        (
            vec![(
                "cache",
                HostValue::map(vec![("max_entrys", HostValue::Integer(1))]),
            )],
            "cache.max_entrys is not one of the options of CacheOptions (max_entries, \
             min_remaining, refresh_ahead, store).",
        ),
    ];
    for (members, wanted) in cases {
        let err = python(members).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert!(err.is_wrong_type(), "{wanted}: Python raises TypeError");
    }
    let options = python(vec![
        ("timeout", HostValue::Duration(1.5)),
        ("max_retries", HostValue::Integer(0)),
        (
            "cache",
            HostValue::map(vec![
                ("min_remaining", HostValue::Integer(60)),
                (
                    "store",
                    HostValue::map(vec![(
                        "encryption_keys",
                        HostValue::List(vec![text("a"), text("b")]),
                    )]),
                ),
            ]),
        ),
    ])
    .unwrap();
    assert_eq!(options.timeout, Some(Duration::from_millis(1500)));
    let cache = options.cache.unwrap();
    assert_eq!(cache.min_remaining, Some(Duration::from_secs(60)));
    assert_eq!(cache.store.unwrap().encryption_keys.len(), 2);
    // A huge int saturates and is out of range, not a float.
    assert_eq!(
        message(python(vec![("max_retries", HostValue::Integer(i128::MAX))])),
        "max_retries must be a whole number from 0 to 100, not 1.7014118346046923e38."
    );
}

#[test]
fn values_are_checked_in_the_hosts_unit() {
    let cases: Vec<(Vec<(&str, HostValue)>, &str)> = vec![
        (
            vec![("timeoutMs", HostValue::Number(-5.0))],
            "timeoutMs must be a positive number of milliseconds below 1000000000000 milliseconds, not -5.",
        ),
        (
            vec![("timeoutMs", HostValue::Number(f64::NAN))],
            "timeoutMs must be a positive number of milliseconds below 1000000000000 milliseconds, not NaN.",
        ),
        (
            vec![("maxRetries", HostValue::Number(1.5))],
            "maxRetries must be a whole number from 0 to 100, not 1.5.",
        ),
        (
            vec![("maxRetries", HostValue::Number(101.0))],
            "maxRetries must be a whole number from 0 to 100, not 101.",
        ),
        (
            vec![("maxIdleConnections", HostValue::Number(-1.0))],
            "maxIdleConnections must be a whole number from 0 to 10000, not -1.",
        ),
        (
            vec![("maxConnections", HostValue::Number(0.0))],
            "maxConnections must be a whole number from 1 to 10000, not 0.",
        ),
        (
            vec![(
                "cache",
                HostValue::map(vec![("maxEntries", HostValue::Number(0.0))]),
            )],
            "cache.maxEntries must be a whole number from 1 to 10000000, not 0.",
        ),
        (
            vec![(
                "cache",
                HostValue::map(vec![(
                    "minRemainingMs",
                    HostValue::Number(25.0 * 3600.0 * 1000.0),
                )]),
            )],
            "cache.minRemainingMs must be a non-negative number of milliseconds below 86400000 milliseconds, not 90000000.",
        ),
        (
            vec![(
                "cache",
                HostValue::map(vec![
                    ("minRemainingMs", HostValue::Number(5000.0)),
                    ("refreshAheadMs", HostValue::Number(1000.0)),
                ]),
            )],
            "cache.refreshAheadMs must be at least cache.minRemainingMs, or tokens would expire from the cache before a refresh starts.",
        ),
        (
            vec![("environment", text("moon"))],
            "Unknown environment \"moon\"; use production, sandbox or staging.",
        ),
    ];
    for (members, wanted) in cases {
        let err = node(members).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert!(!err.is_wrong_type(), "{wanted}");
    }
    assert_eq!(
        message(python(vec![("timeout", HostValue::Integer(0))])),
        "timeout must be a positive number of seconds below 1000000000 seconds, not 0."
    );
    assert_eq!(
        message(python(vec![("timeout", HostValue::Duration(-1.0))])),
        "timeout must be a positive number of seconds below 1000000000 seconds, not -1."
    );
}

#[test]
fn types_are_reported_before_values_each_first_in_table_order() {
    let err = node(vec![
        ("timeoutMs", HostValue::Number(-5.0)),
        ("maxRetries", text("2")),
        ("maxConnections", text("x")),
    ])
    .unwrap_err();
    assert_eq!(err.message(), "maxRetries must be a number, not string.");
    let err = node(vec![
        ("maxConnections", HostValue::Number(0.0)),
        ("timeoutMs", HostValue::Number(-5.0)),
    ])
    .unwrap_err();
    assert!(err.message().starts_with("timeoutMs"), "{}", err.message());
}

#[test]
fn text_that_is_not_unicode_is_refused_by_name() {
    for (members, name) in [
        (vec![("apiKey", HostValue::NotUnicode)], "apiKey"),
        (vec![("baseUrl", HostValue::NotUnicode)], "baseUrl"),
        (
            vec![(
                "cache",
                HostValue::map(vec![(
                    "store",
                    HostValue::map(vec![("redisUrl", HostValue::NotUnicode)]),
                )]),
            )],
            "cache.store.redisUrl",
        ),
    ] {
        let err = node(members).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert!(
            err.message()
                .starts_with(&format!("{name} is not valid Unicode text")),
            "{}",
            err.message()
        );
    }
}

#[test]
fn encryption_keys_one_or_a_list_not_both() {
    let store = |members: Vec<(&str, HostValue)>| {
        node(vec![(
            "cache",
            HostValue::map(vec![("store", HostValue::map(members))]),
        )])
    };
    assert_eq!(
        message(store(vec![
            ("encryptionKey", text("k")),
            ("encryptionKeys", HostValue::List(vec![text("k")])),
        ])),
        "cache.store.encryptionKey must be absent when encryptionKeys is given, not string."
    );
    assert_eq!(
        message(store(vec![("encryptionKeys", text("k"))])),
        "cache.store.encryptionKeys must be an array of strings, not string."
    );
    assert_eq!(
        message(store(vec![(
            "encryptionKeys",
            HostValue::List(vec![text("k"), HostValue::Number(7.0)])
        )])),
        "cache.store.encryptionKeys[1] must be a string, not number."
    );
    assert_eq!(
        message(store(vec![("timeoutMs", text("250"))])),
        "cache.store.timeoutMs must be a number, not string."
    );
    assert!(
        message(store(vec![(
            "encryptionKeys",
            HostValue::List(vec![HostValue::NotUnicode])
        )]))
        .starts_with("cache.store.encryptionKeys[0] is not valid Unicode")
    );
}

#[test]
fn request_options_are_invalid_input() {
    let read = |value: HostValue| request_options(&value, &Dialect::NODE);
    let options = read(HostValue::map(vec![
        ("timeout", HostValue::Number(500.0)),
        ("maxRetries", HostValue::Number(0.0)),
        ("fresh", HostValue::Bool(true)),
        ("signal", HostValue::Other("AbortSignal".into())),
    ]))
    .unwrap();
    assert_eq!(
        options,
        RequestOptions {
            timeout: Some(Duration::from_millis(500)),
            max_retries: Some(0),
            fresh: true,
            traceparent: None,
        }
    );
    assert_eq!(
        read(HostValue::map(vec![(
            "timeoutMs",
            HostValue::Number(100.0)
        )]))
        .unwrap()
        .timeout,
        Some(Duration::from_millis(100))
    );
    for (value, wanted) in [
        (
            HostValue::map(vec![("fresh", text("yes"))]),
            "fresh must be a boolean, not string.",
        ),
        (text("fresh"), "options must be an object, not string."),
        (
            HostValue::map(vec![("maxRetries", HostValue::Number(-1.0))]),
            "maxRetries must be a whole number from 0 to 100, not -1.",
        ),
    ] {
        let err = read(value).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
    assert_eq!(read(HostValue::Null).unwrap(), RequestOptions::default());
    let python = request_options(
        &HostValue::map(vec![
            ("timeout", HostValue::Number(0.5)),
            ("fresh", HostValue::Bool(false)),
        ]),
        &Dialect::PYTHON,
    )
    .unwrap();
    assert_eq!(python.timeout, Some(Duration::from_millis(500)));
}

#[test]
fn page_arguments_default_and_check() {
    let read = |value: HostValue, dialect: &Dialect| page_arguments(&value, dialect);
    assert_eq!(
        read(HostValue::Missing, &Dialect::NODE).unwrap(),
        PageArguments { page: 1, limit: 10 }
    );
    assert_eq!(
        read(
            HostValue::map(vec![("page", HostValue::Number(3.0))]),
            &Dialect::NODE
        )
        .unwrap(),
        PageArguments { page: 3, limit: 10 }
    );
    for (value, wanted) in [
        (
            HostValue::map(vec![("page", HostValue::Number(0.0))]),
            "page must be a whole number from 1 to 4294967295, not 0.",
        ),
        (
            HostValue::map(vec![("limit", HostValue::Number(101.0))]),
            "limit must be a whole number from 1 to 100, not 101.",
        ),
        (
            HostValue::map(vec![("limit", text("10"))]),
            "limit must be a number, not string.",
        ),
        (
            HostValue::Number(2.0),
            "options must be an object, not number.",
        ),
    ] {
        let err = read(value, &Dialect::NODE).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
    let err = read(
        HostValue::map(vec![("limit", HostValue::Number(10.0))]),
        &Dialect::PYTHON,
    )
    .unwrap_err();
    assert_eq!(err.message(), "limit must be an int, not float.");
    assert!(err.is_wrong_type());
}

#[test]
fn linked_account_ids_are_text() {
    assert_eq!(
        linked_account_id(&text("u1"), &Dialect::NODE).unwrap(),
        "u1"
    );
    let err = linked_account_id(&HostValue::Number(42.0), &Dialect::NODE).unwrap_err();
    assert!(
        err.message()
            .starts_with("linked_account_id must be a string, not number")
    );
    assert!(err.is_wrong_type());
    let err = linked_account_id(&HostValue::Null, &Dialect::PYTHON).unwrap_err();
    assert!(
        err.message()
            .starts_with("linked_account_id must be a string, not NoneType")
    );
    let err = linked_account_id(&HostValue::NotUnicode, &Dialect::KOTLIN).unwrap_err();
    assert!(
        err.message()
            .starts_with("linked_account_id is not valid Unicode")
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(!err.is_wrong_type());
}

#[test]
fn json_rules_one_path_notation_and_one_wording() {
    let value = HostValue::map(vec![
        ("born", HostValue::Integer(1990)),
        (
            "tags",
            HostValue::List(vec![text("a"), HostValue::Missing, HostValue::Null]),
        ),
        ("gone", HostValue::Missing),
        ("ratio", HostValue::Number(1.0)),
    ]);
    assert_eq!(
        json(&value, "udf", &Dialect::NODE).unwrap(),
        json!({"born": 1990, "tags": ["a", null, null], "ratio": 1})
    );
    assert_eq!(
        json(&value, "udf", &Dialect::PYTHON).unwrap(),
        json!({"born": 1990, "tags": ["a", null, null], "ratio": 1.0})
    );
    let deep = HostValue::map(vec![(
        "items",
        HostValue::List(vec![HostValue::map(vec![(
            "name",
            HostValue::Number(f64::INFINITY),
        )])]),
    )]);
    for (dialect, wanted) in [
        (
            &Dialect::NODE,
            "udf.items[0].name must be a finite number, not Infinity.",
        ),
        (
            &Dialect::PYTHON,
            "udf.items[0].name must be a finite number, not Infinity.",
        ),
    ] {
        let err = json(&deep, "udf", dialect).unwrap_err();
        assert_eq!(err.message(), wanted);
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(!err.is_wrong_type());
    }
    let nan = HostValue::map(vec![("n", HostValue::Number(f64::NAN))]);
    assert_eq!(
        message(json(&nan, "udf", &Dialect::KOTLIN)),
        "udf.n must be a finite number, not NaN."
    );
    let date = HostValue::map(vec![("when", HostValue::Other("java.util.Date".into()))]);
    let err = json(&date, "udf", &Dialect::KOTLIN).unwrap_err();
    assert_eq!(
        err.message(),
        "udf.when must be a String, a number, a Boolean, null, a Map with String keys or a List, not java.util.Date."
    );
    assert!(err.is_wrong_type());
    let key = HostValue::Map(vec![(HostValue::Integer(1), text("x"))]);
    assert_eq!(
        message(json(
            &HostValue::map(vec![("m", key)]),
            "udf",
            &Dialect::PYTHON
        )),
        "a key of udf.m must be a str, not int."
    );
    let bad_key = HostValue::Map(vec![(HostValue::NotUnicode, HostValue::Integer(1))]);
    assert!(
        message(json(&bad_key, "udf", &Dialect::NODE))
            .starts_with("a key of udf is not valid Unicode")
    );
    let bad_text = HostValue::map(vec![("phone", HostValue::NotUnicode)]);
    assert!(
        message(json(&bad_text, "udf", &Dialect::PYTHON))
            .starts_with("udf.phone is not valid Unicode")
    );
    assert_eq!(
        message(json(
            &HostValue::Other("bigint".into()),
            "udf",
            &Dialect::NODE
        )),
        "udf must be a string, number, boolean, null, object or array, not bigint."
    );
}

#[test]
fn json_nesting_is_bounded_and_cycles_terminate() {
    let mut value = HostValue::Null;
    for _ in 0..=MAX_DEPTH {
        value = HostValue::List(vec![value]);
    }
    let err = json(&value, "udf", &Dialect::NODE).unwrap_err();
    assert!(
        err.message()
            .contains("must be nested at most 64 levels deep"),
        "{}",
        err.message()
    );
    let mut fits = HostValue::Null;
    for _ in 0..MAX_DEPTH {
        fits = HostValue::List(vec![fits]);
    }
    assert!(json(&fits, "udf", &Dialect::NODE).is_ok());
    // A converter stops at MAX_DEPTH + 1 with TooDeep (a cycle).
    let cycle = HostValue::map(vec![("self", HostValue::TooDeep)]);
    assert!(
        message(json(&cycle, "udf", &Dialect::PYTHON))
            .starts_with("udf.self must be nested at most 64")
    );
    // Integers beyond i64 stay exact within u64, else the nearest float.
    assert_eq!(
        json(&HostValue::Integer(u64::MAX.into()), "n", &Dialect::PYTHON).unwrap(),
        json!(u64::MAX)
    );
}

#[test]
fn linked_account_input_reads_the_official_payload() {
    let payload = HostValue::map(vec![
        ("linked_account_id", text("u1")),
        ("name", text("Mark")),
        (
            "udf",
            HostValue::map(vec![("phone", text("123")), ("vip", HostValue::Bool(true))]),
        ),
        (
            "your_app",
            HostValue::map(vec![
                ("app_id", text("a1")),
                (
                    "auth_credentials",
                    HostValue::map(vec![("token", text("SECRET_CRED_1"))]),
                ),
            ]),
        ),
        ("ignored", HostValue::Missing),
    ]);
    let input = linked_account_input(&payload, &Dialect::NODE).unwrap();
    assert_eq!(input.linked_account_id, "u1");
    assert_eq!(input.udf.unwrap()["vip"], json!(true));
    assert!(!format!("{:?}", input.your_app).contains("SECRET_CRED_1"));
    for (payload, wanted, wrong_type) in [
        (
            text("la-x"),
            "must be an object with a linked_account_id, not a string",
            false,
        ),
        (
            HostValue::map(vec![("linked_account_id", HostValue::Number(5.0))]),
            "linked_account_id must be a string, not number",
            true,
        ),
        (
            HostValue::map(vec![("linked_account_id", HostValue::NotUnicode)]),
            "linked_account_id is not valid Unicode",
            false,
        ),
        (
            HostValue::map(vec![
                ("linked_account_id", text("a")),
                ("name", HostValue::NotUnicode),
            ]),
            "name is not valid Unicode",
            false,
        ),
        (
            HostValue::map(vec![
                ("linked_account_id", text("a")),
                (
                    "udf",
                    HostValue::map(vec![("n", HostValue::Number(f64::INFINITY))]),
                ),
            ]),
            "udf.n must be a finite number",
            false,
        ),
        (
            HostValue::map(vec![
                ("linked_account_id", text("a")),
                ("udf", HostValue::List(vec![text("x")])),
            ]),
            "udf must be an object",
            false,
        ),
        (
            HostValue::map(vec![
                ("linked_account_id", text("a")),
                ("nmae", text("typo")),
            ]),
            "Unknown linked account field \"nmae\"",
            false,
        ),
    ] {
        let err = linked_account_input(&payload, &Dialect::NODE).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(
            err.message().contains(wanted),
            "{} lacks {wanted}",
            err.message()
        );
        assert_eq!(err.is_wrong_type(), wrong_type, "{wanted}");
    }
}

#[test]
fn build_client_words_problems_for_the_host_and_names_it() {
    let host = HostInfo::new(Dialect::NODE, "v20.1.0");
    let options = node(vec![
        ("apiKey", text("sk_host")),
        ("readEnvironmentVariables", HostValue::Bool(false)),
    ])
    .unwrap();
    let client = build_client(options, host.clone()).unwrap();
    assert!(client.user_agent().ends_with("(node v20.1.0)"));
    assert_eq!(
        client.endpoint(),
        "https://app.refold.ai/api/v2/public/session-token"
    );
    let err = build_client(
        ClientOptions {
            read_environment_variables: Some(false),
            ..ClientOptions::default()
        },
        host,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Configuration);
}

#[test]
fn describe_lists_every_option_code_and_record() {
    let described = describe();
    let client = described["options"]["client"].as_array().unwrap();
    assert_eq!(client.len(), CLIENT_OPTIONS.len());
    let timeout = client.iter().find(|row| row["name"] == "timeout").unwrap();
    assert_eq!(timeout["names"]["node"], "timeoutMs");
    assert_eq!(timeout["names"]["python"], "timeout");
    assert_eq!(timeout["names"]["cli"], "--timeout");
    assert_eq!(timeout["kind"], "duration");
    let cache = client.iter().find(|row| row["name"] == "cache").unwrap();
    assert_eq!(cache["rows"][1]["names"]["node"], "minRemainingMs");
    assert_eq!(
        cache["rows"][3]["rows"][1]["one_names"]["node"],
        "encryptionKey"
    );
    let codes: Vec<&str> = described["error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), ErrorCode::ALL.len());
    for code in codes {
        assert!(code.parse::<ErrorCode>().is_ok(), "{code}");
    }
    assert!(
        described["records"]["SessionToken"]
            .as_array()
            .unwrap()
            .contains(&json!("refresh_token"))
    );
    assert_eq!(described["aliases"]["client"][0]["name"], "server_url");
    assert!(!format!("{:?}", HostValue::text("sk_DISTINCTIVE")).contains("DISTINCTIVE"));
}

#[test]
fn a_session_token_argument_is_text_and_never_quoted() {
    assert_eq!(
        session_token(&text("eyJ.a.b"), &Dialect::NODE).unwrap(),
        "eyJ.a.b"
    );
    let wrong = session_token(&HostValue::Number(5.0), &Dialect::NODE).unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::InvalidInput);
    assert!(wrong.is_wrong_type());
    assert_eq!(
        wrong.message(),
        "the session token must be a string, not number."
    );
    let python = session_token(&HostValue::Null, &Dialect::PYTHON).unwrap_err();
    assert_eq!(
        python.message(),
        "the session token must be a str, not NoneType."
    );
    let lone = session_token(&HostValue::NotUnicode, &Dialect::NODE).unwrap_err();
    assert_eq!(lone.code(), ErrorCode::InvalidInput);
    assert!(!lone.is_wrong_type());
}

#[test]
fn rate_limit_is_false_true_or_its_members_in_each_hosts_spelling() {
    use crate::options::RateLimitOptions;
    assert_eq!(node(vec![]).unwrap().rate_limit, None);
    let off = node(vec![("rateLimit", HostValue::Bool(false))]).unwrap();
    assert_eq!(off.rate_limit, Some(RateLimitOptions::Off));
    let on = python(vec![("rate_limit", HostValue::Bool(true))]).unwrap();
    assert_eq!(on.rate_limit, Some(RateLimitOptions::DOCUMENTED));
    let node_limit = node(vec![(
        "rateLimit",
        HostValue::map(vec![
            ("requestsPerSecond", HostValue::Number(100.0)),
            ("burst", HostValue::Number(10.0)),
        ]),
    )])
    .unwrap();
    assert_eq!(
        node_limit.rate_limit,
        Some(RateLimitOptions::limit(100, 10))
    );
    let python_limit = python(vec![(
        "rate_limit",
        HostValue::map(vec![("requests_per_second", HostValue::Integer(7))]),
    )])
    .unwrap();
    assert_eq!(
        python_limit.rate_limit,
        Some(RateLimitOptions::Limit {
            requests_per_second: Some(7),
            burst: None
        })
    );
    let problems = [
        (
            node(vec![("rateLimit", text("fast"))]),
            "rateLimit must be a boolean or an object, not string.",
        ),
        (
            node(vec![(
                "rateLimit",
                HostValue::map(vec![("requestsPerSecond", HostValue::Number(0.0))]),
            )]),
            "rateLimit.requestsPerSecond must be a whole number from 1 to 100000, not 0.",
        ),
        (
            python(vec![(
                "rate_limit",
                HostValue::map(vec![("burst", HostValue::Integer(10_001))]),
            )]),
            "rate_limit.burst must be a whole number from 1 to 10000, not 10001.",
        ),
        (
            python(vec![(
                "rate_limit",
                HostValue::map(vec![("rps", HostValue::Integer(1))]),
            )]),
            "rate_limit.rps is not one of the options of RateLimitOptions (requests_per_second, \
             burst).",
        ),
    ];
    for (result, wanted) in problems {
        assert_eq!(message(result), wanted);
    }
}
