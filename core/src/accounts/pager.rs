//! Walking every linked account, page after page, within [`MAX_PAGES`]: what the bindings'
//! iterators and [`Client::linked_accounts`] are built on.

use std::collections::VecDeque;

use super::model::{LinkedAccount, LinkedAccountPage, MAX_PAGES};
use crate::client::Client;
use crate::error::Error;
use crate::options::RequestOptions;

/// Walks the pages of `list_linked_accounts`.
pub struct LinkedAccountPages {
    client: Client,
    next: Option<u32>,
    limit: u32,
    fetched: u32,
    options: RequestOptions,
}

impl LinkedAccountPages {
    /// Pages of `limit` accounts (checked on the first fetch), from page 1.
    pub fn new(client: Client, limit: u32) -> Self {
        LinkedAccountPages::with_options(client, limit, RequestOptions::default())
    }

    /// [`LinkedAccountPages::new`] with per-call options for every page's request.
    pub fn with_options(client: Client, limit: u32, options: RequestOptions) -> Self {
        LinkedAccountPages {
            client,
            next: Some(1),
            limit,
            fetched: 0,
            options,
        }
    }

    /// The next page, or `None` after the last one, an error, or [`MAX_PAGES`] pages.
    pub async fn next_page(&mut self) -> Option<Result<LinkedAccountPage, Error>> {
        let page = self.next.take()?;
        if self.fetched >= MAX_PAGES {
            return None;
        }
        self.fetched += 1;
        let result = self
            .client
            .list_linked_accounts_with(page, self.limit, self.options)
            .await;
        if let Ok(fetched) = &result {
            // An empty page ends the walk even if the server claims more.
            if !fetched.accounts.is_empty() {
                self.next = fetched.next_page;
            }
        }
        Some(result)
    }
}

impl Client {
    /// Every linked account, page after page (`limit` per request), as a stream. It ends after
    /// the last page, after an error, or after [`MAX_PAGES`] pages.
    pub fn linked_accounts(
        &self,
        limit: u32,
    ) -> impl futures_core::Stream<Item = Result<LinkedAccount, Error>> + Send + 'static {
        let pages = LinkedAccountPages::new(self.clone(), limit);
        futures_util::stream::unfold(
            (pages, VecDeque::new()),
            |(mut pages, mut buffered)| async move {
                loop {
                    if let Some(account) = buffered.pop_front() {
                        return Some((Ok(account), (pages, buffered)));
                    }
                    match pages.next_page().await? {
                        Ok(page) => buffered.extend(page.accounts),
                        Err(error) => return Some((Err(error), (pages, buffered))),
                    }
                }
            },
        )
    }
}
