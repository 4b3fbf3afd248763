//! Linked accounts: the data (`model`), the calls of the client (`calls`: the API-key ones and
//! the session-token ones) and the walk over every page (`pager`).

mod calls;
mod model;
mod pager;

pub(crate) use self::calls::decode_account;
#[allow(deprecated)]
pub use self::model::page_argument;
pub use self::model::{
    DEFAULT_PAGE_LIMIT, Integration, LinkedAccount, LinkedAccountInput, LinkedAccountPage,
    MAX_PAGE_LIMIT, MAX_PAGES, YourApp,
};
pub use self::pager::LinkedAccountPages;
