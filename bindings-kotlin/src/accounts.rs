//! Linked accounts across the FFI (docs/contract.md §Linked accounts): the calls, what they
//! send and return, and the all-pages walker (the core's `LinkedAccountPages`). Every check and
//! message is the core's.

use std::sync::Arc;
use std::time::SystemTime;

use refold_session::{
    Client, LinkedAccount, LinkedAccountInput, LinkedAccountPage, LinkedAccountPages,
    MAX_PAGE_LIMIT, YourApp, field_not_unicode, field_type_error, linked_account_id_not_unicode,
    page_argument,
};
use tokio::sync::Mutex;

use crate::json::{FfiJson, FfiJsonMember, members, object};
use crate::{FfiClient, FfiError, guard, runtime};

/// What `upsert`/`create` send, but the credentials (a separate argument, since uniffi
/// records become Kotlin data classes whose `toString()` shows every field).
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiAccountFields {
    /// `None`: the Kotlin layer found the id not to be valid Unicode.
    pub linked_account_id: Option<String>,
    pub name: Option<String>,
    pub udf: Option<Vec<FfiJsonMember>>,
    /// `your_app.app_id`; `your_app` is sent when this is set.
    pub app_id: Option<String>,
    /// The field (as the Kotlin API names it) whose text is not valid Unicode, passed empty.
    pub not_unicode: Option<String>,
    /// A value the Kotlin layer could not turn into JSON (passed as `null`).
    pub type_problem: Option<FfiTypeProblem>,
}

/// A value of a type the call cannot send, as the Kotlin layer found it: the core words the
/// `invalid_input` error (`field_type_error`); the value itself never crosses.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiTypeProblem {
    /// Where the value is, as the Kotlin API names it (e.g. `udf["born"]`).
    pub field: String,
    /// What it must be.
    pub expected: String,
    /// What it is (a type name, or `NaN`).
    pub received: String,
}

impl FfiAccountFields {
    /// The core's input. Problems the host found come first; the core checks the rest
    /// when the call starts.
    fn into_core(self, credentials: Option<FfiJson>) -> Result<LinkedAccountInput, FfiError> {
        let linked_account_id = self
            .linked_account_id
            .ok_or_else(linked_account_id_not_unicode)?;
        if let Some(field) = self.not_unicode {
            return Err(field_not_unicode(&field).into());
        }
        if let Some(problem) = self.type_problem {
            return Err(
                field_type_error(&problem.field, &problem.expected, &problem.received).into(),
            );
        }
        Ok(LinkedAccountInput {
            linked_account_id,
            name: self.name,
            udf: self.udf.map(object).transpose()?,
            your_app: self
                .app_id
                .map(|app_id| {
                    Ok::<_, FfiError>(YourApp {
                        app_id,
                        auth_credentials: credentials.map(FfiJson::into_value).transpose()?,
                    })
                })
                .transpose()?,
        })
    }
}

/// A linked account as Refold returned it: the documented fields, and the whole object.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiLinkedAccount {
    pub id: Option<String>,
    pub account_id: String,
    pub environment: Option<String>,
    pub name: Option<String>,
    pub udf: Vec<FfiJsonMember>,
    pub created_at: Option<SystemTime>,
    pub updated_at: Option<SystemTime>,
    pub json: Vec<FfiJsonMember>,
}

impl From<LinkedAccount> for FfiLinkedAccount {
    fn from(account: LinkedAccount) -> Self {
        FfiLinkedAccount {
            id: account.id().map(str::to_owned),
            account_id: account.account_id().to_owned(),
            environment: account.environment().map(str::to_owned),
            name: account.name().map(str::to_owned),
            udf: members(account.udf().clone()),
            created_at: account.created_at(),
            updated_at: account.updated_at(),
            json: members(account.json().clone()),
        }
    }
}

