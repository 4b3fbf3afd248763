//! Linked accounts as data (docs/contract.md §Linked accounts): what a caller sends to create
//! or update one, what Refold returns, and the checks made before anything is sent.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::redact::{REDACTED, clean_line};
use crate::time::parse_rfc3339;
use crate::validate::{linked_account_id_type_error, validate_linked_account_id, whole_number};

/// Most accounts one list page may ask for (Refold's own limit).
pub const MAX_PAGE_LIMIT: u32 = 100;
/// Accounts per page unless the caller says.
pub const DEFAULT_PAGE_LIMIT: u32 = 10;
/// Most pages an all-pages iteration fetches: a server that always says "there is a next
/// page" cannot make it loop forever.
pub const MAX_PAGES: u32 = 100_000;
/// Most user-defined fields one account may be sent with.
pub const MAX_UDF_FIELDS: usize = 1_000;

/// What `upsert_linked_account` and `create_linked_account` send.
#[derive(Clone, Default, PartialEq)]
pub struct LinkedAccountInput {
    /// The end-user's id in your system (the same rules as for session tokens).
    pub linked_account_id: String,
    /// A display name.
    pub name: Option<String>,
    /// User-defined fields: values must be strings, numbers, booleans or null.
    pub udf: Option<Map<String, Value>>,
    /// Credentials of your own app for this account.
    pub your_app: Option<YourApp>,
}

/// `your_app`: your app's id and the account's credentials for it, a secret like the API key.
#[derive(Clone, Default, PartialEq)]
pub struct YourApp {
    pub app_id: String,
    /// Sent to Refold; never shown in messages, logs or `Debug`.
    pub auth_credentials: Option<Value>,
}

impl fmt::Debug for LinkedAccountInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedAccountInput")
            .field("linked_account_id", &self.linked_account_id)
            .field("name", &self.name)
            .field("udf", &self.udf)
            .field("your_app", &self.your_app)
            .finish()
    }
}

impl fmt::Debug for YourApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YourApp")
            .field("app_id", &self.app_id)
            .field(
                "auth_credentials",
                &self.auth_credentials.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl LinkedAccountInput {
    /// An input naming only the account.
    pub fn new(linked_account_id: impl Into<String>) -> Self {
        LinkedAccountInput {
            linked_account_id: linked_account_id.into(),
            ..LinkedAccountInput::default()
        }
    }

    /// Reads the official SDK's payload shape, `{linked_account_id, name?, udf?, your_app?}`,
    /// from JSON: what dynamically typed hosts pass. Every problem is `invalid_input`.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let Value::Object(object) = value else {
            return Err(Error::invalid_input(format!(
                "The linked account must be an object with a linked_account_id, not {}.",
                json_type(value)
            )));
        };
        if let Some(unknown) = object.keys().find(|key| {
            !matches!(
                key.as_str(),
                "linked_account_id" | "name" | "udf" | "your_app"
            )
        }) {
            return Err(Error::invalid_input(format!(
                "Unknown linked account field \"{}\"; use linked_account_id, name, udf or \
                 your_app.",
                clean_line(unknown, 40)
            )));
        }
        let linked_account_id = match object.get("linked_account_id") {
            Some(Value::String(id)) => id.clone(),
            None => return Err(Error::invalid_input("linked_account_id is missing.")),
            Some(other) => return Err(linked_account_id_type_error(json_type(other))),
        };
        let name = match object.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "name must be a string, not {}.",
                    json_type(other)
                )));
            }
        };
        let udf = match object.get("udf") {
            None | Some(Value::Null) => None,
            Some(Value::Object(fields)) => Some(fields.clone()),
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "udf must be an object of strings, numbers, booleans or null, not {}.",
                    json_type(other)
                )));
            }
        };
        let your_app = match object.get("your_app") {
            None | Some(Value::Null) => None,
            Some(Value::Object(app)) => Some(YourApp {
                app_id: match app.get("app_id") {
                    Some(Value::String(id)) => id.clone(),
                    _ => {
                        return Err(Error::invalid_input("your_app.app_id must be a string."));
                    }
                },
                auth_credentials: app.get("auth_credentials").cloned(),
            }),
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "your_app must be an object with app_id and auth_credentials, not {}.",
                    json_type(other)
                )));
            }
        };
        Ok(LinkedAccountInput {
            linked_account_id,
            name,
            udf,
            your_app,
        })
    }

    /// Checks everything before a request is sent.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        validate_linked_account_id(&self.linked_account_id)?;
        if let Some(udf) = &self.udf {
            if udf.len() > MAX_UDF_FIELDS {
                return Err(Error::invalid_input(format!(
                    "udf has {} fields; at most {MAX_UDF_FIELDS} are accepted.",
                    udf.len()
                )));
            }
            for (key, value) in udf {
                if key.trim().is_empty() {
                    return Err(Error::invalid_input("udf field names must not be blank."));
                }
                if matches!(value, Value::Array(_) | Value::Object(_)) {
                    return Err(Error::invalid_input(format!(
                        "udf field \"{}\" must be a string, number, boolean or null, not {}.",
                        clean_line(key, 40),
                        json_type(value)
                    )));
                }
            }
        }
        if let Some(app) = &self.your_app {
            if app.app_id.trim().is_empty() {
                return Err(Error::invalid_input("your_app.app_id must not be blank."));
            }
            if app.auth_credentials.is_none() {
                return Err(Error::invalid_input(
                    "your_app needs auth_credentials (Refold rejects your_app without them).",
                ));
            }
        }
        Ok(())
    }

    /// The request body, in Refold's shape.
    pub(crate) fn to_body(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "linked_account_id".into(),
            Value::String(self.linked_account_id.clone()),
        );
        if let Some(name) = &self.name {
            body.insert("name".into(), Value::String(name.clone()));
        }
        if let Some(udf) = &self.udf {
            body.insert("udf".into(), Value::Object(udf.clone()));
        }
        if let Some(app) = &self.your_app {
            let mut your_app = Map::new();
            your_app.insert("app_id".into(), Value::String(app.app_id.clone()));
            if let Some(credentials) = &app.auth_credentials {
                your_app.insert("auth_credentials".into(), credentials.clone());
            }
            body.insert("your_app".into(), Value::Object(your_app));
        }
        Value::Object(body)
    }

    /// Every string inside `your_app.auth_credentials`, to be redacted from messages.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Some(credentials) = self
            .your_app
            .as_ref()
            .and_then(|app| app.auth_credentials.as_ref())
        {
            collect_strings(credentials, &mut found);
        }
        found
    }
}

