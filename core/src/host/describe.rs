//! `describe()`: what the core declares once, as JSON, for the code generator and `refold
//! __describe` — the option tables with each host's names, kinds and defaults, the error codes,
//! and the fields of every record a binding maps.

use serde_json::{Value, json};

use crate::accounts::{Integration, LinkedAccount, LinkedAccountPage};
use crate::cache::CacheStats;
use crate::error::{Error, ErrorCode};
use crate::options::{
    CLIENT_ALIASES, CLIENT_OPTIONS, Case, Dialect, DurationUnit, HOST_OBJECT_OPTIONS, OptionAlias,
    OptionKind, OptionSpec, PAGE_ARGUMENTS, REQUEST_ALIASES, REQUEST_OPTIONS,
};
use crate::sessions::RevokeResult;
use crate::token::SessionToken;
use crate::validate::MAX_LINKED_ACCOUNT_ID_BYTES;

use super::value::MAX_DEPTH;

/// Everything a binding's generated code needs from the core, as one JSON document.
pub fn describe() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "dialects": Dialect::ALL.iter().map(dialect).collect::<Vec<_>>(),
        "options": {
            "client": rows(CLIENT_OPTIONS, ""),
            "request": rows(REQUEST_OPTIONS, ""),
            "page": rows(PAGE_ARGUMENTS, ""),
        },
        "aliases": {
            "client": aliases(CLIENT_ALIASES),
            "request": aliases(REQUEST_ALIASES),
        },
        "host_objects": HOST_OBJECT_OPTIONS.iter().map(|option| json!({
            "dialect": option.dialect,
            "table": option.table,
            "name": option.name,
            "host_type": option.host_type,
            "expects": option.expects,
            "summary": option.summary,
        })).collect::<Vec<_>>(),
        "error_codes": ErrorCode::ALL.iter().map(|code| code.as_str()).collect::<Vec<_>>(),
        "records": {
            "SessionToken": SessionToken::FIELDS,
            "LinkedAccount": LinkedAccount::FIELDS,
            "Integration": Integration::FIELDS,
            "LinkedAccountPage": LinkedAccountPage::FIELDS,
            "RevokeResult": RevokeResult::FIELDS,
            "CacheStats": CacheStats::FIELDS,
            "Error": Error::FIELDS,
        },
        "limits": {
            "json_max_depth": MAX_DEPTH,
            "linked_account_id_max_bytes": MAX_LINKED_ACCOUNT_ID_BYTES,
        },
    })
}

fn dialect(dialect: &Dialect) -> Value {
    json!({
        "name": dialect.name,
        "case": match dialect.case {
            Case::Snake => "snake",
            Case::Camel => "camel",
            Case::Flag => "flag",
        },
        "durations": match dialect.durations {
            DurationUnit::Milliseconds => "milliseconds",
            DurationUnit::Seconds => "seconds",
            DurationUnit::Duration => "duration",
        },
    })
}

fn rows(table: &[OptionSpec], path: &str) -> Vec<Value> {
    table
        .iter()
        .map(|row| {
            let full = if path.is_empty() {
                row.name.to_owned()
            } else {
                format!("{path}.{}", row.name)
            };
            let duration = matches!(row.kind, OptionKind::Duration { .. });
            let names: serde_json::Map<String, Value> = Dialect::ALL
                .iter()
                .map(|dialect| {
                    let spelled = dialect.spell(&full, duration);
                    let leaf = spelled.rsplit('.').next().unwrap_or(&spelled).to_owned();
                    (dialect.name.to_owned(), Value::String(leaf))
                })
                .collect();
            let mut entry = json!({
                "name": row.name,
                "path": full,
                "names": names,
                "env": row.env,
                "default": row.default,
                "summary": row.summary,
            });
            let kind = match row.kind {
                OptionKind::Text => json!({"kind": "text"}),
                OptionKind::Secret => json!({"kind": "secret"}),
                OptionKind::Choice(choices) => json!({"kind": "choice", "choices": choices}),
                OptionKind::SecretList { one } => {
                    let names: serde_json::Map<String, Value> = Dialect::ALL
                        .iter()
                        .map(|dialect| (dialect.name.to_owned(), Value::String(dialect.spell(one, false))))
                        .collect();
                    json!({"kind": "secret_list", "one": one, "one_names": names})
                }
                OptionKind::Count { min, max } => json!({"kind": "count", "min": min, "max": max}),
                OptionKind::Duration {
                    allow_zero,
                    max_seconds,
                } => json!({"kind": "duration", "allow_zero": allow_zero, "max_seconds": max_seconds}),
                OptionKind::Bool => json!({"kind": "bool"}),
                OptionKind::Table { record, rows: inner } => {
                    json!({"kind": "table", "record": record, "rows": rows(inner, &full)})
                }
            };
            if let (Value::Object(entry), Value::Object(kind)) = (&mut entry, kind) {
                entry.extend(kind);
            }
            entry
        })
        .collect()
}

fn aliases(aliases: &[OptionAlias]) -> Vec<Value> {
    aliases
        .iter()
        .map(|alias| {
            json!({"dialect": alias.dialect, "name": alias.name, "of": alias.of, "sets": alias.sets})
        })
        .collect()
}
