//! The typed face of the API: [`Api`], the handle `client.api()` returns, whose generated
//! methods (`typed.rs`, one per operation) turn typed parameters and bodies into an
//! [`ApiRequest`], call through the same engine as [`Client::call`], and read the answer into
//! the operation's model. Every rule stays the generic call's (validation, scope, retries,
//! pages); this module only converts.

use std::collections::VecDeque;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::call::{ApiFile, ApiPage, ApiRequest, ScopedClient};
use crate::client::Client;
use crate::error::{Error, ErrorCode};
use crate::options::{Dialect, RequestOptions};

/// Most pages an `…_all` stream reads (the generic pager's cap, [`super::MAX_PAGE`], bounds
/// the page numbers too).
const MAX_PAGES: u32 = 10_000;

/// Every operation of Refold's API as a typed method (generated: `api/typed.rs`), for a client
/// or a client scoped to one linked account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Api {
    caller: ScopedClient,
    options: RequestOptions,
}

impl Client {
    /// The whole API as typed methods, e.g. `client.api().list_persistent_tables(&params)`.
    /// Operations that act for a linked account take it from a scoped client
    /// (`client.for_linked_account(id)?.api()`).
    pub fn api(&self) -> Api {
        Api {
            caller: ScopedClient::org(self),
            options: RequestOptions::default(),
        }
    }
}

impl ScopedClient {
    /// The operations this client may call, as typed methods (the others fail with
    /// `permission_denied`… as [`ScopedClient::call`] does, nothing sent).
    pub fn api(&self) -> Api {
        Api {
            caller: self.clone(),
            options: RequestOptions::default(),
        }
    }
}

impl Api {
    /// The same handle with per-call options for every call made through it.
    pub fn with_options(mut self, options: RequestOptions) -> Api {
        self.options = options;
        self
    }

    /// Calls `operation_id` and reads its answer as `T`.
    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        operation_id: &'static str,
        request: ApiRequest,
    ) -> Result<T, Error> {
        let answer = self
            .caller
            .call_with(operation_id, request, self.options)
            .await?;
        decode(operation_id, answer)
    }

    /// Every item of the paginated list `operation_id`, page after page, as a stream; it ends
    /// after the last page, after an error, or after [`MAX_PAGES`] pages.
    pub(super) fn items<T: DeserializeOwned + Send + 'static>(
        &self,
        operation_id: &'static str,
        request: ApiRequest,
    ) -> impl futures_core::Stream<Item = Result<T, Error>> + Send + 'static {
        struct Walk {
            api: Api,
            request: ApiRequest,
            pages: u32,
            done: bool,
            buffered: VecDeque<Value>,
        }
        let walk = Walk {
            api: self.clone(),
            request,
            pages: 0,
            done: false,
            buffered: VecDeque::new(),
        };
        futures_util::stream::unfold(walk, move |mut walk| async move {
            loop {
                if let Some(item) = walk.buffered.pop_front() {
                    return Some((decode(operation_id, item), walk));
                }
                if walk.done || walk.pages >= MAX_PAGES {
                    return None;
                }
                walk.pages += 1;
                let page: Result<ApiPage, Error> = walk
                    .api
                    .caller
                    .call_page(operation_id, walk.request.clone(), walk.api.options)
                    .await;
                match page {
                    Ok(page) => {
                        match page.next_page {
                            Some(next) if !page.items.is_empty() => {
                                walk.request.params.insert("page".into(), next.into());
                            }
                            _ => walk.done = true,
                        }
                        walk.buffered.extend(page.items);
                    }
                    Err(error) => {
                        walk.done = true;
                        return Some((Err(error), walk));
                    }
                }
            }
        })
    }
}

/// The request of typed `params`, `body` and `files`. A value that does not serialize to what
/// the operation takes is `invalid_input`, nothing sent.
pub(super) fn request<P: Serialize, B: Serialize>(
    operation_id: &str,
    params: Option<&P>,
    body: Option<&B>,
    files: Vec<ApiFile>,
) -> Result<ApiRequest, Error> {
    let params = match params {
        None => Map::new(),
        Some(params) => match to_value(operation_id, "parameters", params)? {
            Value::Object(map) => map,
            _ => return Err(shape(operation_id, "parameters")),
        },
    };
    let body = match body {
        None => None,
        Some(body) => Some(to_value(operation_id, "a body", body)?),
    };
    Ok(ApiRequest {
        params,
        body,
        files,
        linked_account_id: None,
    })
}

fn to_value<T: Serialize>(operation_id: &str, what: &str, value: &T) -> Result<Value, Error> {
    // serde's own message can quote a value (a secret field): never passed on.
    serde_json::to_value(value).map_err(|_| shape(operation_id, what))
}

fn shape(operation_id: &str, what: &str) -> Error {
    Error::invalid_input(format!(
        "{operation_id} was given {what} that JSON cannot carry as the operation takes it; \
         nothing was sent."
    ))
}

/// `answer` read as `T`, else `invalid_response` (the raw JSON stays readable through
/// [`Client::call`]). serde's message is not quoted: it can hold a value of the answer.
fn decode<T: DeserializeOwned>(operation_id: &str, answer: Value) -> Result<T, Error> {
    serde_json::from_value(answer).map_err(|_| answer_shape_error(operation_id, &Dialect::RUST))
}

/// The `invalid_response` of an answer of `operation_id` that does not fit its model, worded
/// for the host `dialect` (which names where it reads the answer as JSON). For a binding whose
/// typed models are its host's own (Kotlin's serialization): the decoder's message is never
/// passed on, as it can quote a value of the answer.
pub fn answer_shape_error(operation_id: &str, dialect: &Dialect) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "The answer of {operation_id} does not have the documented shape of its model; \
             {} returns it as JSON.",
            dialect.raw_call
        ),
    )
}

#[cfg(test)]
mod answer_shape_tests {
    use super::*;

    #[test]
    fn a_misfit_answer_is_invalid_response_naming_where_the_host_reads_it_as_json() {
        for (dialect, raw) in [
            (Dialect::RUST, "Client::call"),
            (Dialect::KOTLIN, "api.raw (or client.call)"),
        ] {
            let error = answer_shape_error("listWebhooks", &dialect);
            assert_eq!(error.code(), ErrorCode::InvalidResponse);
            assert_eq!(
                error.message(),
                format!(
                    "The answer of listWebhooks does not have the documented shape of its \
                     model; {raw} returns it as JSON."
                )
            );
        }
        assert!(
            Dialect::ALL
                .iter()
                .all(|dialect| !dialect.raw_call.is_empty())
        );
    }
}