fn collect_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) if text.len() >= 4 => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, found)),
        Value::Object(fields) => fields
            .values()
            .for_each(|item| collect_strings(item, found)),
        _ => {}
    }
}

/// A linked account as Refold returns it. The typed fields cover what Refold documents; the
/// whole JSON object is kept too ([`LinkedAccount::json`]) so fields added later are not lost.
#[derive(Clone, PartialEq)]
pub struct LinkedAccount {
    id: Option<String>,
    account_id: String,
    associated_org: Option<String>,
    environment: Option<String>,
    name: Option<String>,
    udf: BTreeMap<String, Value>,
    integrations: Option<Vec<Integration>>,
    is_seed: Option<bool>,
    tenant_account_id: Option<String>,
    new_account: Option<bool>,
    created_at: Option<SystemTime>,
    updated_at: Option<SystemTime>,
    json: Map<String, Value>,
}

/// An application a linked account has connected (an entry of its `integrations`).
#[derive(Clone, Debug, PartialEq)]
pub struct Integration {
    /// The application's slug (Refold's `type`, e.g. `hubspot`).
    pub r#type: String,
    /// Its display name.
    pub name: String,
    /// Your custom app's id, or `None` for Refold's own apps.
    pub app_id: Option<String>,
    /// Its icon (a URL), when given.
    pub icon: Option<String>,
    /// Whether the end-user must connect it again.
    pub reauth_required: Option<bool>,
    pub created_at: Option<SystemTime>,
    pub updated_at: Option<SystemTime>,
}

impl Integration {
    /// The fields every binding maps (docs/contract.md §Linked accounts).
    pub const FIELDS: &'static [&'static str] = &[
        "type",
        "name",
        "app_id",
        "icon",
        "reauth_required",
        "created_at",
        "updated_at",
    ];

    /// Reads one entry; `None` without a string `type`.
    fn from_json(json: &Value) -> Option<Integration> {
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let time = |key: &str| {
            json.get(key)
                .and_then(Value::as_str)
                .and_then(parse_rfc3339)
        };
        Some(Integration {
            r#type: text("type")?,
            name: text("name").unwrap_or_default(),
            app_id: text("app_id"),
            icon: text("icon"),
            reauth_required: json.get("reauth_required").and_then(Value::as_bool),
            created_at: time("createdAt"),
            updated_at: time("updatedAt"),
        })
    }
}