/// One page of accounts. Numbers are the core's, clamped to Kotlin's `Int`/`Long`.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiLinkedAccountPage {
    pub accounts: Vec<FfiLinkedAccount>,
    pub page: i32,
    pub limit: i32,
    pub total: i64,
    pub total_pages: i32,
    pub next_page: Option<i32>,
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl From<LinkedAccountPage> for FfiLinkedAccountPage {
    fn from(page: LinkedAccountPage) -> Self {
        FfiLinkedAccountPage {
            page: int(page.page),
            limit: int(page.limit),
            total: i64::try_from(page.total).unwrap_or(i64::MAX),
            total_pages: int(page.total_pages),
            next_page: page.next_page.map(int),
            accounts: page.accounts.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page number or limit from Kotlin's `Int` (`None`: the core's default limit), checked
/// and worded by the core.
fn page_number(what: &str, value: Option<i32>, max: u32) -> Result<Option<u32>, FfiError> {
    value
        .map(|value| page_argument(what, f64::from(value), max).map_err(FfiError::from))
        .transpose()
}

fn page_limit(value: Option<i32>) -> Result<u32, FfiError> {
    Ok(page_number("limit", value, MAX_PAGE_LIMIT)?.unwrap_or(refold_session::DEFAULT_PAGE_LIMIT))
}

fn account_id(id: Option<String>) -> Result<String, FfiError> {
    Ok(id.ok_or_else(linked_account_id_not_unicode)?)
}

async fn save(
    client: Client,
    fields: FfiAccountFields,
    credentials: Option<FfiJson>,
    create: bool,
) -> Result<FfiLinkedAccount, FfiError> {
    let input = fields.into_core(credentials)?;
    let account = if create {
        client.create_linked_account(&input).await?
    } else {
        client.upsert_linked_account(&input).await?
    };
    Ok(account.into())
}

async fn get(client: Client, id: Option<String>) -> Result<FfiLinkedAccount, FfiError> {
    Ok(client.get_linked_account(&account_id(id)?).await?.into())
}

async fn delete(client: Client, id: Option<String>) -> Result<Vec<FfiJsonMember>, FfiError> {
    Ok(members(
        client.delete_linked_account(&account_id(id)?).await?,
    ))
}

async fn list(
    client: Client,
    page: i32,
    limit_per_page: Option<i32>,
) -> Result<FfiLinkedAccountPage, FfiError> {
    let page = page_number("page", Some(page), u32::MAX)?.unwrap_or(1);
    let limit_per_page = page_limit(limit_per_page)?;
    Ok(client
        .list_linked_accounts(page, limit_per_page)
        .await?
        .into())
}

/// Each call has an async form (awaits the task on the binding's runtime; cancelling
/// abandons it) and a blocking one (`block_on` from the calling JVM thread). `None` after
/// `release()`.
#[uniffi::export]
impl FfiClient {
    /// `PUT` (upsert) or, with `create`, `POST` the account.
    pub async fn save_linked_account(
        &self,
        fields: FfiAccountFields,
        auth_credentials: Option<FfiJson>,
        create: bool,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run(move |client| save(client, fields, auth_credentials, create))
            .await
    }

    pub fn save_linked_account_blocking(
        &self,
        fields: FfiAccountFields,
        auth_credentials: Option<FfiJson>,
        create: bool,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run_blocking(move |client| save(client, fields, auth_credentials, create))
    }

    pub async fn get_linked_account(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run(move |client| get(client, linked_account_id)).await
    }

    pub fn get_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run_blocking(move |client| get(client, linked_account_id))
    }

    /// Refold's answer to the delete, as an object's members.
    pub async fn delete_linked_account(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<Vec<FfiJsonMember>>, FfiError> {
        self.run(move |client| delete(client, linked_account_id))
            .await
    }

    pub fn delete_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<Vec<FfiJsonMember>>, FfiError> {
        self.run_blocking(move |client| delete(client, linked_account_id))
    }

    /// One page; `limit` `None` is the core's default.
    pub async fn list_linked_accounts(
        &self,
        page: i32,
        limit: Option<i32>,
    ) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        self.run(move |client| list(client, page, limit)).await
    }

    pub fn list_linked_accounts_blocking(
        &self,
        page: i32,
        limit: Option<i32>,
    ) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        self.run_blocking(move |client| list(client, page, limit))
    }

    /// A walker over every page from page 1 (`limit` `None`: the core's default); `None`
    /// after `release()`.
    pub fn linked_account_pages(
        &self,
        limit: Option<i32>,
    ) -> Result<Option<Arc<FfiLinkedAccountPages>>, FfiError> {
        guard(|| {
            let Some(client) = self.current() else {
                return Ok(None);
            };
            Ok(Some(Arc::new(FfiLinkedAccountPages {
                pages: Arc::new(Mutex::new(LinkedAccountPages::new(
                    client,
                    page_limit(limit)?,
                ))),
            })))
        })
    }
}

/// The core's `LinkedAccountPages`: bounded, ends after the last page or an error.
#[derive(uniffi::Object)]
pub struct FfiLinkedAccountPages {
    pages: Arc<Mutex<LinkedAccountPages>>,
}

impl FfiLinkedAccountPages {
    fn spawn(&self) -> Result<crate::Task<Option<FfiLinkedAccountPage>>, FfiError> {
        let pages = Arc::clone(&self.pages);
        Ok(crate::Task(runtime()?.spawn(async move {
            let mut pages = pages.lock().await;
            match pages.next_page().await {
                None => Ok(None),
                Some(page) => Ok(Some(page?.into())),
            }
        })))
    }
}

#[uniffi::export]
impl FfiLinkedAccountPages {
    /// The next page, or `None` after the last one (or after an error was returned).
    pub async fn next_page(&self) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        guard(|| self.spawn())?.await
    }

    pub fn next_page_blocking(&self) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        guard(|| runtime()?.block_on(self.spawn()?))
    }
}
