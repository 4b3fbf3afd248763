//! Linked accounts: the store behind `/api/v2/public/linked-account`, the
//! request bodies it accepts and the documents it returns, shaped as
//! Refold's (Mongo documents, mongoose-paginate-v2 pages).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use crate::apps::IntegrationView;
use crate::ids::{ObjectIds, iso_millis, now_millis, org_object_id};

/// Longest `linked_account_id` and `name` accepted over HTTP, in bytes.
pub(crate) const MAX_ID_BYTES: usize = 1024;
pub(crate) const MAX_NAME_BYTES: usize = 1024;
/// Most `udf` keys one account holds, after merging.
pub(crate) const MAX_UDF_KEYS: usize = 100;
/// Longest `udf` key and string value, in bytes.
pub(crate) const MAX_UDF_KEY_BYTES: usize = 256;
pub(crate) const MAX_UDF_STRING_BYTES: usize = 4096;
/// Most accounts one emulator holds, and the most bytes they may take
/// (approximately: strings plus a fixed overhead per document).
pub(crate) const MAX_ACCOUNTS: usize = 100_000;
pub(crate) const MAX_STORE_BYTES: usize = 64 * 1024 * 1024;
/// Largest `limit` of a list request.
pub(crate) const MAX_PAGE_LIMIT: u64 = 100;
/// Largest `page` of a list request (keeps `pagingCounter` exact in JSON).
pub(crate) const MAX_PAGE: u64 = 1_000_000_000;
/// `limit` when the query has none, as Refold's.
const DEFAULT_PAGE_LIMIT: u64 = 10;
/// Rough bookkeeping cost of a document and of a udf entry beyond their strings.
const ACCOUNT_OVERHEAD: usize = 256;
const UDF_OVERHEAD: usize = 128;

/// A validated create or upsert body.
pub(crate) struct AccountInput {
    pub id: String,
    /// `None`: keep; `Some(None)`: clear; `Some(Some(n))`: set.
    pub name: Option<Option<String>>,
    /// In the order sent; values are JSON primitives.
    pub udf: Vec<(String, Value)>,
    /// The key names of `your_app.auth_credentials` (its default-app
    /// integration), when sent; the values are never kept.
    pub your_app_keys: Option<Vec<String>>,
}

/// Why a create or upsert body was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InputError {
    /// Neither `account_id` nor `linked_account_id` is a non-empty string.
    MissingId,
    /// Anything else; the message says what.
    Invalid(String),
}

impl From<String> for InputError {
    fn from(message: String) -> Self {
        InputError::Invalid(message)
    }
}

/// Which form of the document an operation answers with, as Refold's
/// examples show them.
pub(crate) enum Shape<'a> {
    /// Create: `_id`, `account_id`, `name`, `environment` and
    /// `integrations: null`.
    Created,
    /// Upsert: the document without `integrations`, plus `new_account`.
    Upserted,
    /// Reads: the whole document with its `integrations` (from this
    /// function, given the account id).
    Full(&'a dyn Fn(&str) -> Vec<IntegrationView>),
}

/// Why a store operation did not happen; each maps to a status and message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StoreError {
    Exists,
    NotFound,
    /// A limit of the emulator itself; the message says which.
    Limit(String),
}

#[derive(Clone)]
struct Account {
    object_id: String,
    account_id: String,
    /// Creation order, the order of list pages.
    seq: u64,
    name: Option<String>,
    udf: Vec<UdfEntry>,
    created_ms: u64,
    updated_ms: u64,
    /// Mongoose's `__v`: here, how many times the account was updated.
    version: u64,
    /// The first session-token id (`jti`) issued after the account was
    /// created: older tokens for the same id (minted before a delete and
    /// re-create) are no longer valid.
    tokens_from: u64,
}

#[derive(Clone)]
struct UdfEntry {
    key: String,
    value: Value,
    object_id: String,
    created_ms: u64,
    updated_ms: u64,
}