impl LinkedAccount {
    /// The fields every binding maps (docs/contract.md §Linked accounts).
    pub const FIELDS: &'static [&'static str] = &[
        "id",
        "account_id",
        "associated_org",
        "environment",
        "name",
        "udf",
        "integrations",
        "is_seed",
        "tenant_account_id",
        "new_account",
        "created_at",
        "updated_at",
        "json",
    ];

    /// Reads an account object; `None` when it is not one (no string `account_id`).
    pub(crate) fn from_json(json: Map<String, Value>) -> Option<LinkedAccount> {
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let flag = |key: &str| json.get(key).and_then(Value::as_bool);
        let time = |key: &str| {
            json.get(key)
                .and_then(Value::as_str)
                .and_then(parse_rfc3339)
        };
        let integrations = match json.get("integrations") {
            Some(Value::Array(entries)) => {
                Some(entries.iter().filter_map(Integration::from_json).collect())
            }
            _ => None,
        };
        let udf = match json.get("udf") {
            // Refold's form: [{"key_name", "key_value", …}]; an object is accepted too.
            Some(Value::Array(entries)) => entries
                .iter()
                .filter_map(|entry| {
                    let key = entry.get("key_name")?.as_str()?.to_owned();
                    Some((key, entry.get("key_value").cloned().unwrap_or(Value::Null)))
                })
                .collect(),
            Some(Value::Object(fields)) => fields.clone().into_iter().collect(),
            _ => BTreeMap::new(),
        };
        Some(LinkedAccount {
            id: text("_id"),
            account_id: text("account_id").or_else(|| text("linked_account_id"))?,
            associated_org: text("associated_org"),
            environment: text("environment"),
            name: text("name"),
            udf,
            integrations,
            is_seed: flag("is_seed"),
            tenant_account_id: text("tenant_account_id"),
            new_account: flag("new_account"),
            created_at: time("createdAt"),
            updated_at: time("updatedAt"),
            json,
        })
    }

    /// Refold's own id of the account (`_id`).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Your id of the end-user: the `linked_account_id` tokens are minted for.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The organisation the account belongs to (`associated_org`).
    pub fn associated_org(&self) -> Option<&str> {
        self.associated_org.as_deref()
    }

    /// The applications the account has connected; `None` when Refold sent `null` (as a
    /// create answers) or nothing.
    pub fn integrations(&self) -> Option<&[Integration]> {
        self.integrations.as_deref()
    }

    /// Whether the account was seeded by Refold (`is_seed`), when given.
    pub fn is_seed(&self) -> Option<bool> {
        self.is_seed
    }

    /// The tenant account it belongs to, when given.
    pub fn tenant_account_id(&self) -> Option<&str> {
        self.tenant_account_id.as_deref()
    }

    /// An upsert's answer: whether it created the account (`true`) or updated it.
    pub fn new_account(&self) -> Option<bool> {
        self.new_account
    }

    /// The Refold environment the account lives in (e.g. `test`).
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// The display name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// User-defined fields as name → value.
    pub fn udf(&self) -> &BTreeMap<String, Value> {
        &self.udf
    }

    /// When the account was created, if Refold said.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created_at
    }

    /// When the account last changed, if Refold said.
    pub fn updated_at(&self) -> Option<SystemTime> {
        self.updated_at
    }

    /// The whole object Refold returned.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }
}

impl fmt::Debug for LinkedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedAccount")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("environment", &self.environment)
            .field("name", &self.name)
            .field("udf", &self.udf)
            .field("integrations", &self.integrations)
            .field("new_account", &self.new_account)
            .finish_non_exhaustive()
    }
}

/// One page of `list_linked_accounts` (Refold's mongoose-paginate page).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkedAccountPage {
    /// The accounts of this page, in creation order.
    pub accounts: Vec<LinkedAccount>,
    /// This page's number (from 1).
    pub page: u32,
    /// Accounts per page.
    pub limit: u32,
    /// Accounts in all pages (`totalDocs`).
    pub total: u64,
    /// Pages in all.
    pub total_pages: u32,
    /// The number of this page's first account, from 1 (`pagingCounter`).
    pub paging_counter: u64,
    /// Whether a page comes before this one.
    pub has_prev_page: bool,
    /// The previous page's number, if there is one (only a page before this one counts).
    pub prev_page: Option<u32>,
    /// Whether a page comes after this one (only when `next_page` says which).
    pub has_next_page: bool,
    /// The next page's number, if there is one.
    pub next_page: Option<u32>,
}

