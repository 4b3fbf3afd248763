//! Options and arguments read from host values by the one option table (docs/contract.md
//! §Options, §8): types first (a wrong type, text that is not Unicode, an unknown name where
//! the host refuses them), then values (ranges, units, the environment's name), the first
//! problem of each pass in the table's order; every message names the option as the host
//! spells it.

use std::time::Duration;

use super::value::HostValue;
use crate::environment::Environment;
use crate::error::{Error, ErrorCode};
use crate::options::{
    CACHE_OPTIONS, CLIENT_ALIASES, CLIENT_OPTIONS, CacheOptions, ClientOptions, Dialect,
    DurationUnit, OptionAlias, OptionKind, OptionSpec, PAGE_ARGUMENTS, RATE_LIMIT_OPTIONS,
    REQUEST_ALIASES, REQUEST_OPTIONS, RateLimitOptions, RequestOptions, STORE_OPTIONS,
    StoreOptions, UnknownNames, check_cache_window, not_unicode, wrong_type,
};
use crate::secret::Secret;
use crate::telemetry::TraceParent;
use crate::validate::{linked_account_id_not_unicode, linked_account_id_type_error};

/// The arguments of a list call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageArguments {
    /// From 1 (default 1).
    pub page: u32,
    /// 1 to 100 (default 10).
    pub limit: u32,
}

/// The client options in `value` (`Missing`/`Null`: none given), as the host spells them;
/// every problem is `configuration`.
pub fn client_options(value: &HostValue, dialect: &Dialect) -> Result<ClientOptions, Error> {
    let mut reader = Reader::new(dialect, ErrorCode::Configuration);
    let Some(members) = reader.root(value) else {
        return reader.finish(ClientOptions::default());
    };
    let table = reader.table(
        members,
        "",
        CLIENT_OPTIONS,
        CLIENT_ALIASES,
        "client options",
    );
    let options = ClientOptions {
        api_key: reader.secret(&table, "api_key"),
        environment: reader.environment(&table),
        base_url: reader.text(&table, "base_url"),
        timeout: reader.duration(&table, "timeout"),
        max_retries: reader.count(&table, "max_retries").map(|n| n as u32),
        max_idle_connections: reader
            .count(&table, "max_idle_connections")
            .map(|n| n as u32),
        max_connections: reader.count(&table, "max_connections").map(|n| n as u32),
        cache: reader.cache(&table),
        rate_limit: reader.rate_limit(&table),
        read_environment_variables: reader.flag(&table, "read_environment_variables"),
        telemetry: reader.flag(&table, "telemetry"),
        telemetry_linked_account_id: reader.flag(&table, "telemetry_linked_account_id"),
    };
    reader.finish(options)
}

/// The per-call options in `value` (`timeout`, `max_retries`, `fresh`; `Missing`/`Null`: none);
/// every problem is `invalid_input`.
pub fn request_options(value: &HostValue, dialect: &Dialect) -> Result<RequestOptions, Error> {
    let mut reader = Reader::new(dialect, ErrorCode::InvalidInput);
    let Some(members) = reader.root(value) else {
        return reader.finish(RequestOptions::default());
    };
    let table = reader.table(
        members,
        "",
        REQUEST_OPTIONS,
        REQUEST_ALIASES,
        "call options",
    );
    let options = RequestOptions {
        timeout: reader.duration(&table, "timeout"),
        max_retries: reader.count(&table, "max_retries").map(|n| n as u32),
        fresh: reader.flag(&table, "fresh").unwrap_or(false),
        traceparent: None,
    };
    let traceparent = reader.text(&table, "traceparent");
    let mut options = reader.finish(options)?;
    if let Some(text) = traceparent {
        options.traceparent = Some(TraceParent::parse(&text)?);
    }
    Ok(options)
}

/// `page` and `limit` of a list call from `value` (a map of them; `Missing`/`Null`: the
/// defaults); every problem is `invalid_input`.
pub fn page_arguments(value: &HostValue, dialect: &Dialect) -> Result<PageArguments, Error> {
    let mut reader = Reader::new(dialect, ErrorCode::InvalidInput);
    let Some(members) = reader.root(value) else {
        return reader.finish(PageArguments {
            page: 1,
            limit: crate::accounts::DEFAULT_PAGE_LIMIT,
        });
    };
    let table = reader.table(members, "", PAGE_ARGUMENTS, &[], "list options");
    let page = reader.count(&table, "page").map_or(1, |n| n as u32);
    let limit = reader
        .count(&table, "limit")
        .map_or(crate::accounts::DEFAULT_PAGE_LIMIT, |n| n as u32);
    reader.finish(PageArguments { page, limit })
}

