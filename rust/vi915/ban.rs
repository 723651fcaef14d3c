// SPDX-License-Identifier: GPL-2.0

//! i915's hang accounting: a reset request's context is found guilty, and may be banned; a
//! client whose contexts keep hanging may create no more.
//!
//! The rules are i915's (`mark_guilty` in `intel_reset.c`): every guilty request counts against
//! its context. A bannable context is banned when it is not recoverable, or when it hangs a third
//! time within [`FAST_HANG_MS`]; each ban adds [`SCORE_CONTEXT_BAN`] to its client's score, and
//! a second hang of the client within [`CLIENT_FAST_HANG_MS`] adds [`SCORE_HANG_FAST`]. A client
//! with a score of [`SCORE_BANNED`] or more gets `EIO` from context creation.

use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        SpinLock, //
    },
    time::{
        Instant,
        Monotonic, //
    },
};

/// Three hangs within this time ban a context (i915's `CONTEXT_FAST_HANG_JIFFIES`).
const FAST_HANG_MS: i64 = 120_000;
/// Two hangs of one client within this time raise its score (`I915_CLIENT_FAST_HANG_JIFFIES`).
const CLIENT_FAST_HANG_MS: i64 = 60_000;
/// What a hang soon after the last one costs a client.
const SCORE_HANG_FAST: u32 = 1;
/// What a banned context costs its client.
const SCORE_CONTEXT_BAN: u32 = 3;
/// The score from which a client may not create contexts.
const SCORE_BANNED: u32 = 9;

/// A client's (an open file's) ban score.
#[pin_data]
pub(crate) struct Client {
    score: Atomic<u32>,
    /// When one of its contexts last hung.
    #[pin]
    last_hang: SpinLock<Option<Instant<Monotonic>>>,
}

impl Client {
    /// Creates a client with a clean record.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Client {
                score: Atomic::new(0),
                last_hang <- new_spinlock!(None),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether the client may no longer create contexts.
    pub(crate) fn banned(&self) -> bool {
        self.score.load(Relaxed) >= SCORE_BANNED
    }

    fn mark_guilty(&self, banned: bool) {
        let mut score = if banned { SCORE_CONTEXT_BAN } else { 0 };
        let now = Instant::now();
        let prev = self.last_hang.lock().replace(now);
        if prev.is_some_and(|t| (now - t).as_millis() < CLIENT_FAST_HANG_MS) {
            score += SCORE_HANG_FAST;
        }
        self.score.fetch_add(score, Relaxed);
    }
}

/// A context's record of hangs.
#[pin_data]
pub(crate) struct Record {
    /// Requests of the context that were reset (`batch_active` of `GET_RESET_STATS`).
    pub(crate) guilty: Atomic<u32>,
    /// Set when the context is banned: its requests and execbuffers end with `EIO`.
    pub(crate) banned: Atomic<bool>,
    /// The times of its last two hangs, oldest first.
    #[pin]
    hangs: SpinLock<[Option<Instant<Monotonic>>; 2]>,
    client: Arc<Client>,
}

impl Record {
    /// Creates the clean record of a context of `client`.
    pub(crate) fn new(client: Arc<Client>) -> impl PinInit<Self> {
        pin_init!(Record {
            guilty: Atomic::new(0),
            banned: Atomic::new(false),
            hangs <- new_spinlock!([None, None]),
            client,
        })
    }

    /// Records that a request of the context hung and was reset; returns whether the context is
    /// banned now. `bannable` and `recoverable` are the context's parameters.
    pub(crate) fn mark_guilty(&self, bannable: bool, recoverable: bool) -> bool {
        self.guilty.fetch_add(1, Relaxed);
        if !bannable {
            return false;
        }
        let now = Instant::now();
        let prev = {
            let mut h = self.hangs.lock();
            let prev = h[0];
            *h = [h[1], Some(now)];
            prev
        };
        let banned = !recoverable || prev.is_some_and(|t| (now - t).as_millis() < FAST_HANG_MS);
        if banned {
            self.banned.store(true, Relaxed);
        }
        self.client.mark_guilty(banned);
        banned
    }

    /// Whether the context is banned.
    pub(crate) fn is_banned(&self) -> bool {
        self.banned.load(Relaxed)
    }
}
