//! Refold's whole API as data: one [`Operation`] per operation ([`OPERATIONS`]) and typed
//! [`models`] of its JSON, generated from Refold's API description by `codegen/` (see
//! `codegen/README.md`; `make generate` rewrites `operations.rs`, `models.rs` and
//! `roundtrip.rs`, `make check-generated` fails when they are stale).

mod call;
pub mod models;
mod official;
mod official_client;
mod official_generated;
mod operation;
mod operations;
#[cfg(test)]
mod roundtrip;
#[cfg(test)]
mod tests;
mod typed;
mod typed_api;

pub use call::{
    ApiFile, ApiPage, ApiRequest, MAX_FILES, MAX_PAGE, MAX_PARAM_CHARS, MAX_REQUEST_BODY_BYTES,
    MAX_UPLOAD_BYTES, ScopedClient, allowed_for_linked_account, allowed_for_session_token,
    operation, param_from_text,
};
pub use official::{MAX_WEBHOOK_EVENTS, OFFICIAL_PREFIX, RETIRED_OPERATIONS, retired_operation};
pub use official_client::Official;
pub use operation::{
    Auth, BodyKind, LinkedAccountHeader, Method, Operation, Pagination, Param, ParamKind,
    ParamLocation, RetryRule,
};
pub use operations::{OPERATIONS, by_id};
#[cfg(feature = "test-hooks")]
pub use typed::dispatch_for_tests;
pub use typed_api::{Api, answer_shape_error};
