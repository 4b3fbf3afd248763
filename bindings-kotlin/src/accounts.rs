//! Linked accounts across the FFI (docs/contract.md §Linked accounts): the calls, the account
//! and page records they return, and the all-pages walker (the core's `LinkedAccountPages`).
//! What is sent is read by the core from the Kotlin layer's host value (`host_value.rs`);
//! every check and message is the core's.

use std::sync::Arc;
use std::time::SystemTime;

use refold_session::host::{self, HostValue};
use refold_session::{
    Client, Integration, LinkedAccount, LinkedAccountPage, LinkedAccountPages,
    linked_account_id_not_unicode,
};
use tokio::sync::Mutex;

use crate::json::{FfiJsonMember, members};
use crate::{FfiClient, FfiError, KOTLIN, guard, host_value, request_options, runtime, token_text};

/// An application a linked account has connected.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiIntegration {
    pub r#type: String,
    pub name: String,
    pub app_id: Option<String>,
    pub icon: Option<String>,
    pub reauth_required: Option<bool>,
    pub created_at: Option<SystemTime>,
    pub updated_at: Option<SystemTime>,
}

impl From<&Integration> for FfiIntegration {
    fn from(integration: &Integration) -> Self {
        FfiIntegration {
            r#type: integration.r#type.clone(),
            name: integration.name.clone(),
            app_id: integration.app_id.clone(),
            icon: integration.icon.clone(),
            reauth_required: integration.reauth_required,
            created_at: integration.created_at,
            updated_at: integration.updated_at,
        }
    }
}

/// A linked account as Refold returned it: the documented fields, and the whole object.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiLinkedAccount {
    pub id: Option<String>,
    pub account_id: String,
    pub associated_org: Option<String>,
    pub environment: Option<String>,
    pub name: Option<String>,
    pub udf: Vec<FfiJsonMember>,
    pub integrations: Option<Vec<FfiIntegration>>,
    pub is_seed: Option<bool>,
    pub tenant_account_id: Option<String>,
    pub new_account: Option<bool>,
    pub created_at: Option<SystemTime>,
    pub updated_at: Option<SystemTime>,
    pub json: Vec<FfiJsonMember>,
}

