// SPDX-License-Identifier: GPL-2.0

//! Timelines: a context's queue of requests on one engine (i915: an `intel_context` with its
//! timeline and ring).
//!
//! A timeline's requests run in submission order, one after the other, and its fences come from
//! its own fence context, so they signal in the order of their sequence numbers whatever the
//! engine does with other timelines in between. A timeline holds at most [`RING_SIZE`] requests;
//! a submitter waits for a place just before it builds its request, after the pinning and the
//! relocations, so that a client blocked there holds nothing other clients need.

use kernel::{
    dma_buf::fence::FenceContext,
    list::{
        AtomicTracker,
        ListLinks,
        TryNewListArc, //
    },
    new_condvar, new_mutex, new_spinlock,
    prelude::*,
    sync::{
        Arc,
        CondVar,
        Mutex,
        MutexGuard,
        SpinLock, //
    },
};

use crate::{
    engine::Engine,
    request::Request, //
};

/// Requests a timeline accepts before its submitters block: i915's ring holds a few dozen.
pub(crate) const RING_SIZE: usize = 64;

/// A context's queue on one engine.
///
/// # Invariants
///
/// `queue` never holds more than [`RING_SIZE`] requests, so pushing never allocates.
#[pin_data]
pub(crate) struct Timeline {
    /// The engine the requests run on.
    pub(crate) engine: Arc<Engine>,
    /// The requests' fences.
    pub(crate) fences: FenceContext,
    /// Held while a request takes its fence and joins the queue, so that the two orders agree.
    #[pin]
    submit: Mutex<()>,
    /// The queued requests, oldest (running or next to run) first.
    #[pin]
    queue: SpinLock<KVec<Arc<Request>>>,
    /// Places taken in the ring: requests built and not yet released.
    #[pin]
    ring: Mutex<usize>,
    #[pin]
    ring_freed: CondVar,
    /// Links in the engine's list of timelines with queued requests.
    #[pin]
    pub(crate) links: ListLinks,
    #[pin]
    tracker: AtomicTracker,
}

kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Timeline { tracked_by tracker: AtomicTracker; }
}
kernel::list::impl_list_item! {
    impl ListItem<0> for Timeline { using ListLinks { self.links }; }
}

impl Timeline {
    /// Creates an empty timeline on `engine`.
    pub(crate) fn new(engine: &Arc<Engine>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Timeline {
                engine: engine.clone(),
                fences: FenceContext::new(engine.id.names()),
                submit <- new_mutex!(()),
                queue <- new_spinlock!(KVec::with_capacity(RING_SIZE, GFP_KERNEL)?),
                ring <- new_mutex!(0),
                ring_freed <- new_condvar!(),
                links <- ListLinks::new(),
                tracker <- AtomicTracker::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Takes a place in the ring, waiting for one interruptibly (`EINTR`), or failing with
    /// `EAGAIN` if `nonblock` and the ring is full.
    pub(crate) fn reserve(self: &Arc<Self>, nonblock: bool) -> Result<Slot> {
        let mut n = self.ring.lock();
        while *n >= RING_SIZE {
            if nonblock {
                return Err(EAGAIN);
            }
            if self.ring_freed.wait_interruptible(&mut n) {
                return Err(EINTR);
            }
        }
        *n += 1;
        drop(n);
        self.engine.started();
        Ok(Slot(self.clone()))
    }

    /// Takes the submission lock: see [`Timeline::submit`].
    pub(crate) fn submission(&self) -> MutexGuard<'_, ()> {
        self.submit.lock()
    }

    /// Appends `request` to the queue; call with the submission lock held, right after giving it
    /// its fence. The caller then makes the engine see the timeline ([`Engine::activate`]).
    pub(crate) fn push(&self, request: Arc<Request>) {
        let mut q = self.queue.lock();
        // Every queued request holds a place in the ring, so this never exceeds `RING_SIZE`
        // (type invariant): it does not allocate, and cannot fail.
        let _ = q.push(request, GFP_NOWAIT);
    }

    /// Returns the oldest queued request.
    pub(crate) fn head(&self) -> Option<Arc<Request>> {
        self.queue.lock().first().cloned()
    }

    /// Calls `f` on every queued request up to the one whose fence has `seqno`, oldest first:
    /// those the request of that fence waits for on its timeline, and itself.
    pub(crate) fn upto(&self, seqno: u64, mut f: impl FnMut(&Arc<Request>)) {
        let q = self.queue.lock();
        for r in q.iter() {
            match r.seqno() {
                Some(s) if s > seqno => break,
                Some(_) => f(r),
                // Signalled: it is done, and the next one may still wait.
                None => (),
            }
        }
    }

    /// Removes the oldest queued request, `done`, once it has finished.
    pub(crate) fn pop(&self, done: &Arc<Request>) {
        let mut q = self.queue.lock();
        if q.first().is_some_and(|r| Arc::ptr_eq(r, done)) {
            // Cannot fail: the queue is not empty.
            let _ = q.remove(0);
        }
    }
}

/// A place in a timeline's ring, given back when dropped.
pub(crate) struct Slot(Arc<Timeline>);

impl Slot {
    /// The timeline.
    pub(crate) fn timeline(&self) -> &Arc<Timeline> {
        &self.0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut n = self.0.ring.lock();
        *n -= 1;
        drop(n);
        self.0.ring_freed.notify_all();
        self.0.engine.finished();
    }
}
