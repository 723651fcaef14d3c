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
    page::BorrowedPage,
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
    cmd::Point,
    context::Context,
    engine::Slot,
    gem::Pages,
    userptr::PinnedSet, //
};

/// A request running this long without an arbitration point is cancelled when hang detection
/// is on.
const HANG_TIMEOUT_MS: i64 = 8000;

/// The pages behind an object, pinned for as long as this lives.
pub(crate) enum Backing {
    /// A shmem object's pages.
    Shmem(Pages),
    /// A userptr object's pages.
    User(Arc<PinnedSet>),
}

impl Backing {
    /// Returns page `index`.
    pub(crate) fn page(&self, index: usize) -> Option<BorrowedPage<'_>> {
        match self {
            Backing::Shmem(p) => p.page(index),
            Backing::User(p) => p.page(index),
        }
    }

    /// Returns the number of pages.
    pub(crate) fn len(&self) -> usize {
        match self {
            Backing::Shmem(p) => p.len(),
            Backing::User(p) => p.pages.len(),
        }
    }
}

/// How an object appears in a request's address space.
pub(crate) struct Mapping {
    /// GPU address of the object's first byte.
    pub(crate) start: u64,
    /// Size in bytes.
    pub(crate) size: u64,
    /// The object's pages.
    pub(crate) pages: Backing,
    /// Whether commands may write it.
    pub(crate) writable: bool,
}

/// A submitted batch.
#[pin_data]
pub(crate) struct Request {
    pub(crate) ctx: Arc<Context>,
    /// The objects, sorted by `start`, never overlapping.
    pub(crate) maps: KVec<Mapping>,
    /// GPU address of the first command.
    pub(crate) batch: u64,
    /// Fences to wait for before running: explicit ones (in-fences, sync objects)...
    pub(crate) deps: KVec<ARef<Fence>>,
    /// ...and those of implicit synchronization, found under the reservation locks.
    #[pin]
    implicit: SpinLock<KVec<ARef<Fence>>>,
    /// The engine's reset count when the request was submitted.
    pub(crate) reset_seq: u64,
    /// Signalled when the request is done; set when the request is queued.
    #[pin]
    pub(crate) fence: SpinLock<Option<DriverFence>>,
    #[pin]
    work: Work<Request>,
    /// The ring place; its drop lets the next submitter in. Last, so that the pages go first:
    /// an idle engine holds no pins.
    pub(crate) ring_slot: Slot,
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
                implicit <- new_spinlock!(KVec::new()),
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

    /// Returns why the request must stop now, if it must: its context was destroyed, the engine
    /// was reset (`EIO`), or a userptr range it uses was unmapped (`EFAULT`).
    pub(crate) fn must_stop(&self) -> Result {
        let engine = self.ring_slot.engine();
        if self.ctx.cancelled.load(Relaxed) || engine.reset_seq.load(Relaxed) != self.reset_seq {
            return Err(EIO);
        }
        // A userptr range unmapped while the request still used it.
        let revoked = self.maps.iter().any(|m| match &m.pages {
            Backing::User(set) => set.revoked(),
            Backing::Shmem(_) => false,
        });
        if revoked {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Runs the batch; stops it with `EIO` when [`Request::must_stop`] says so, or when hang
    /// detection is on and it has gone [`HANG_TIMEOUT_MS`] without an arbitration point. Like
    /// i915's heartbeat, which preempts a batch at its arbitration points, this leaves batches
    /// that can be preempted running.
    fn execute(&self) -> Result {
        let mut last = Instant::<Monotonic>::now();
        let params = &self.ring_slot.engine().params;
        crate::cmd::execute(&self.maps, self.batch, |point| {
            self.must_stop()?;
            if point == Point::Arbitration {
                last = Instant::now();
            } else if params.hangcheck() && last.elapsed().as_millis() > HANG_TIMEOUT_MS {
                return Err(EIO);
            }
            Ok(())
        })
    }

    /// Adds the implicit-synchronization dependencies; call before [`Request::queue`].
    pub(crate) fn add_deps(&self, implicit: KVec<ARef<Fence>>) {
        let old = core::mem::replace(&mut *self.implicit.lock(), implicit);
        drop(old);
    }

    /// Waits for the dependencies; returns the first error one of them signalled with.
    fn wait_deps(&self) -> Result {
        let implicit = core::mem::take(&mut *self.implicit.lock());
        for dep in Iterator::chain(self.deps.iter(), implicit.iter()) {
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
