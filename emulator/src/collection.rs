//! A bounded, in-memory collection of JSON documents (events, webhooks,
//! workflows, tables, …), each optionally owned by a linked account, and
//! the mongoose-paginate-v2 page Refold's list operations answer.

use std::ops::{Deref, DerefMut, Index};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::respond::Answer;
use crate::routes::Call;

/// Most documents of one kind.
pub(crate) const MAX_DOCUMENTS: usize = 10_000;
/// Most bytes (serialised) of one kind's documents.
pub(crate) const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A document's members. Indexing a member that is not there gives
/// `null` (as indexing a `Value` does), never a panic.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct Fields(pub Map<String, Value>);

static NULL: Value = Value::Null;

impl Index<&str> for Fields {
    type Output = Value;

    fn index(&self, name: &str) -> &Value {
        self.0.get(name).unwrap_or(&NULL)
    }
}

impl Deref for Fields {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(members: Map<String, Value>) -> Fields {
        Fields(members)
    }
}

impl From<Fields> for Value {
    fn from(fields: Fields) -> Value {
        Value::Object(fields.0)
    }
}

impl Fields {
    /// The members of `value` when it is an object (else none).
    pub(crate) fn of(value: Value) -> Fields {
        match value {
            Value::Object(members) => Fields(members),
            _ => Fields::default(),
        }
    }
}

/// One document: its id, the linked account it belongs to (if any), its
/// members as answered, and what the emulator keeps beside them (never
/// answered as such).
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub id: String,
    pub account: Option<String>,
    pub body: Fields,
    pub extra: Value,
}

impl Doc {
    /// A document with nothing kept beside its body.
    pub(crate) fn new(id: String, account: Option<String>, body: impl Into<Fields>) -> Doc {
        Doc {
            id,
            account,
            body: body.into(),
            extra: Value::Null,
        }
    }

    fn cost(&self) -> usize {
        self.id.len()
            + self.account.as_ref().map_or(0, String::len)
            + serde_json::to_vec(&self.body).map_or(0, |bytes| bytes.len())
            + serde_json::to_vec(&self.extra).map_or(0, |bytes| bytes.len())
    }
}

/// Which documents an operation may see.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// Every document (org-level calls).
    Any,
    /// The documents of this account.
    Account(&'a str),
}

impl Scope<'_> {
    /// The scope of a caller: its account, else the whole org.
    pub(crate) fn of<'a>(account: Option<&'a str>) -> Scope<'a> {
        account.map_or(Scope::Any, Scope::Account)
    }

    fn admits(&self, doc: &Doc) -> bool {
        match self {
            Scope::Any => true,
            Scope::Account(account) => doc.account.as_deref() == Some(account),
        }
    }
}

#[derive(Default)]
struct Inner {
    docs: Vec<Doc>,
    bytes: usize,
}

pub(crate) struct Collection {
    /// What the documents are, for the limit's message.
    kind: &'static str,
    inner: Mutex<Inner>,
}