impl Account {
    /// Approximate memory held, for the store's byte budget.
    fn cost(&self) -> usize {
        ACCOUNT_OVERHEAD
            + 2 * self.account_id.len()
            + self.name.as_ref().map_or(0, String::len)
            + self
                .udf
                .iter()
                .map(|e| {
                    UDF_OVERHEAD
                        + e.key.len()
                        + match &e.value {
                            Value::String(s) => s.len(),
                            _ => 0,
                        }
                })
                .sum::<usize>()
    }

    /// Applies an input's name and udf at `now`; udf keys merge: a changed
    /// value is updated (with its `updatedAt`), a new key appended.
    fn apply(&mut self, input: AccountInput, ids: &ObjectIds, now: u64) {
        if let Some(name) = input.name {
            self.name = name;
        }
        for (key, value) in input.udf {
            match self.udf.iter_mut().find(|e| e.key == key) {
                Some(entry) => {
                    if entry.value != value {
                        entry.value = value;
                        entry.updated_ms = now;
                    }
                }
                None => self.udf.push(UdfEntry {
                    key,
                    value,
                    object_id: ids.next(now),
                    created_ms: now,
                    updated_ms: now,
                }),
            }
        }
    }

    fn view<'a>(&'a self, org: &'a str) -> AccountView<'a> {
        AccountView {
            is_seed: false,
            tenant_account_id: None,
            integrations: None,
            new_account: None,
            object_id: &self.object_id,
            associated_org: org,
            account_id: &self.account_id,
            environment: "test",
            name: self.name.as_deref(),
            udf: self
                .udf
                .iter()
                .map(|e| UdfView {
                    key_name: &e.key,
                    key_value: &e.value,
                    object_id: &e.object_id,
                    created_at: iso_millis(e.created_ms),
                    updated_at: iso_millis(e.updated_ms),
                })
                .collect(),
            created_at: iso_millis(self.created_ms),
            updated_at: iso_millis(self.updated_ms),
            version: self.version,
        }
    }
}

/// An account as Refold returns it (field order as Refold's).
#[derive(Serialize)]
struct AccountView<'a> {
    #[serde(rename = "_id")]
    object_id: &'a str,
    associated_org: &'a str,
    account_id: &'a str,
    environment: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    udf: Vec<UdfView<'a>>,
    is_seed: bool,
    /// Always `null` here: the emulator has no tenants.
    tenant_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrations: Option<Vec<IntegrationView>>,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    #[serde(rename = "__v")]
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_account: Option<bool>,
}

/// What create answers, as Refold's example shows it.
#[derive(Serialize)]
struct CreatedView<'a> {
    #[serde(rename = "_id")]
    object_id: &'a str,
    account_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    environment: &'static str,
    /// `null`: a new account has none.
    integrations: Option<()>,
}

#[derive(Serialize)]
struct UdfView<'a> {
    key_name: &'a str,
    key_value: &'a Value,
    #[serde(rename = "_id")]
    object_id: &'a str,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

/// A mongoose-paginate-v2 page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageView<'a> {
    docs: Vec<AccountView<'a>>,
    total_docs: usize,
    limit: u64,
    total_pages: u64,
    page: u64,
    paging_counter: u64,
    has_prev_page: bool,
    has_next_page: bool,
    prev_page: Option<u64>,
    next_page: Option<u64>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Account>,
    /// `seq` → account id, for pages in creation order.
    order: BTreeMap<u64, String>,
    next_seq: u64,
    /// Sum of the accounts' [`Account::cost`].
    bytes: usize,
}

impl Inner {
    fn insert(&mut self, mut account: Account) {
        account.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += account.cost();
        self.order.insert(account.seq, account.account_id.clone());
        self.by_id.insert(account.account_id.clone(), account);
    }

    /// Checks the limits for a new account of `cost` bytes.
    fn room_for_new(&self, cost: usize) -> Result<(), StoreError> {
        if self.by_id.len() >= MAX_ACCOUNTS {
            return Err(StoreError::Limit(format!(
                "the emulator holds at most {MAX_ACCOUNTS} linked accounts"
            )));
        }
        self.room_for(cost, 0)
    }

