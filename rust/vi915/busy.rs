// SPDX-License-Identifier: GPL-2.0

//! How long each client's requests have run on each engine: fdinfo's `drm-engine-<class>` keys
//! (`Documentation/gpu/drm-usage-stats.rst`), as i915 reports them.

use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        Arc,
        SpinLock, //
    },
    time::{
        Instant,
        Monotonic, //
    },
};

use crate::engine_id::EngineId;

/// A client's time on one engine.
#[derive(Clone, Copy, Default)]
struct Slot {
    /// Nanoseconds its requests ran, up to when the last one stopped.
    done: u64,
    /// When the running request started, if one of the client's runs now.
    since: Option<Instant<Monotonic>>,
}

/// The time one client's requests ran on each engine, shared by its file and contexts.
#[pin_data]
pub(crate) struct Busy {
    /// Indexed by [`EngineId::index`].
    #[pin]
    engines: SpinLock<[Slot; EngineId::ALL.len()]>,
}

impl Busy {
    /// Creates a client's record: no time on any engine.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Busy {
                engines <- new_spinlock!([Slot::default(); EngineId::ALL.len()]),
            }),
            GFP_KERNEL,
        )
    }

    /// Counts from now: one of the client's requests starts running on `engine`.
    pub(crate) fn start(&self, engine: EngineId) {
        let now = Instant::now();
        self.engines.lock()[engine.index()].since = Some(now);
    }

    /// Stops counting: the client's request running on `engine` stopped.
    pub(crate) fn stop(&self, engine: EngineId) {
        let mut engines = self.engines.lock();
        let slot = &mut engines[engine.index()];
        if let Some(since) = slot.since.take() {
            slot.done = slot.done.saturating_add(nanos_since(since));
        }
    }

    /// Returns how long the client's requests ran on `engine`, in nanoseconds, the running one's
    /// time so far included.
    pub(crate) fn ns(&self, engine: EngineId) -> u64 {
        let slot = self.engines.lock()[engine.index()];
        slot.done.saturating_add(slot.since.map_or(0, nanos_since))
    }
}

/// Nanoseconds from `since` to now.
fn nanos_since(since: Instant<Monotonic>) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(0)
}
