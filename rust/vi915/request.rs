// SPDX-License-Identifier: GPL-2.0

//! Requests: one execbuffer's batch, with everything it needs until its fence signals.
//!
//! A request owns a pin on the pages of every object it uses (which also holds a reference to
//! the object), its context and its place in the engine's ring. It drops them only after its
//! fence has signalled, so userspace may close every handle right after submitting.

use kernel::{
    dma_buf::fence::{
        DriverFence,
        Fence,
        SignallingSection, //
    },
    impl_has_work, new_spinlock, new_work,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::Relaxed,
        Arc,
        SpinLock, //
    },
    time::{
        msecs_to_jiffies,
        Instant,
        Monotonic, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

use crate::{
    context::Context,
    engine::Slot,
    gem::Pages, //
};

/// A request running longer than this is cancelled when hang detection is on.
const HANG_TIMEOUT_MS: i64 = 8000;

/// How an object appears in a request's address space.
pub(crate) struct Mapping {
    /// GPU address of the object's first byte.
    pub(crate) start: u64,
    /// Size in bytes.
    pub(crate) size: u64,
    /// The object's pages.
    pub(crate) pages: Pages,
    /// Whether commands may write it.
    pub(crate) writable: bool,
}

/// A submitted batch.
#[pin_data]
pub(crate) struct Request {
    /// The ring place; its drop lets the next submitter in.
    pub(crate) ring_slot: Slot,
    pub(crate) ctx: Arc<Context>,
    /// The objects, sorted by `start`, never overlapping.
    pub(crate) maps: KVec<Mapping>,
    /// GPU address of the first command.
    pub(crate) batch: u64,
    /// Fences to wait for before running.
    pub(crate) deps: KVec<ARef<Fence>>,
    /// The engine's reset count when the request was submitted.
    pub(crate) reset_seq: u64,
    /// Signalled when the request is done; set when the request is queued.
    #[pin]
    pub(crate) fence: SpinLock<Option<DriverFence>>,
    #[pin]
    work: Work<Request>,
}

impl_has_work! {
    impl HasWork<Self> for Request { self.work }
}

impl Request {
    /// Creates a request; it gets its fence and is queued with [`Request::queue`].
    pub(crate) fn new(
        ring: Slot,
        ctx: Arc<Context>,
        maps: KVec<Mapping>,
        batch: u64,
        deps: KVec<ARef<Fence>>,
    ) -> Result<Arc<Self>> {
        let reset_seq = ring.engine().reset_seq.load(Relaxed);
        Arc::pin_init(
            pin_init!(Request {
                ring_slot: ring,
                ctx,
                maps,
                batch,
                deps,
                reset_seq,
                fence <- new_spinlock!(None),
                work <- new_work!("vi915::Request::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Gives the request its fence and queues it on its engine. Call with the engine's
    /// submission lock held, the same one under which `fence` was initialized.
    pub(crate) fn queue(self: Arc<Self>, fence: DriverFence) {
        *self.fence.lock() = Some(fence);
        let engine = self.ring_slot.engine().clone();
        // A request is queued once, so its work item is never already pending.
        let _ = engine.queue.enqueue(self);
    }

    /// Returns why the request must stop now, if it must: its context was destroyed or the
    /// engine was reset.
    pub(crate) fn must_stop(&self) -> Result {
        let engine = self.ring_slot.engine();
        if self.ctx.cancelled.load(Relaxed) || engine.reset_seq.load(Relaxed) != self.reset_seq {
            return Err(EIO);
        }
        Ok(())
    }

    /// Runs the batch; stops it with `EIO` when [`Request::must_stop`] says so, or when hang
    /// detection is on and it has run for [`HANG_TIMEOUT_MS`].
    fn execute(&self) -> Result {
        let started = Instant::<Monotonic>::now();
        let params = &self.ring_slot.engine().params;
        crate::cmd::execute(&self.maps, self.batch, || {
            self.must_stop()?;
            if params.hangcheck() && started.elapsed().as_millis() > HANG_TIMEOUT_MS {
                return Err(EIO);
            }
            Ok(())
        })
    }

    /// Waits for the dependencies; returns the first error one of them signalled with.
    fn wait_deps(&self) -> Result {
        for dep in self.deps.iter() {
            // Poll so that a fence that never signals cannot keep a cancelled request alive.
            loop {
                self.must_stop()?;
                match dep.wait(false, msecs_to_jiffies(10)) {
                    Err(e) if e == ETIME => continue,
                    _ => break,
                }
            }
            dep.status()?;
        }
        Ok(())
    }
}

impl WorkItem for Request {
    type Pointer = Arc<Request>;

    fn run(this: Arc<Request>) {
        let mut result = this.wait_deps();
        let section = SignallingSection::begin();
        if result.is_ok() {
            result = this.execute();
        }
        let fence = this.fence.lock().take();
        if let Some(fence) = fence {
            fence.signal(result.err());
        }
        drop(section);
        // Dropping `this` gives back the ring place and the pages; unpinning may take the
        // objects' reservation locks, so it happens outside the signalling section.
    }
}