    fn room_for(&self, cost: usize, replacing: usize) -> Result<(), StoreError> {
        if self.bytes - replacing + cost > MAX_STORE_BYTES {
            return Err(StoreError::Limit(format!(
                "the emulator's linked accounts are limited to {MAX_STORE_BYTES} bytes in all"
            )));
        }
        Ok(())
    }
}

/// All linked accounts of one emulator.
pub(crate) struct Store {
    /// `associated_org` of every account.
    org: String,
    ids: ObjectIds,
    inner: RwLock<Inner>,
}

impl Store {
    /// A store holding `seeded` (the configuration's accounts, not subject
    /// to the per-request limits), created now.
    pub(crate) fn new(org_id: &str, seeded: Vec<String>) -> Self {
        let store = Self {
            org: org_object_id(org_id),
            ids: ObjectIds::new(),
            inner: RwLock::default(),
        };
        {
            let now = now_millis();
            let mut inner = store.write();
            for id in seeded {
                if !inner.by_id.contains_key(&id) {
                    let account = store.new_account(id, now, 0);
                    inner.insert(account);
                }
            }
        }
        store
    }

    fn new_account(&self, account_id: String, now: u64, tokens_from: u64) -> Account {
        Account {
            tokens_from,
            object_id: self.ids.next(now),
            account_id,
            seq: 0,
            name: None,
            udf: Vec::new(),
            created_ms: now,
            updated_ms: now,
            version: 0,
        }
    }

    /// The `associated_org` of every account.
    pub(crate) fn org(&self) -> &str {
        &self.org
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.read().by_id.contains_key(id)
    }

    /// The first token id valid for the stored account `id`, if stored.
    pub(crate) fn tokens_from(&self, id: &str) -> Option<u64> {
        self.read().by_id.get(id).map(|account| account.tokens_from)
    }

    /// `POST`: creates the account (its tokens numbered from
    /// `tokens_from`); an existing id is an error.
    pub(crate) fn create(
        &self,
        input: AccountInput,
        tokens_from: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let mut inner = self.write();
        if inner.by_id.contains_key(&input.id) {
            return Err(StoreError::Exists);
        }
        self.insert_new(&mut inner, input, tokens_from, Shape::Created)
    }

    /// `PUT`: updates the account (merging udf), or creates it.
    pub(crate) fn upsert(
        &self,
        input: AccountInput,
        tokens_from: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let mut inner = self.write();
        let Some(current) = inner.by_id.get(&input.id) else {
            return self.insert_new(&mut inner, input, tokens_from, Shape::Upserted);
        };
        let now = now_millis();
        let mut updated = current.clone();
        let old_cost = current.cost();
        let new_keys = input
            .udf
            .iter()
            .filter(|(key, _)| !updated.udf.iter().any(|e| &e.key == key))
            .count();
        check_udf_count(updated.udf.len() + new_keys)?;
        updated.apply(input, &self.ids, now);
        updated.version += 1;
        updated.updated_ms = now;
        let new_cost = updated.cost();
        inner.room_for(new_cost, old_cost)?;
        inner.bytes = inner.bytes - old_cost + new_cost;
        let body = self.render(&updated, &Shape::Upserted, false);
        inner.by_id.insert(updated.account_id.clone(), updated);
        Ok(body)
    }

    fn insert_new(
        &self,
        inner: &mut Inner,
        input: AccountInput,
        tokens_from: u64,
        shape: Shape<'_>,
    ) -> Result<Vec<u8>, StoreError> {
        check_udf_count(input.udf.len())?;
        let now = now_millis();
        let mut account = self.new_account(input.id.clone(), now, tokens_from);
        account.apply(input, &self.ids, now);
        inner.room_for_new(account.cost())?;
        let body = self.render(&account, &shape, true);
        inner.insert(account);
        Ok(body)
    }