/// A linked account id argument: text, else `invalid_input` (nothing is sent). Its content is
/// checked by the call.
pub fn linked_account_id(value: &HostValue, dialect: &Dialect) -> Result<String, Error> {
    match value {
        HostValue::Text(id) => Ok(id.clone()),
        HostValue::NotUnicode => Err(linked_account_id_not_unicode()),
        other => Err(linked_account_id_type_error(other.type_name(dialect)).with_wrong_type()),
    }
}

/// A session token argument (revoke, the active linked account): text, else `invalid_input`
/// (nothing is sent); the token is never quoted. Its content is checked by the call.
pub fn session_token(value: &HostValue, dialect: &Dialect) -> Result<String, Error> {
    match value {
        HostValue::Text(token) => Ok(token.clone()),
        HostValue::NotUnicode => Err(Error::invalid_input(
            "The session token is not valid Unicode text (it holds a lone surrogate); pass it \
             exactly as minted.",
        )),
        other => Err(wrong_type(
            ErrorCode::InvalidInput,
            "the session token",
            dialect.words.expect_text,
            other.type_name(dialect),
        )),
    }
}

/// The members of one table as read: each row's value (or `None`) and the name it was given
/// under (the host's spelling, or an alias), by row.
struct Table<'v> {
    path: String,
    rows: &'static [OptionSpec],
    members: &'v [(HostValue, HostValue)],
    values: Vec<Option<&'v HostValue>>,
    names: Vec<String>,
    /// A flag alias that was given `true` (the value it sets), by row name.
    flags: Vec<(&'static str, &'static str)>,
}

/// One row of a table as read.
struct Row<'v> {
    value: Option<&'v HostValue>,
    spec: &'static OptionSpec,
    /// Canonical path (`cache.store`).
    path: String,
    /// As the host named it.
    name: String,
}

impl<'v> Table<'v> {
    fn get(&self, row: &str) -> Row<'v> {
        let index = self
            .rows
            .iter()
            .position(|spec| spec.name == row)
            .expect("every option read is in its table");
        Row {
            value: self.values[index],
            spec: &self.rows[index],
            path: join(&self.path, row),
            name: self.names[index].clone(),
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn is_duration(kind: OptionKind) -> bool {
    matches!(kind, OptionKind::Duration { .. })
}

struct Reader<'d> {
    dialect: &'d Dialect,
    code: ErrorCode,
    type_problem: Option<Error>,
    value_problem: Option<Error>,
}

impl<'d> Reader<'d> {
    fn new(dialect: &'d Dialect, code: ErrorCode) -> Self {
        Reader {
            dialect,
            code,
            type_problem: None,
            value_problem: None,
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Error> {
        match self.type_problem.or(self.value_problem) {
            Some(problem) => Err(problem),
            None => Ok(value),
        }
    }

    fn type_problem(&mut self, problem: Error) {
        self.type_problem.get_or_insert(problem);
    }

    fn value_problem(&mut self, problem: Error) {
        self.value_problem.get_or_insert(problem);
    }

    fn wrong(&mut self, name: &str, expected: &str, value: &HostValue) {
        let received = value.type_name(self.dialect).to_owned();
        self.type_problem(wrong_type(self.code, name, expected, &received));
    }

    /// The members of an options argument; `None` when absent or refused.
    fn root<'v>(&mut self, value: &'v HostValue) -> Option<&'v [(HostValue, HostValue)]> {
        match value {
            HostValue::Map(members) => Some(members),
            absent if absent.is_absent() => None,
            other => {
                let expected = self.dialect.words.expect_map.replace("{record}", "options");
                self.wrong("options", &expected, other);
                None
            }
        }
    }

