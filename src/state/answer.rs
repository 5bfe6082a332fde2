//! [`Answer`]: a store call's result, either already there or still to come.
//!
//! The store traits are async because a shared store answers over the network, and an
//! `async_trait` method boxes its future: one heap allocation per call even when the store
//! answers without I/O. The in-memory stores answer in place, so the request path calls the
//! traits' `answer_*` entry points ([`super::DedupStore::answer_claim`],
//! [`super::DedupStore::answer_commit`], [`super::DedupStore::answer_release`],
//! [`super::RateLimitStore::answer_decide`]), which return
//! [`Answer::Ready`] for them and only box a future ([`Answer::Pending`]) for a store that does
//! I/O. The same idea as `std::task::Poll::Ready` at the first poll, decided before any future
//! exists.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;

/// A store call's result: `Ready` when the store answered in place (no future, no allocation),
/// `Pending` when it must be awaited (a store that does I/O). Await it either way.
#[must_use = "an Answer does nothing unless awaited"]
pub enum Answer<'a, T> {
    /// The store answered without I/O. `None` once the answer was taken by a poll.
    Ready(Option<T>),
    /// The store's future (boxed by `async_trait`).
    Pending(BoxFuture<'a, T>),
}

impl<T> Answer<'_, T> {
    /// An answer that is already there.
    pub fn ready(value: T) -> Self {
        Answer::Ready(Some(value))
    }
}

impl<T: Unpin> Future for Answer<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Answer::Ready(value) => Poll::Ready(value.take().expect("Answer polled after Ready")),
            Answer::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> std::fmt::Debug for Answer<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Answer::Ready(_) => "Answer::Ready",
            Answer::Pending(_) => "Answer::Pending",
        })
    }
}