impl LinkedAccountPage {
    /// The fields every binding maps (docs/contract.md §Linked accounts).
    pub const FIELDS: &'static [&'static str] = &[
        "accounts",
        "page",
        "limit",
        "total",
        "total_pages",
        "paging_counter",
        "has_prev_page",
        "prev_page",
        "has_next_page",
        "next_page",
    ];

    /// Reads a mongoose-paginate page; `None` when `docs` is not a list of accounts.
    pub(crate) fn from_json(json: Value, page: u32, limit: u32) -> Option<LinkedAccountPage> {
        let Value::Object(mut object) = json else {
            return None;
        };
        let Value::Array(docs) = object.remove("docs")? else {
            return None;
        };
        let accounts = docs
            .into_iter()
            .map(|doc| match doc {
                Value::Object(doc) => LinkedAccount::from_json(doc),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let number = |key: &str| object.get(key).and_then(Value::as_u64);
        let clamp = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        let page_number = number("page").map_or(page, clamp);
        // Only a next page after this one counts: a server cannot send us backwards.
        let next_page = match object.get("hasNextPage").and_then(Value::as_bool) {
            Some(false) => None,
            _ => number("nextPage")
                .map(clamp)
                .filter(|next| *next > page_number),
        };
        let limit = number("limit").map_or(limit, clamp);
        // Only a previous page before this one counts.
        let prev_page = match object.get("hasPrevPage").and_then(Value::as_bool) {
            Some(false) => None,
            _ => number("prevPage")
                .map(clamp)
                .filter(|prev| *prev >= 1 && *prev < page_number),
        };
        let paging_counter = number("pagingCounter")
            .unwrap_or_else(|| u64::from(page_number.saturating_sub(1)) * u64::from(limit) + 1);
        Some(LinkedAccountPage {
            page: page_number,
            limit,
            total: number("totalDocs").unwrap_or(accounts.len() as u64),
            total_pages: number("totalPages").map_or(page_number, clamp),
            paging_counter,
            has_prev_page: prev_page.is_some(),
            prev_page,
            has_next_page: next_page.is_some(),
            next_page,
            accounts,
        })
    }
}

/// Checks list arguments before anything is sent.
pub(crate) fn validate_page(page: u32, limit: u32) -> Result<(), Error> {
    if page == 0 {
        return Err(Error::invalid_input("page starts at 1."));
    }
    if limit == 0 || limit > MAX_PAGE_LIMIT {
        return Err(Error::invalid_input(format!(
            "limit must be from 1 to {MAX_PAGE_LIMIT}, not {limit}."
        )));
    }
    Ok(())
}

/// A page number or limit from a dynamically typed host: a whole number from `min` to `max`,
/// else `invalid_input` naming `what`.
#[doc(hidden)]
#[deprecated(note = "a shim until the bindings move onto `refold_session::host::page_arguments`")]
pub fn page_argument(what: &str, value: f64, max: u32) -> Result<u32, Error> {
    if let Some(number) = whole_number(value, max as usize).filter(|n| *n >= 1) {
        Ok(number as u32)
    } else {
        Err(Error::invalid_input(format!(
            "{} must be a whole number from 1 to {max}, not {value}.",
            clean_line(what, 20)
        )))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    #[test]
    fn reads_the_official_payload_and_checks_it() {
        let input = LinkedAccountInput::from_json(&json!({
            "linked_account_id": "u1", "name": "Mark",
            "udf": {"phone": "123", "vip": true, "n": 1, "none": null},
            "your_app": {"app_id": "a1", "auth_credentials": {"token": "SECRET_CRED_1"}}
        }))
        .unwrap();
        input.validate().unwrap();
        assert_eq!(input.secrets(), vec!["SECRET_CRED_1".to_owned()]);
        assert!(!format!("{input:?}").contains("SECRET_CRED_1"));
        assert_eq!(
            input.to_body()["your_app"]["auth_credentials"]["token"],
            "SECRET_CRED_1"
        );

        for bad in [
            json!("u1"),
            json!({"name": "x"}),
            json!({"linked_account_id": 5}),
            json!({"linked_account_id": "u1", "udf": [1]}),
            json!({"linked_account_id": "u1", "nmae": "typo"}),
            json!({"linked_account_id": "u1", "your_app": {"auth_credentials": {}}}),
        ] {
            let err = LinkedAccountInput::from_json(&bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
        }
        for bad in [
            json!({"linked_account_id": " "}),
            json!({"linked_account_id": "u1", "udf": {"a": {"nested": 1}}}),
            json!({"linked_account_id": "u1", "udf": {"a": [1]}}),
            json!({"linked_account_id": "u1", "your_app": {"app_id": "a"}}),
        ] {
            let input = LinkedAccountInput::from_json(&bad).unwrap();
            assert_eq!(
                input.validate().unwrap_err().code(),
                ErrorCode::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn reads_refolds_account_and_keeps_the_whole_object() {
        let json = json!({"_id": "63cabcc596d0d10508a69bdf", "account_id": "12345678",
            "environment": "test", "name": "Mark Wood", "future_field": 1,
            "udf": [{"key_name": "k", "key_value": "v", "_id": "x"}],
            "createdAt": "2023-01-20T16:09:41.700Z", "updatedAt": "2023-08-11T06:35:07.574Z"});
        let Value::Object(object) = json else {
            unreachable!()
        };
        let account = LinkedAccount::from_json(object).unwrap();
        assert_eq!(account.account_id(), "12345678");
        assert_eq!(account.id(), Some("63cabcc596d0d10508a69bdf"));
        assert_eq!(account.udf()["k"], "v");
        assert_eq!(
            crate::time::format_rfc3339(account.created_at().unwrap()),
            "2023-01-20T16:09:41Z"
        );
        assert_eq!(account.json()["future_field"], 1);
        assert_eq!(account.integrations(), None);
    }

    #[test]
    fn reads_the_documented_shapes() {
        let created = json!({"_id": "6a3134fdc71d10070e78923e", "account_id": "user_12345",
            "name": "Acme Inc.", "environment": "test", "integrations": null});
        let Value::Object(created) = created else {
            unreachable!()
        };
        let created = LinkedAccount::from_json(created).unwrap();
        assert_eq!(created.integrations(), None);
        assert_eq!(created.created_at(), None);
        let upserted = json!({"account_id": "u", "udf": [], "__v": 0, "new_account": false,
            "is_seed": false, "tenant_account_id": null, "associated_org": "6500a1b2c3d4e5f6a7b8c9d0",
            "integrations": [
                {"type": "hubspot", "name": "Hubspot", "icon": "https://x/logo.png", "app_id": null,
                 "reauth_required": false, "createdAt": "2026-05-29T09:50:34.063Z"},
                {"type": "custom", "name": "Acme CRM", "app_id": "6a05d19680458c9a09e79c2e"},
                {"name": "no type: skipped"}, 5]});
        let Value::Object(upserted) = upserted else {
            unreachable!()
        };
        let upserted = LinkedAccount::from_json(upserted).unwrap();
        assert_eq!(upserted.new_account(), Some(false));
        assert_eq!(upserted.is_seed(), Some(false));
        assert_eq!(upserted.tenant_account_id(), None);
        assert_eq!(upserted.associated_org(), Some("6500a1b2c3d4e5f6a7b8c9d0"));
        let integrations = upserted.integrations().unwrap();
        assert_eq!(integrations.len(), 2);
        assert_eq!(integrations[0].r#type, "hubspot");
        assert_eq!(integrations[0].app_id, None);
        assert_eq!(integrations[0].reauth_required, Some(false));
        assert!(integrations[0].created_at.is_some());
        assert_eq!(
            integrations[1].app_id.as_deref(),
            Some("6a05d19680458c9a09e79c2e")
        );
        let page = LinkedAccountPage::from_json(
            json!({"docs": [], "totalDocs": 32, "limit": 10, "totalPages": 4, "page": 2,
                   "pagingCounter": 11, "hasPrevPage": true, "hasNextPage": true,
                   "prevPage": 1, "nextPage": 3}),
            2,
            10,
        )
        .unwrap();
        assert_eq!(
            (
                page.paging_counter,
                page.has_prev_page,
                page.prev_page,
                page.has_next_page,
                page.next_page
            ),
            (11, true, Some(1), true, Some(3))
        );
    }

    #[test]
    fn pages_never_point_backwards() {
        let page = LinkedAccountPage::from_json(
            json!({"docs": [], "page": 3, "hasNextPage": true, "nextPage": 2, "totalDocs": 5}),
            3,
            10,
        )
        .unwrap();
        assert_eq!(page.next_page, None);
        let page = LinkedAccountPage::from_json(
            json!({"docs": [], "page": 3, "hasPrevPage": true, "prevPage": 7}),
            3,
            10,
        )
        .unwrap();
        assert_eq!(
            (page.prev_page, page.has_prev_page, page.paging_counter),
            (None, false, 21)
        );
        assert!(LinkedAccountPage::from_json(json!({"docs": [1]}), 1, 10).is_none());
        assert_eq!(
            validate_page(0, 10).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert_eq!(
            validate_page(1, 101).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        #[allow(deprecated)]
        {
            assert_eq!(
                page_argument("limit", 2.5, 100).unwrap_err().code(),
                ErrorCode::InvalidInput
            );
            assert_eq!(page_argument("page", 7.0, u32::MAX).unwrap(), 7);
        }
    }
}