    /// Finds each row of `rows` (and its aliases) among `members`; names the table knows not
    /// are refused where the host refuses them.
    fn table<'v>(
        &mut self,
        members: &'v [(HostValue, HostValue)],
        path: &str,
        rows: &'static [OptionSpec],
        aliases: &'static [OptionAlias],
        what: &str,
    ) -> Table<'v> {
        let dialect = self.dialect;
        let spelled: Vec<String> = rows
            .iter()
            .map(|row| dialect.spell(&join(path, row.name), is_duration(row.kind)))
            .collect();
        let leaf = |name: &str| name.rsplit('.').next().unwrap_or(name).to_owned();
        let find = |name: &str| {
            members
                .iter()
                .find(|(key, _)| matches!(key, HostValue::Text(text) if *text == leaf(name)))
                .map(|(_, value)| value)
        };
        let mut values: Vec<Option<&'v HostValue>> =
            spelled.iter().map(|name| find(name)).collect();
        let mut names = spelled.clone();
        let mut flags = Vec::new();
        let mine = aliases.iter().filter(|alias| alias.dialect == dialect.name);
        for alias in mine.clone() {
            let Some(index) = rows.iter().position(|row| row.name == alias.of) else {
                continue;
            };
            if values[index].is_some_and(|value| !value.is_absent()) {
                continue;
            }
            let Some(given) = members
                .iter()
                .find(|(key, _)| matches!(key, HostValue::Text(text) if text == alias.name))
                .map(|(_, value)| value)
            else {
                continue;
            };
            match alias.sets {
                None => {
                    values[index] = Some(given);
                    names[index] = alias.name.to_owned();
                }
                Some(set) => {
                    if *given == HostValue::Bool(true) {
                        flags.push((alias.of, set));
                    }
                }
            }
        }
        if dialect.unknown_names == UnknownNames::Refuse {
            let known = |key: &str| {
                spelled.iter().any(|name| leaf(name) == key)
                    || rows.iter().any(|row| match row.kind {
                        OptionKind::SecretList { one } => {
                            leaf(&dialect.spell(&join(path, one), false)) == key
                        }
                        _ => false,
                    })
                    || mine.clone().any(|alias| alias.name == key)
            };
            for (key, _) in members {
                let name = match key {
                    HostValue::Text(text) if known(text) => continue,
                    HostValue::Text(text) => text.clone(),
                    HostValue::NotUnicode => {
                        self.type_problem(not_unicode(self.code, &format!("a name of the {what}")));
                        continue;
                    }
                    other => {
                        let expected = dialect.words.expect_text;
                        self.wrong(&format!("a name of the {what}"), expected, other);
                        continue;
                    }
                };
                let listed: Vec<String> = spelled.iter().map(|name| leaf(name)).collect();
                self.type_problem(
                    Error::new(
                        self.code,
                        format!(
                            "{} is not one of the {what} ({}).",
                            crate::redact::clean_line(
                                &dialect.spell(&join(path, &name), false),
                                60
                            ),
                            listed.join(", ")
                        ),
                    )
                    .with_wrong_type(),
                );
            }
        }
        // `Missing` and `Null` are both "not given".
        for value in &mut values {
            if value.is_some_and(HostValue::is_absent) {
                *value = None;
            }
        }
        Table {
            path: path.to_owned(),
            rows,
            members,
            values,
            names,
            flags,
        }
    }

    /// Text, or a problem with it.
    fn text_of(&mut self, name: &str, value: &HostValue) -> Option<String> {
        match value {
            HostValue::Text(text) => Some(text.clone()),
            HostValue::NotUnicode => {
                self.type_problem(not_unicode(self.code, name));
                None
            }
            other => {
                let expected = self.dialect.words.expect_text;
                self.wrong(name, expected, other);
                None
            }
        }
    }

    fn text(&mut self, table: &Table<'_>, row: &str) -> Option<String> {
        let row = table.get(row);
        self.text_of(&row.name, row.value?)
    }

    fn secret(&mut self, table: &Table<'_>, row: &str) -> Option<Secret> {
        self.text(table, row).map(Secret::from)
    }

    fn environment(&mut self, table: &Table<'_>) -> Option<Environment> {
        let name = match self.text(table, "environment") {
            Some(name) => name,
            None => {
                let flag = table.flags.iter().find(|(of, _)| *of == "environment")?;
                flag.1.to_owned()
            }
        };
        match name.parse::<Environment>() {
            Ok(environment) => Some(environment),
            Err(problem) => {
                self.value_problem(problem);
                None
            }
        }
    }

    fn flag(&mut self, table: &Table<'_>, row: &str) -> Option<bool> {
        let row = table.get(row);
        match row.value? {
            HostValue::Bool(flag) => Some(*flag),
            other => {
                let expected = self.dialect.words.expect_bool;
                self.wrong(&row.name, expected, other);
                None
            }
        }
    }

    fn count(&mut self, table: &Table<'_>, row: &str) -> Option<u64> {
        let Row {
            value, spec, name, ..
        } = table.get(row);
        let OptionKind::Count { min, max } = spec.kind else {
            unreachable!("{row} is a count")
        };
        let number = match value? {
            HostValue::Integer(integer) => *integer as f64,
            HostValue::Number(number) if self.dialect.fractional_counts => *number,
            other => {
                let expected = self.dialect.words.expect_count;
                self.wrong(&name, expected, other);
                return None;
            }
        };
        match self.dialect.count(&name, number, min, max, self.code) {
            Ok(count) => Some(count),
            Err(problem) => {
                self.value_problem(problem);
                None
            }
        }
    }

    fn duration(&mut self, table: &Table<'_>, row: &str) -> Option<Duration> {
        let Row {
            value, spec, name, ..
        } = table.get(row);
        let OptionKind::Duration {
            allow_zero,
            max_seconds,
        } = spec.kind
        else {
            unreachable!("{row} is a duration")
        };
        let number = match value? {
            HostValue::Integer(integer) => *integer as f64,
            HostValue::Number(number) => *number,
            HostValue::Duration(seconds)
                if self.dialect.durations != DurationUnit::Milliseconds =>
            {
                *seconds
            }
            other => {
                let expected = self.dialect.words.expect_duration;
                self.wrong(&name, expected, other);
                return None;
            }
        };
        match self
            .dialect
            .duration(&name, number, allow_zero, max_seconds, self.code)
        {
            Ok(duration) => Some(duration),
            Err(problem) => {
                self.value_problem(problem);
                None
            }
        }
    }

    /// A nested table: `true` for its defaults, `false` for none, or its members.
    fn nested<'v>(&mut self, table: &Table<'v>, row: &str) -> Option<Option<Table<'v>>> {
        let Row {
            value,
            spec,
            path,
            name,
        } = table.get(row);
        let OptionKind::Table { record, rows } = spec.kind else {
            unreachable!("{row} is a table")
        };
        match value? {
            HostValue::Bool(true) => Some(None),
            HostValue::Bool(false) => None,
            HostValue::Map(members) => {
                let what = format!("options of {record}");
                Some(Some(self.table(members, &path, rows, &[], &what)))
            }
            other => {
                let expected = self.dialect.expect_table(record);
                self.wrong(&name, &expected, other);
                None
            }
        }
    }

    fn cache(&mut self, table: &Table<'_>) -> Option<CacheOptions> {
        let Some(cache) = self.nested(table, "cache")? else {
            return Some(CacheOptions::default());
        };
        debug_assert!(std::ptr::eq(cache.rows, CACHE_OPTIONS));
        let options = CacheOptions {
            max_entries: self.count(&cache, "max_entries").map(|n| n as u32),
            min_remaining: self.duration(&cache, "min_remaining"),
            refresh_ahead: self.duration(&cache, "refresh_ahead"),
            store: self.store(&cache),
        };
        if let (Some(min_remaining), Some(refresh_ahead)) =
            (options.min_remaining, options.refresh_ahead)
        {
            if let Err(problem) =
                check_cache_window(self.dialect, min_remaining, refresh_ahead, self.code)
            {
                self.value_problem(problem);
            }
        }
        Some(options)
    }

    /// `false`: off; `true`: the defaults; else its members.
    fn rate_limit(&mut self, table: &Table<'_>) -> Option<RateLimitOptions> {
        if table.get("rate_limit").value? == &HostValue::Bool(false) {
            return Some(RateLimitOptions::Off);
        }
        let Some(limit) = self.nested(table, "rate_limit")? else {
            return Some(RateLimitOptions::DOCUMENTED);
        };
        debug_assert!(std::ptr::eq(limit.rows, RATE_LIMIT_OPTIONS));
        Some(RateLimitOptions::Limit {
            requests_per_second: self.count(&limit, "requests_per_second").map(|n| n as u32),
            burst: self.count(&limit, "burst").map(|n| n as u32),
        })
    }

    fn store(&mut self, cache: &Table<'_>) -> Option<StoreOptions> {
        let Some(store) = self.nested(cache, "store")? else {
            return Some(StoreOptions::default());
        };
        debug_assert!(std::ptr::eq(store.rows, STORE_OPTIONS));
        let Row {
            value: keys,
            spec,
            name: list_name,
            ..
        } = store.get("encryption_keys");
        let OptionKind::SecretList { one } = spec.kind else {
            unreachable!("encryption_keys is a list of secrets")
        };
        let one_name = self.dialect.spell(&join(&store.path, one), false);
        let spelled_one = self.dialect.spell(one, false);
        let single = store
            .members
            .iter()
            .find(|(key, _)| matches!(key, HostValue::Text(text) if *text == spelled_one))
            .map(|(_, value)| value)
            .filter(|value| !value.is_absent());
        let mut encryption_keys = Vec::new();
        match (single, keys) {
            (Some(single), Some(_)) => {
                let expected = format!("absent when {} is given", leaf_of(&list_name));
                self.wrong(&one_name, &expected, single);
            }
            (Some(single), None) => {
                if let Some(key) = self.text_of(&one_name, single) {
                    encryption_keys.push(Secret::from(key));
                }
            }
            (None, Some(HostValue::List(items))) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(key) = self.text_of(&format!("{list_name}[{index}]"), item) {
                        encryption_keys.push(Secret::from(key));
                    }
                }
            }
            (None, Some(other)) => {
                let expected = self.dialect.words.expect_text_list;
                self.wrong(&list_name, expected, other);
            }
            (None, None) => {}
        }
        Some(StoreOptions {
            redis_url: self.secret(&store, "redis_url"),
            encryption_keys,
            key_prefix: self.text(&store, "key_prefix"),
            timeout: self.duration(&store, "timeout"),
        })
    }
}

fn leaf_of(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}