    /// The account document as JSON, in `shape`.
    pub(crate) fn get(&self, id: &str, shape: &Shape<'_>) -> Result<Vec<u8>, StoreError> {
        let inner = self.read();
        let account = inner.by_id.get(id).ok_or(StoreError::NotFound)?;
        Ok(self.render(account, shape, false))
    }

    pub(crate) fn delete(&self, id: &str) -> Result<(), StoreError> {
        let mut inner = self.write();
        let account = inner.by_id.remove(id).ok_or(StoreError::NotFound)?;
        inner.order.remove(&account.seq);
        inner.bytes -= account.cost();
        Ok(())
    }

    /// Page `page` (1-based) of `limit` accounts in creation order, as
    /// mongoose-paginate-v2 returns it, each with its `integrations`. Both
    /// are already within bounds.
    pub(crate) fn page(
        &self,
        page: u64,
        limit: u64,
        integrations: &dyn Fn(&str) -> Vec<IntegrationView>,
    ) -> Vec<u8> {
        let inner = self.read();
        let total = inner.by_id.len();
        let total_u64 = total as u64;
        let total_pages = total_u64.div_ceil(limit).max(1);
        let offset = (page - 1).saturating_mul(limit);
        let docs = if offset >= total_u64 {
            Vec::new()
        } else {
            inner
                .order
                .values()
                // Bounded by the number of accounts, itself capped.
                .skip(offset as usize)
                .take(limit as usize)
                .filter_map(|id| inner.by_id.get(id))
                .map(|account| AccountView {
                    integrations: Some(integrations(&account.account_id)),
                    ..account.view(&self.org)
                })
                .collect()
        };
        let view = PageView {
            docs,
            total_docs: total,
            limit,
            total_pages,
            page,
            paging_counter: offset + 1,
            has_prev_page: page > 1,
            has_next_page: page < total_pages,
            prev_page: (page > 1).then(|| page - 1),
            next_page: (page < total_pages).then(|| page + 1),
        };
        serde_json::to_vec(&view).expect("a page serialises")
    }