impl Collection {
    pub(crate) fn new(kind: &'static str) -> Self {
        Self {
            kind,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn full(&self) -> Answer {
        Answer::bad_request(&format!(
            "the emulator keeps at most {MAX_DOCUMENTS} {} ({} MiB)",
            self.kind,
            MAX_BYTES / (1024 * 1024)
        ))
    }

    /// Adds `doc` (last); a 400 when the collection is full.
    pub(crate) fn insert(&self, doc: Doc) -> Result<Fields, Answer> {
        let cost = doc.cost();
        let mut inner = self.lock();
        if inner.docs.len() >= MAX_DOCUMENTS || inner.bytes + cost > MAX_BYTES {
            return Err(self.full());
        }
        inner.bytes += cost;
        let body = doc.body.clone();
        inner.docs.push(doc);
        Ok(body)
    }

    /// Adds `doc`, dropping the oldest documents while the collection is
    /// full (for what the emulator makes by itself, such as executions).
    pub(crate) fn insert_evicting(&self, doc: Doc) -> Fields {
        let cost = doc.cost();
        let mut inner = self.lock();
        while !inner.docs.is_empty()
            && (inner.docs.len() >= MAX_DOCUMENTS || inner.bytes + cost > MAX_BYTES)
        {
            let oldest = inner.docs.remove(0);
            inner.bytes -= oldest.cost();
        }
        inner.bytes += cost;
        let body = doc.body.clone();
        inner.docs.push(doc);
        body
    }

    /// The document `id` in `scope`.
    pub(crate) fn get(&self, id: &str, scope: Scope<'_>) -> Option<Doc> {
        self.lock()
            .docs
            .iter()
            .find(|doc| doc.id == id && scope.admits(doc))
            .cloned()
    }

    /// Changes the document `id` in `scope` with `change`; `None` when
    /// there is none, `Some(Err)` when the change would overflow the
    /// collection (then nothing changes).
    pub(crate) fn update<T>(
        &self,
        id: &str,
        scope: Scope<'_>,
        change: impl FnOnce(&mut Doc) -> T,
    ) -> Option<Result<(T, Doc), Answer>> {
        let mut inner = self.lock();
        let index = inner
            .docs
            .iter()
            .position(|doc| doc.id == id && scope.admits(doc))?;
        let mut changed = inner.docs[index].clone();
        let outcome = change(&mut changed);
        let (before, after) = (inner.docs[index].cost(), changed.cost());
        if inner.bytes - before + after > MAX_BYTES {
            return Some(Err(self.full()));
        }
        inner.bytes = inner.bytes - before + after;
        inner.docs[index] = changed.clone();
        Some(Ok((outcome, changed)))
    }

    /// Removes the document `id` in `scope`.
    pub(crate) fn remove(&self, id: &str, scope: Scope<'_>) -> Option<Doc> {
        let mut inner = self.lock();
        let index = inner
            .docs
            .iter()
            .position(|doc| doc.id == id && scope.admits(doc))?;
        let doc = inner.docs.remove(index);
        inner.bytes -= doc.cost();
        Some(doc)
    }

    /// The documents in `scope` that `keep` accepts, in insertion order.
    pub(crate) fn select(&self, scope: Scope<'_>, keep: impl Fn(&Doc) -> bool) -> Vec<Doc> {
        self.lock()
            .docs
            .iter()
            .filter(|doc| scope.admits(doc) && keep(doc))
            .cloned()
            .collect()
    }

    /// Changes every document in `scope` that `keep` accepts; how many.
    pub(crate) fn update_where(
        &self,
        scope: Scope<'_>,
        keep: impl Fn(&Doc) -> bool,
        change: impl Fn(&mut Doc),
    ) -> Result<Vec<Doc>, Answer> {
        let mut inner = self.lock();
        let mut bytes = inner.bytes;
        let mut changed = Vec::new();
        for (index, doc) in inner.docs.iter().enumerate() {
            if scope.admits(doc) && keep(doc) {
                let mut copy = doc.clone();
                change(&mut copy);
                bytes = bytes - doc.cost() + copy.cost();
                changed.push((index, copy));
            }
        }
        if bytes > MAX_BYTES {
            return Err(self.full());
        }
        inner.bytes = bytes;
        for (index, doc) in &changed {
            inner.docs[*index] = doc.clone();
        }
        Ok(changed.into_iter().map(|(_, doc)| doc).collect())
    }

    /// Removes every document in `scope` that `drop` accepts; how many.
    pub(crate) fn remove_where(&self, scope: Scope<'_>, drop: impl Fn(&Doc) -> bool) -> usize {
        let mut inner = self.lock();
        let before = inner.docs.len();
        let mut freed = 0;
        inner.docs.retain(|doc| {
            let gone = scope.admits(doc) && drop(doc);
            if gone {
                freed += doc.cost();
            }
            !gone
        });
        inner.bytes -= freed;
        before - inner.docs.len()
    }

    /// Forgets a deleted linked account's documents.
    pub(crate) fn forget_account(&self, account: &str) {
        self.remove_where(Scope::Account(account), |_| true);
    }
}

/// `page` and `limit` of a list call (checked by the description's schema
/// with the bounds of docs/contract.md: 1–10⁹ and 1–100); `limit` defaults
/// to `default_limit`.
pub(crate) fn page_query(call: &Call<'_>, default_limit: u64) -> (u64, u64) {
    let number = |name: &str| {
        call.query_text(name)
            .and_then(|text| text.parse::<u64>().ok())
            .filter(|n| *n >= 1)
    };
    (
        number("page").unwrap_or(1),
        number("limit").unwrap_or(default_limit).min(100),
    )
}

/// A mongoose-paginate-v2 page of `items` (`docs` named `items_name`).
pub(crate) fn page(items: Vec<Value>, page: u64, limit: u64, items_name: &str) -> Value {
    let total = items.len() as u64;
    let total_pages = total.div_ceil(limit).max(1);
    let skip = page.saturating_sub(1).saturating_mul(limit);
    let docs: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let has_next = page < total_pages;
    let has_prev = page > 1;
    json!({
        items_name: docs,
        "totalDocs": total,
        "limit": limit,
        "totalPages": total_pages,
        "page": page,
        "pagingCounter": skip + 1,
        "hasPrevPage": has_prev,
        "hasNextPage": has_next,
        "prevPage": if has_prev { Some(page - 1) } else { None },
        "nextPage": if has_next { Some(page + 1) } else { None },
    })
}

/// The bodies of `docs`.
pub(crate) fn bodies(docs: Vec<Doc>) -> Vec<Value> {
    docs.into_iter().map(|doc| Value::from(doc.body)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, account: Option<&str>) -> Doc {
        Doc::new(
            id.to_owned(),
            account.map(str::to_owned),
            Fields::of(json!({"_id": id})),
        )
    }

    #[test]
    fn scopes_and_bytes() {
        let collection = Collection::new("things");
        collection.insert(doc("a", Some("u1"))).unwrap();
        collection.insert(doc("b", None)).unwrap();
        assert!(collection.get("a", Scope::Account("u2")).is_none());
        assert!(collection.get("a", Scope::Account("u1")).is_some());
        assert!(collection.get("b", Scope::Any).is_some());
        let (_, changed) = collection
            .update("a", Scope::Any, |doc| {
                doc.body.insert("x".into(), json!("y"));
            })
            .unwrap()
            .unwrap();
        assert_eq!(changed.body["x"], "y");
        collection.forget_account("u1");
        assert_eq!(collection.lock().docs.len(), 1);
        assert_eq!(collection.lock().bytes, doc("b", None).cost());
        assert!(collection.remove("b", Scope::Any).is_some());
        assert_eq!(collection.lock().bytes, 0);
    }

    #[test]
    fn pages() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let second = page(items.clone(), 2, 2, "docs");
        assert_eq!(second["docs"], json!([2, 3]));
        assert_eq!(second["totalPages"], 3);
        assert_eq!(second["nextPage"], 3);
        assert_eq!(second["prevPage"], 1);
        let past = page(items, 9, 2, "docs");
        assert_eq!(past["docs"], json!([]));
        assert_eq!(past["hasNextPage"], false);
        let empty = page(Vec::new(), 1, 10, "rows");
        assert_eq!(empty["totalPages"], 1);
        assert_eq!(empty["rows"], json!([]));
    }
}
