//! Dedup commits off the request path, batched: one pipeline per wake-up of one committer task.
//!
//! A request whose delivery succeeded hands its commit here ([`RedisClient::commit_later`]) and
//! answers its client at once: it waits on one Redis round trip (the claim, joint with the rate
//! limit), not two. The committer task sends every commit pending at its wake-up as one pipeline
//! (`EVALSHA commit.lua` per element, written together, answered together), so under load many
//! requests' commits share one write and one read.
//!
//! The contract (README, "Shared state across replicas"):
//! - Until a commit lands the lease holds: a concurrent duplicate is answered 409 "in flight",
//!   as while the delivery runs, never forwarded.
//! - A commit that fails (error reply, timeout, no connection, breaker open, the hand-off queue
//!   full) is counted in `hookgate_state_calls_total{op="commit",result=...}` and logged; the
//!   lease then expires after the route's `upstream_timeout` and a retry of the event is
//!   delivered again: at-least-once, never a loss.
//! - A graceful stop waits for the commits handed over before it ([`RedisClient::flush_commits`],
//!   called by the drain once no request is in flight).
//!
//! The task is spawned on the tokio runtime of the first commit and holds only a weak reference
//! to its client: it ends when the client is dropped (its sender with it).

use std::sync::{Arc, OnceLock, Weak};

use ::redis::{Cmd, ErrorKind, RedisResult, Script, ServerErrorKind};
use tokio::sync::{mpsc, oneshot};

use super::client::Call;
use super::metrics::{CallResult, Op};
use super::RedisClient;

/// Commits waiting for the committer at most (beyond it a commit fails, counted: at a round trip
/// per batch this is far more than a gateway hands over while one batch is answered).
const QUEUE_CAPACITY: usize = 65_536;
/// Commits per pipeline at most (one write of ~120 bytes each).
const MAX_BATCH: usize = 512;

/// One item for the committer task.
enum Pending {
    /// A commit's `EVALSHA` and its script (for a `NOSCRIPT` re-send).
    Commit(Cmd, &'static Script),
    /// Answered once every item handed over before it has been sent and answered.
    Flush(oneshot::Sender<()>),
}

/// The committer of one [`RedisClient`]: the sender half of its queue, its task started on first
/// use.
#[derive(Default)]
pub(crate) struct Committer {
    sender: OnceLock<mpsc::Sender<Pending>>,
}

impl RedisClient {
    /// Hands a commit (`cmd`, an `EVALSHA` of `script` from [`super::client::evalsha`]) to the
    /// committer and returns at once. A commit that cannot be handed over (the queue is full, no
    /// tokio runtime) is counted as a failed commit.
    pub(crate) fn commit_later(self: &Arc<Self>, cmd: Cmd, script: &'static Script) {
        let Some(sender) = self.committer_sender() else {
            return self.commit_not_queued("no tokio runtime");
        };
        if sender.try_send(Pending::Commit(cmd, script)).is_err() {
            self.commit_not_queued("the commit queue is full");
        }
    }

    /// Waits until every commit handed over before this call has been answered (landed, or
    /// failed and counted). Returns at once when no commit was ever handed over.
    pub async fn flush_commits(&self) {
        let Some(sender) = self.committer.sender.get() else {
            return;
        };
        let (done, landed) = oneshot::channel();
        if sender.send(Pending::Flush(done)).await.is_ok() {
            let _ = landed.await;
        }
    }

    fn committer_sender(self: &Arc<Self>) -> Option<&mpsc::Sender<Pending>> {
        if let Some(sender) = self.committer.sender.get() {
            return Some(sender);
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(self.committer.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            runtime.spawn(run(Arc::downgrade(self), receiver));
            sender
        }))
    }

    fn commit_not_queued(&self, why: &str) {
        self.metrics().count(Op::Commit, CallResult::Error);
        tracing::warn!(
            cause = why,
            "dedup commit not sent; the event may be delivered again if retried after upstream_timeout"
        );
    }

    /// Sends `commits` as one pipeline; each answer counted as a commit call.
    async fn commit_batch(self: &Arc<Self>, commits: Vec<(Cmd, &'static Script)>) {
        let mut pipe = ::redis::pipe();
        pipe.ignore_errors();
        let scripts: Vec<&'static Script> = commits.iter().map(|(_, s)| *s).collect();
        commits.into_iter().for_each(|(cmd, _)| {
            pipe.add_command(cmd);
        });
        let ops = vec![Op::Commit; scripts.len()];
        let answers: Vec<RedisResult<i64>> = match self
            .invoke_ops(&ops, Call::Pipeline(&pipe), |_| {})
            .await
        {
            Ok(answers) => answers,
            Err(e) => {
                return tracing::warn!(
                    commits = scripts.len(),
                    error = %e,
                    "dedup commits failed; these events may be delivered again if retried after upstream_timeout"
                )
            }
        };
        for ((answer, cmd), script) in answers.into_iter().zip(pipe.cmd_iter()).zip(scripts) {
            self.commit_answered(answer, cmd, script).await;
        }
    }

    /// One element's answer: `1` landed, `0` stale (the claim had expired); `NOSCRIPT` (a
    /// restarted server) re-sent alone, which loads the script.
    async fn commit_answered(
        self: &Arc<Self>,
        answer: RedisResult<i64>,
        cmd: &Cmd,
        script: &Script,
    ) {
        let answer = match answer {
            Ok(done) => {
                self.metrics().count(Op::Commit, stale_if_zero(&done));
                Ok(done)
            }
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.invoke(Op::Commit, Call::EvalSha(cmd, script), stale_if_zero)
                    .await
            }
            Err(e) => Err(self.element_failed(Op::Commit, &e)),
        };
        match answer {
            Ok(0) => tracing::debug!("dedup commit after the claim expired: ignored"),
            Ok(_) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "dedup commit failed; the event may be delivered again if retried after upstream_timeout"
            ),
        }
    }
}

/// The committer task: one pipeline per wake-up with everything pending (up to [`MAX_BATCH`]).
async fn run(client: Weak<RedisClient>, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut commits = Vec::with_capacity(batch.len());
        let mut flushes = Vec::new();
        for item in batch.drain(..) {
            match item {
                Pending::Commit(cmd, script) => commits.push((cmd, script)),
                Pending::Flush(done) => flushes.push(done),
            }
        }
        // The client is gone only when its gateway is: the leases then expire (at-least-once).
        if let (Some(client), false) = (client.upgrade(), commits.is_empty()) {
            client.commit_batch(commits).await;
        }
        flushes.into_iter().for_each(|done| {
            let _ = done.send(());
        });
    }
}

/// `ok` for a landed commit, `stale` when the key no longer held the token.
pub(crate) fn stale_if_zero(answer: &i64) -> CallResult {
    if *answer == 0 {
        CallResult::Stale
    } else {
        CallResult::Ok
    }
}
