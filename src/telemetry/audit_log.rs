//! Where audit lines go: standard output, in whole-line batches gathered per thread, the way
//! nginx's `access_log … buffer=32k flush=1s` writes. A thread's lines are written when its buffer
//! holds `buffer` bytes, and at the latest `flush` after they were logged (a flusher thread
//! writes what every thread has gathered once per `flush`), on a configuration reload and when
//! the gateway stops. One `write(2)` per batch instead of one per request (bench/FINDINGS.md §22).
//!
//! Every write is whole lines, under the process's stdout lock, so lines from different threads
//! never interleave mid-line. A process killed with SIGKILL loses what was gathered and not yet
//! written: at most `buffer` bytes per worker thread, or `flush` worth of lines, as with nginx.
//!
//! Until [`install`] is called (the in-process gateway of the tests, `buffer` 0), each line is
//! written at once.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// `--audit-buffer` when not given: nginx's usual `buffer=32k`.
pub const DEFAULT_BUFFER: usize = 32 * 1024;
/// `--audit-flush` when not given: nginx's usual `flush=1s`.
pub const DEFAULT_FLUSH: Duration = Duration::from_secs(1);

/// How audit lines are gathered before they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffering {
    /// Bytes a thread gathers before it writes them (0: each line is written at once).
    pub buffer: usize,
    /// The longest a line waits to be written.
    pub flush: Duration,
}

impl Default for Buffering {
    fn default() -> Self {
        Buffering {
            buffer: DEFAULT_BUFFER,
            flush: DEFAULT_FLUSH,
        }
    }
}

/// One thread's gathered lines (whole lines only).
type Shard = Arc<Mutex<Vec<u8>>>;

struct Buffered {
    buffer: usize,
    shards: Mutex<Vec<Shard>>,
}

static BUFFERED: OnceLock<Buffered> = OnceLock::new();

/// This thread's shard; on thread exit its lines are written and it leaves the registry, so a
/// short-lived thread neither loses lines nor leaks its buffer.
struct ThreadShard(Shard);

impl Drop for ThreadShard {
    fn drop(&mut self) {
        write_out(&mut lock(&self.0));
        if let Some(buffered) = BUFFERED.get() {
            lock(&buffered.shards).retain(|s| !Arc::ptr_eq(s, &self.0));
        }
    }
}

thread_local! {
    static SHARD: RefCell<Option<ThreadShard>> = const { RefCell::new(None) };
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

/// Turns buffering on for the process (`hookgate run`) and starts the flusher thread. Once per
/// process: later calls are ignored, as is a `buffer` of 0 (each line written at once).
pub fn install(buffering: Buffering) {
    if buffering.buffer == 0 {
        return;
    }
    let fresh = BUFFERED
        .set(Buffered {
            buffer: buffering.buffer,
            shards: Mutex::new(Vec::new()),
        })
        .is_ok();
    if fresh {
        let flush = buffering.flush.max(Duration::from_millis(1));
        let spawned = std::thread::Builder::new()
            .name("audit-flush".into())
            .spawn(move || loop {
                std::thread::sleep(flush);
                flush_all();
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the audit log's flusher thread");
        }
    }
}

/// Appends one line: `fill` writes it, newline-terminated, into this thread's buffer (or a
/// scratch line written at once, when buffering is off).
pub fn append(fill: impl FnOnce(&mut Vec<u8>)) {
    let Some(buffered) = BUFFERED.get() else {
        return LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            fill(&mut line);
            write_out(&mut line);
        });
    };
    SHARD.with(|slot| {
        let mut slot = slot.borrow_mut();
        let shard = slot.get_or_insert_with(|| {
            let shard = Shard::default();
            lock(&buffered.shards).push(shard.clone());
            ThreadShard(shard)
        });
        let mut lines = lock(&shard.0);
        fill(&mut lines);
        if lines.len() >= buffered.buffer {
            write_out(&mut lines);
        }
    });
}

/// Writes every thread's gathered lines now (the flusher's tick, a reload, the gateway's stop).
pub fn flush_all() {
    let Some(buffered) = BUFFERED.get() else {
        return;
    };
    let shards = lock(&buffered.shards).clone();
    for shard in shards {
        write_out(&mut lock(&shard));
    }
}

/// Writes `lines` (whole lines) to stdout in one locked `write_all`, then empties them. A failed
/// write (stdout closed) drops them, as the unbuffered log did.
fn write_out(lines: &mut Vec<u8>) {
    if lines.is_empty() {
        return;
    }
    let _ = std::io::stdout().lock().write_all(lines);
    lines.clear();
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a shard leaves whole lines or a partial one being filled; the
    // former are still worth writing.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An [`std::io::Write`] into the audit log, for the `tracing` layer of `--log-format text`:
/// tracing-subscriber formats an event whole, then writes it with one `write_all`, which is one
/// line here.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditWriter;

impl Write for AuditWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        append(|lines| lines.extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
