// SPDX-License-Identifier: GPL-2.0

//! The software engines: each an ordered workqueue running requests one at a time, in
//! submission order, with a bounded number of requests in flight.

use kernel::{
    dma_buf::fence::{
        FenceContext,
        FenceNames, //
    },
    new_condvar,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        CondVar,
        Mutex,
        MutexGuard, //
    },
    uapi,
    workqueue::OwnedQueue, //
};

use crate::params::Params;

/// Requests an engine accepts before submitters block: i915's ring holds a few dozen requests.
pub(crate) const RING_SIZE: usize = 64;

/// The engines vi915 has, in i915's uAPI order (class, then instance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EngineId {
    /// The render engine.
    Rcs0,
    /// The blitter.
    Bcs0,
}

impl EngineId {
    /// Every engine.
    pub(crate) const ALL: [EngineId; 2] = [EngineId::Rcs0, EngineId::Bcs0];

    /// The engine's uAPI class.
    pub(crate) fn class(self) -> u16 {
        (match self {
            EngineId::Rcs0 => uapi::drm_i915_gem_engine_class_I915_ENGINE_CLASS_RENDER,
            EngineId::Bcs0 => uapi::drm_i915_gem_engine_class_I915_ENGINE_CLASS_COPY,
        }) as u16
    }

    /// The engine's instance within its class.
    pub(crate) fn instance(self) -> u16 {
        0
    }

    /// Index into [`EngineId::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Finds an engine by uAPI class and instance.
    pub(crate) fn from_class_instance(class: u16, instance: u16) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.class() == class && e.instance() == instance)
    }

    fn names(self) -> &'static FenceNames {
        static RCS0: FenceNames = FenceNames {
            driver: c"vi915",
            timeline: c"rcs0",
        };
        static BCS0: FenceNames = FenceNames {
            driver: c"vi915",
            timeline: c"bcs0",
        };
        match self {
            EngineId::Rcs0 => &RCS0,
            EngineId::Bcs0 => &BCS0,
        }
    }
}

/// A software engine.
#[pin_data]
pub(crate) struct Engine {
    pub(crate) id: EngineId,
    /// Runs the requests, one at a time, in order.
    pub(crate) queue: OwnedQueue,
    /// The engine's fence timeline: one fence per request, signalled in submission order.
    pub(crate) timeline: FenceContext,
    /// Requests accepted and not yet finished.
    #[pin]
    in_flight: Mutex<usize>,
    #[pin]
    slot_freed: CondVar,
    /// Held while a request takes its fence and joins the queue, so that the two orders agree.
    #[pin]
    pub(crate) submit: Mutex<()>,
    /// Bumped to cancel every request running or queued at the time (`DROP_RESET_ACTIVE`).
    pub(crate) reset_seq: Atomic<u64>,
    /// The device's tunables (hang detection).
    pub(crate) params: Arc<Params>,
}

impl Engine {
    /// Creates engine `id`.
    pub(crate) fn new(id: EngineId, params: Arc<Params>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Engine {
                id,
                queue: OwnedQueue::new_ordered(match id {
                    EngineId::Rcs0 => c"vi915-rcs0",
                    EngineId::Bcs0 => c"vi915-bcs0",
                })?,
                timeline: FenceContext::new(id.names()),
                in_flight <- new_mutex!(0),
                slot_freed <- new_condvar!(),
                submit <- new_mutex!(()),
                reset_seq: Atomic::new(0),
                params,
            }),
            GFP_KERNEL,
        )
    }

    /// Takes a place in the ring, waiting for one interruptibly (`EINTR`), or failing with
    /// `EAGAIN` if `nonblock` and the ring is full.
    pub(crate) fn reserve(self: &Arc<Self>, nonblock: bool) -> Result<Slot> {
        let mut n = self.in_flight.lock();
        while *n >= RING_SIZE {
            if nonblock {
                return Err(EAGAIN);
            }
            if self.slot_freed.wait_interruptible(&mut n) {
                return Err(EINTR);
            }
        }
        *n += 1;
        Ok(Slot(self.clone()))
    }

    /// Waits until no request is in flight.
    pub(crate) fn wait_idle(&self) {
        let mut n = self.in_flight.lock();
        while *n > 0 {
            self.slot_freed.wait(&mut n);
        }
    }

    /// Waits until no request is in flight; `EINTR` on a signal.
    pub(crate) fn wait_idle_interruptible(&self) -> Result {
        let mut n = self.in_flight.lock();
        while *n > 0 {
            if self.slot_freed.wait_interruptible(&mut n) {
                return Err(EINTR);
            }
        }
        Ok(())
    }

    /// Cancels, with `EIO`, every request in flight now.
    pub(crate) fn reset(&self) {
        self.reset_seq.fetch_add(1, Relaxed);
    }

    /// Takes the submission lock: see [`Engine::submit`].
    pub(crate) fn submission(&self) -> MutexGuard<'_, ()> {
        self.submit.lock()
    }
}

/// A place in an engine's ring, given back when dropped.
pub(crate) struct Slot(Arc<Engine>);

impl Slot {
    /// The engine.
    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut n = self.0.in_flight.lock();
        *n -= 1;
        drop(n);
        self.0.slot_freed.notify_all();
    }
}
