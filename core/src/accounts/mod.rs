//! Linked accounts: the data (`model`), the calls of the client (`calls`) and the walk over
//! every page (`pager`).

mod calls;
mod model;
mod pager;

pub use self::model::{
    DEFAULT_PAGE_LIMIT, LinkedAccount, LinkedAccountInput, LinkedAccountPage, MAX_PAGE_LIMIT,
    MAX_PAGES, YourApp, page_argument,
};
pub use self::pager::LinkedAccountPages;