    fn render(&self, account: &Account, shape: &Shape<'_>, created: bool) -> Vec<u8> {
        let rendered = match shape {
            Shape::Created => serde_json::to_vec(&CreatedView {
                object_id: &account.object_id,
                account_id: &account.account_id,
                name: account.name.as_deref(),
                environment: "test",
                integrations: None,
            }),
            Shape::Upserted => serde_json::to_vec(&AccountView {
                new_account: Some(created),
                ..account.view(&self.org)
            }),
            Shape::Full(integrations) => serde_json::to_vec(&AccountView {
                integrations: Some(integrations(&account.account_id)),
                ..account.view(&self.org)
            }),
        };
        rendered.expect("an account serialises")
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn check_udf_count(count: usize) -> Result<(), StoreError> {
    if count > MAX_UDF_KEYS {
        return Err(StoreError::Limit(format!(
            "udf may hold at most {MAX_UDF_KEYS} keys per linked account"
        )));
    }
    Ok(())
}

/// Where a body's `name`, `udf` and `your_app` are read from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyForm {
    /// At the top level (create).
    Flat,
    /// Under `payload` when the body has one (an object), else at the top
    /// level (upsert).
    PayloadOrFlat,
}

/// Parses and validates a create/upsert body. The id is `account_id` or
/// its alias `linked_account_id` (both given: they must agree).
pub(crate) fn parse_input(body: &[u8], form: BodyForm) -> Result<AccountInput, InputError> {
    let fields = match serde_json::from_slice::<Ordered>(body) {
        Ok(Ordered::Object(fields)) => fields,
        Ok(_) => return Err("request body must be a JSON object".to_owned().into()),
        Err(e) => return Err(format!("request body is not valid JSON: {e}").into()),
    };
    // Either id may be absent or empty (then the other one counts), but
    // one that is there must be a string (not null), whatever the other is.
    for name in ["account_id", "linked_account_id"] {
        if !matches!(member(&fields, name), None | Some(Ordered::String(_))) {
            return Err(format!("{name} must be a string").into());
        }
    }
    let named = |name: &str| match member(&fields, name) {
        Some(Ordered::String(id)) if !id.is_empty() => Some(id.clone()),
        _ => None,
    };
    let id = match (named("account_id"), named("linked_account_id")) {
        (Some(id), Some(alias)) if id != alias => {
            return Err(
                "account_id and linked_account_id name different accounts; send one"
                    .to_owned()
                    .into(),
            );
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err(InputError::MissingId),
    };
    if id.len() > MAX_ID_BYTES {
        return Err(format!("linked_account_id must be at most {MAX_ID_BYTES} bytes").into());
    }
    let fields = match (form, member(&fields, "payload")) {
        (BodyForm::PayloadOrFlat, Some(Ordered::Object(payload))) => payload,
        (BodyForm::PayloadOrFlat, Some(Ordered::Null) | None) | (BodyForm::Flat, _) => &fields,
        (BodyForm::PayloadOrFlat, Some(_)) => {
            return Err("payload must be an object".to_owned().into());
        }
    };
    let name = match member(fields, "name") {
        None => None,
        Some(Ordered::Null) => Some(None),
        Some(Ordered::String(name)) if name.len() <= MAX_NAME_BYTES => Some(Some(name.clone())),
        Some(Ordered::String(_)) => {
            return Err(format!("name must be at most {MAX_NAME_BYTES} bytes").into());
        }
        Some(_) => return Err("name must be a string".to_owned().into()),
    };
    let udf = match member(fields, "udf") {
        None | Some(Ordered::Null) => Vec::new(),
        Some(Ordered::Object(entries)) => udf_entries(entries)?,
        Some(_) => {
            return Err(
                "udf must be an object of string, number, boolean or null values"
                    .to_owned()
                    .into(),
            );
        }
    };
    let mut your_app_keys = None;
    match member(fields, "your_app") {
        None | Some(Ordered::Null) => {}
        Some(Ordered::Object(app)) => {
            match member(app, "auth_credentials") {
                None | Some(Ordered::Null) => {
                    return Err("your_app.auth_credentials is required".to_owned().into());
                }
                Some(Ordered::Object(credentials)) => {
                    let mut keys: Vec<String> = Vec::new();
                    for (key, _) in credentials.iter().take(MAX_UDF_KEYS) {
                        if key.len() <= MAX_UDF_KEY_BYTES && !keys.contains(key) {
                            keys.push(key.clone());
                        }
                    }
                    your_app_keys = Some(keys);
                }
                Some(_) => your_app_keys = Some(Vec::new()),
            }
            if !matches!(member(app, "app_id"), None | Some(Ordered::String(_))) {
                return Err("your_app.app_id must be a string".to_owned().into());
            }
        }
        Some(_) => {
            return Err(
                "your_app must be an object with app_id and auth_credentials"
                    .to_owned()
                    .into(),
            );
        }
    }
    Ok(AccountInput {
        id,
        name,
        udf,
        your_app_keys,
    })
}

/// The member `name` of an object; as JSON.parse, a repeated key's last
/// value wins.
fn member<'a>(fields: &'a [(String, Ordered)], name: &str) -> Option<&'a Ordered> {
    fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn udf_entries(entries: &[(String, Ordered)]) -> Result<Vec<(String, Value)>, String> {
    // Checked as sent, before the per-key work (repeated keys included).
    if entries.len() > MAX_UDF_KEYS {
        return Err(format!(
            "udf may hold at most {MAX_UDF_KEYS} keys per linked account"
        ));
    }
    let mut out: Vec<(String, Value)> = Vec::new();
    for (key, value) in entries {
        if key.len() > MAX_UDF_KEY_BYTES {
            return Err(format!(
                "udf keys must be at most {MAX_UDF_KEY_BYTES} bytes"
            ));
        }
        let value = match value {
            Ordered::Null => Value::Null,
            Ordered::Bool(b) => Value::Bool(*b),
            Ordered::Number(n) => Value::Number(n.clone()),
            Ordered::String(s) if s.len() <= MAX_UDF_STRING_BYTES => Value::String(s.clone()),
            Ordered::String(_) => {
                return Err(format!(
                    "udf.{key}: strings must be at most {MAX_UDF_STRING_BYTES} bytes"
                ));
            }
            Ordered::Array | Ordered::Object(_) => {
                return Err(format!(
                    "udf.{key} must be a string, number, boolean or null"
                ));
            }
        };
        // A repeated key keeps its first position and its last value.
        match out.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key.clone(), value)),
        }
    }
    Ok(out)
}