impl From<LinkedAccount> for FfiLinkedAccount {
    fn from(account: LinkedAccount) -> Self {
        FfiLinkedAccount {
            id: account.id().map(str::to_owned),
            account_id: account.account_id().to_owned(),
            associated_org: account.associated_org().map(str::to_owned),
            environment: account.environment().map(str::to_owned),
            name: account.name().map(str::to_owned),
            udf: members(account.udf().clone()),
            integrations: account
                .integrations()
                .map(|list| list.iter().map(FfiIntegration::from).collect()),
            is_seed: account.is_seed(),
            tenant_account_id: account.tenant_account_id().map(str::to_owned),
            new_account: account.new_account(),
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
    pub paging_counter: i64,
    pub has_prev_page: bool,
    pub prev_page: Option<i32>,
    pub has_next_page: bool,
    pub next_page: Option<i32>,
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn long(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl From<LinkedAccountPage> for FfiLinkedAccountPage {
    fn from(page: LinkedAccountPage) -> Self {
        FfiLinkedAccountPage {
            page: int(page.page),
            limit: int(page.limit),
            total: long(page.total),
            total_pages: int(page.total_pages),
            paging_counter: long(page.paging_counter),
            has_prev_page: page.has_prev_page,
            prev_page: page.prev_page.map(int),
            has_next_page: page.has_next_page,
            next_page: page.next_page.map(int),
            accounts: page.accounts.into_iter().map(Into::into).collect(),
        }
    }
}

/// `page` and `limit` as the core reads them (`None`: its default).
fn page_arguments(page: Option<i32>, limit: Option<i32>) -> Result<(u32, u32), FfiError> {
    let member =
        |value: Option<i32>| value.map_or(HostValue::Missing, |n| HostValue::Integer(n.into()));
    let arguments = host::page_arguments(
        &HostValue::map([("page", member(page)), ("limit", member(limit))]),
        KOTLIN,
    )?;
    Ok((arguments.page, arguments.limit))
}

fn account_id(id: Option<String>) -> Result<String, FfiError> {
    Ok(id.ok_or_else(linked_account_id_not_unicode)?)
}

async fn save(
    client: Client,
    input: Vec<u8>,
    create: bool,
    options: Option<Vec<u8>>,
) -> Result<FfiLinkedAccount, FfiError> {
    let options = request_options(options, false)?;
    let input = host::linked_account_input(&host_value::read(input)?, KOTLIN)?;
    let account = if create {
        client.create_linked_account_with(&input, options).await?
    } else {
        client.upsert_linked_account_with(&input, options).await?
    };
    Ok(account.into())
}

async fn get(
    client: Client,
    id: Option<String>,
    options: Option<Vec<u8>>,
) -> Result<FfiLinkedAccount, FfiError> {
    let options = request_options(options, false)?;
    Ok(client
        .get_linked_account_with(&account_id(id)?, options)
        .await?
        .into())
}

async fn active(
    client: Client,
    token: Option<String>,
    options: Option<Vec<u8>>,
) -> Result<FfiLinkedAccount, FfiError> {
    let options = request_options(options, false)?;
    Ok(client
        .get_active_linked_account_with(&token_text(token), options)
        .await?
        .into())
}

async fn delete(
    client: Client,
    id: Option<String>,
    options: Option<Vec<u8>>,
) -> Result<Vec<FfiJsonMember>, FfiError> {
    let options = request_options(options, false)?;
    Ok(members(
        client
            .delete_linked_account_with(&account_id(id)?, options)
            .await?,
    ))
}

async fn list(
    client: Client,
    page: Option<i32>,
    limit: Option<i32>,
    options: Option<Vec<u8>>,
) -> Result<FfiLinkedAccountPage, FfiError> {
    let options = request_options(options, false)?;
    let (page, limit) = page_arguments(page, limit)?;
    Ok(client
        .list_linked_accounts_with(page, limit, options)
        .await?
        .into())
}

/// Each call has an async form (awaits the task on the binding's runtime; cancelling
/// abandons it) and a blocking one (`block_on` from the calling JVM thread). `None` after
/// `release()`. `input` is the linked account as a host value (`{linkedAccountId, name, udf,
/// yourApp}` as the official SDK's payload, snake_case keys), `options` the per-call options.
#[uniffi::export]
impl FfiClient {
    /// `PUT` (upsert) or, with `create`, `POST` the account.
    pub async fn save_linked_account(
        &self,
        input: Vec<u8>,
        create: bool,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run(move |client| save(client, input, create, options))
            .await
    }

    pub fn save_linked_account_blocking(
        &self,
        input: Vec<u8>,
        create: bool,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run_blocking(move |client| save(client, input, create, options))
    }

    pub async fn get_linked_account(
        &self,
        linked_account_id: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run(move |client| get(client, linked_account_id, options))
            .await
    }

    pub fn get_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run_blocking(move |client| get(client, linked_account_id, options))
    }

    /// The linked account a session token belongs to (Bearer, no API key).
    pub async fn get_active_linked_account(
        &self,
        token: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run(move |client| active(client, token, options)).await
    }

    pub fn get_active_linked_account_blocking(
        &self,
        token: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccount>, FfiError> {
        self.run_blocking(move |client| active(client, token, options))
    }

    /// Refold's answer to the delete, as an object's members.
    pub async fn delete_linked_account(
        &self,
        linked_account_id: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<Vec<FfiJsonMember>>, FfiError> {
        self.run(move |client| delete(client, linked_account_id, options))
            .await
    }

    pub fn delete_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<Vec<FfiJsonMember>>, FfiError> {
        self.run_blocking(move |client| delete(client, linked_account_id, options))
    }

    /// One page; `None`s are the core's defaults.
    pub async fn list_linked_accounts(
        &self,
        page: Option<i32>,
        limit: Option<i32>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        self.run(move |client| list(client, page, limit, options))
            .await
    }

    pub fn list_linked_accounts_blocking(
        &self,
        page: Option<i32>,
        limit: Option<i32>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiLinkedAccountPage>, FfiError> {
        self.run_blocking(move |client| list(client, page, limit, options))
    }

    /// A walker over every page from page 1 (`limit` `None`: the core's default); `None`
    /// after `release()`.
    pub fn linked_account_pages(
        &self,
        limit: Option<i32>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<Arc<FfiLinkedAccountPages>>, FfiError> {
        guard(|| {
            let Some(client) = self.current() else {
                return Ok(None);
            };
            let options = request_options(options, false)?;
            let (_, limit) = page_arguments(None, limit)?;
            Ok(Some(Arc::new(FfiLinkedAccountPages {
                pages: Arc::new(Mutex::new(LinkedAccountPages::with_options(
                    client, limit, options,
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