/// `page` and `limit` of a list query (defaults 1 and 10); the error is a
/// 400 message. Other parameters are ignored; a repeated one counts once
/// (its first value).
pub(crate) fn parse_page_query(query: Option<&str>) -> Result<(u64, u64), String> {
    let mut page = None;
    let mut limit = None;
    for pair in query.unwrap_or("").split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(name, true).as_deref() {
            Some("page") => &mut page,
            Some("limit") => &mut limit,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(percent_decode(value, true).unwrap_or_default());
        }
    }
    let number = |name: &str, raw: Option<String>, default: u64, max: u64| match raw {
        None => Ok(default),
        Some(raw) => raw
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| raw.parse::<u64>().ok())
            .flatten()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("{name} must be an integer from 1 to {max}")),
    };
    Ok((
        number("page", page, 1, MAX_PAGE)?,
        number("limit", limit, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT)?,
    ))
}

/// Decodes `%XX` escapes (and `+` as a space in queries); `None` for a bad
/// escape or a result that is not UTF-8. The output is never longer than
/// the input.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A JSON value whose objects keep their members in the order sent (the
/// workspace's `serde_json::Value` sorts them), so udf lists come back in
/// the order the client wrote them.
enum Ordered {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// Arrays are never accepted where this is used, so only their
    /// presence is kept.
    Array,
    Object(Vec<(String, Ordered)>),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ordered, E> {
        Number::from_f64(v)
            .map(Ordered::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        while seq.next_element::<Ordered>()?.is_some() {}
        Ok(Ordered::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Ordered::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2Fc", false).as_deref(), Some("a b/c"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("%E6%97%A5", false).as_deref(), Some("日"));
        for bad in ["%", "%4", "%zz", "%ff", "%+1"] {
            assert_eq!(percent_decode(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn page_queries() {
        assert_eq!(parse_page_query(None), Ok((1, 10)));
        assert_eq!(parse_page_query(Some("")), Ok((1, 10)));
        assert_eq!(parse_page_query(Some("page=3&limit=5&x=%zz")), Ok((3, 5)));
        assert_eq!(parse_page_query(Some("%70age=2&page=9")), Ok((2, 10)));
        assert_eq!(parse_page_query(Some("limit=100")), Ok((1, 100)));
        for bad in [
            "page=0",
            "page=-1",
            "page=+1",
            "page=1.5",
            "page=",
            "page",
            "limit=0",
            "limit=101",
            "limit=abc",
            "page=1000000001",
            "page=99999999999999999999999",
        ] {
            assert!(parse_page_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn inputs_validate_and_keep_udf_order() {
        let input = parse_input(
            br#"{"linked_account_id":"a","udf":{"z":1,"a":"x","m":null,"z":true},"name":null}"#,
            BodyForm::Flat,
        )
        .unwrap();
        assert_eq!(input.id, "a");
        assert_eq!(input.name, Some(None));
        let keys: Vec<_> = input.udf.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(input.udf[0].1, Value::Bool(true));
        for bad in [
            r#"{"linked_account_id":"a","udf":{"k":[1]}}"#,
            r#"{"linked_account_id":"a","udf":{"k":{}}}"#,
            r#"{"linked_account_id":"a","udf":[]}"#,
            r#"{"linked_account_id":"a","udf":"k"}"#,
            r#"{"linked_account_id":"a","your_app":{"app_id":"x"}}"#,
            r#"{"linked_account_id":"a","your_app":{"auth_credentials":null}}"#,
            r#"{"linked_account_id":"a","your_app":"x"}"#,
            r#"{"linked_account_id":"a","your_app":{"auth_credentials":{},"app_id":5}}"#,
            r#"{"linked_account_id":"a","name":5}"#,
            r#"{"linked_account_id":5}"#,
        ] {
            assert!(
                parse_input(bad.as_bytes(), BodyForm::Flat).is_err(),
                "{bad}"
            );
        }
        assert!(
            parse_input(br#"{"linked_account_id":"a","your_app":{"app_id":"x","auth_credentials":{"k":"s"}}}"#, BodyForm::Flat)
                .is_ok()
        );
    }

    #[test]
    fn the_id_is_account_id_or_its_alias_and_upserts_read_payload() {
        let id = |body: &str| parse_input(body.as_bytes(), BodyForm::Flat).map(|input| input.id);
        assert_eq!(id(r#"{"account_id":"a"}"#), Ok("a".to_owned()));
        assert_eq!(id(r#"{"linked_account_id":"b"}"#), Ok("b".to_owned()));
        assert_eq!(
            id(r#"{"account_id":"a","linked_account_id":"a"}"#),
            Ok("a".to_owned())
        );
        assert!(matches!(
            id(r#"{"account_id":"a","linked_account_id":"b"}"#),
            Err(InputError::Invalid(_))
        ));
        for missing in ["{}", r#"{"account_id":""}"#] {
            assert_eq!(id(missing), Err(InputError::MissingId), "{missing}");
        }
        // A non-string id is refused even when the other one is a string.
        for wrong in [
            r#"{"linked_account_id":5}"#,
            r#"{"account_id":5,"linked_account_id":"a"}"#,
            r#"{"account_id":"a","linked_account_id":["a"]}"#,
            r#"{"account_id":null,"linked_account_id":"a"}"#,
            r#"{"linked_account_id":null}"#,
        ] {
            assert!(matches!(id(wrong), Err(InputError::Invalid(_))), "{wrong}");
        }
        let body = br#"{"account_id":"a","name":"flat","payload":{"name":"nested"}}"#;
        let upsert = parse_input(body, BodyForm::PayloadOrFlat).unwrap();
        assert_eq!(upsert.name, Some(Some("nested".to_owned())));
        let create = parse_input(body, BodyForm::Flat).unwrap();
        assert_eq!(create.name, Some(Some("flat".to_owned())));
        // The payload replaces the flat fields as a whole.
        let body = br#"{"account_id":"a","name":"flat","payload":{"udf":{"k":"v"}}}"#;
        assert_eq!(
            parse_input(body, BodyForm::PayloadOrFlat).unwrap().name,
            None
        );
        assert!(
            parse_input(
                br#"{"account_id":"a","payload":[]}"#,
                BodyForm::PayloadOrFlat
            )
            .is_err()
        );
    }

    #[test]
    fn store_budget_is_kept_across_operations() {
        let store = Store::new("org", vec!["s".into(), "s".into()]);
        assert_eq!(store.read().by_id.len(), 1);
        let input = |id: &str, udf: &[(&str, Value)]| AccountInput {
            id: id.to_owned(),
            name: None,
            your_app_keys: None,
            udf: udf
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        };
        store.create(input("a", &[("k", "v".into())]), 0).unwrap();
        assert_eq!(store.create(input("a", &[]), 0), Err(StoreError::Exists));
        store
            .upsert(input("a", &[("k", "w".into()), ("j", 1.into())]), 0)
            .unwrap();
        let expected: usize = store.read().by_id.values().map(Account::cost).sum();
        assert_eq!(store.read().bytes, expected);
        store.delete("a").unwrap();
        assert_eq!(store.delete("a"), Err(StoreError::NotFound));
        let remaining: usize = store.read().by_id.values().map(Account::cost).sum();
        assert_eq!(store.read().bytes, remaining);
        assert_eq!(store.read().order.len(), 1);
    }
}
