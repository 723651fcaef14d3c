// SPDX-License-Identifier: GPL-2.0

//! Requests: one execbuffer's batch, with everything it needs until its fence signals.
//!
//! A request owns a pin on the pages of every object it uses and a reference to the object, its
//! context and its place in the engine's ring. It drops them only after its fence has signalled,
//! so userspace may close every handle right after submitting; a userptr's notifier then still
//! watches the range (an unmap still waits for the request, and stops it).

use kernel::{
    dma_buf::fence::{
        Callback,
        DriverFence,
        Fence,
        Notify, //
    },
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex,
        SpinLock, //
    },
};

use crate::{
    backing::{
        Backing,
        Mapping, //
    },
    cmd::{
        self,
        Control,
        Cursor,
        Outcome,
        Point, //
    },
    context::Context,
    engine::Engine,
    timeline::Slot, //
};

/// Kicks an engine when a fence a request waits for signals.
pub(crate) struct Kick(Arc<Engine>);

impl Notify for Kick {
    fn notify(&self) {
        self.0.kick();
    }
}

/// A submitted batch.
#[pin_data]
pub(crate) struct Request {
    pub(crate) ctx: Arc<Context>,
    /// The objects, sorted by `start`, never overlapping.
    pub(crate) maps: KVec<Mapping>,
    /// GPU address of the first command.
    pub(crate) batch: u64,
    /// Its context's priority when it was submitted, raised since by requests that depend on it
    /// ([`Request::raise`]); it never goes down.
    priority: Atomic<i64>,
    /// Fences to wait for before running: explicit ones (in-fences, sync objects)...
    pub(crate) deps: KVec<ARef<Fence>>,
    /// ...and those of implicit synchronization, found under the reservation locks.
    #[pin]
    implicit: SpinLock<KVec<ARef<Fence>>>,
    /// Waits for the first dependency that has not signalled.
    #[pin]
    waiter: Callback<Kick>,
    /// The engine's reset count when the request was submitted.
    pub(crate) reset_seq: u64,
    /// Signalled when the request is done; set when the request is queued.
    #[pin]
    pub(crate) fence: SpinLock<Option<DriverFence>>,
    /// Where the batch resumes after yielding; only the engine's scheduler uses it.
    #[pin]
    cursor: Mutex<Cursor>,
    /// The ring place; its drop lets the next submitter in. Last, so that the pages go first:
    /// an idle engine holds no pins.
    pub(crate) ring_slot: Slot,
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
        let engine = ring.timeline().engine.clone();
        let reset_seq = engine.reset_seq.load(Relaxed);
        let priority = ctx.params.lock().priority;
        Arc::pin_init(
            pin_init!(Request {
                ring_slot: ring,
                ctx,
                maps,
                batch,
                priority: Atomic::new(priority),
                deps,
                implicit <- new_spinlock!(KVec::new()),
                waiter <- Callback::new(Kick(engine)),
                reset_seq,
                fence <- new_spinlock!(None),
                cursor <- new_mutex!(Cursor::default()),
            }),
            GFP_KERNEL,
        )
    }

    /// Gives the request its fence and queues it on its timeline. Call with the timeline's
    /// submission lock held, the same one under which `fence` was initialized; then call
    /// [`Engine::activate`].
    pub(crate) fn queue(self: Arc<Self>, fence: DriverFence) {
        *self.fence.lock() = Some(fence);
        let timeline = self.ring_slot.timeline().clone();
        timeline.push(self);
    }

    /// Returns why the request must stop now, if it must: its context was cancelled or
    /// banned, or closed while its engine has no heartbeat (i915 lets a closed context's
    /// requests persist only under a heartbeat), the engine was reset (`EIO`), or a userptr
    /// range it uses was unmapped (`EFAULT`).
    pub(crate) fn must_stop(&self) -> Result {
        let engine = &self.ring_slot.timeline().engine;
        let unwatched =
            self.ctx.closed.load(Relaxed) && engine.props.heartbeat_interval_ms.load(Relaxed) == 0;
        if self.ctx.cancelled.load(Relaxed)
            || unwatched
            || self.ctx.record.is_banned()
            || engine.reset_seq.load(Relaxed) != self.reset_seq
        {
            return Err(EIO);
        }
        // A userptr range unmapped while the request still used it.
        let revoked = self.maps.iter().any(|m| match &m.pages {
            Backing::User { pages, .. } => pages.revoked(),
            Backing::Shmem(_) | Backing::Import(_) => false,
        });
        if revoked {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// The request's priority: see [`Request::raise`].
    pub(crate) fn priority(&self) -> i64 {
        self.priority.load(Relaxed)
    }

    /// Raises the request's priority to `priority` (priority inheritance: a request that depends
    /// on this one has it). Returns whether it was lower.
    pub(crate) fn raise(&self, priority: i64) -> bool {
        let mut old = self.priority.load(Relaxed);
        while old < priority {
            match self.priority.cmpxchg(old, priority, Relaxed) {
                Ok(_) => return true,
                Err(now) => old = now,
            }
        }
        false
    }

    /// The sequence number of the request's fence, while it has not signalled.
    pub(crate) fn seqno(&self) -> Option<u64> {
        self.fence.lock().as_ref().map(|f| f.fence().seqno())
    }

    /// Calls `f` on each fence the request waits for: its own (which names its predecessors on its
    /// timeline) while it has not signalled, then its explicit and its implicit dependencies.
    pub(crate) fn waits_for(&self, mut f: impl FnMut(&Fence) -> Result) -> Result {
        let own: Option<ARef<Fence>> = self.fence.lock().as_ref().map(|f| f.fence().into());
        if let Some(own) = own {
            f(&own)?;
        }
        for dep in self.deps.iter() {
            f(dep)?;
        }
        // Copied out, as `f` may sleep. The list is taken when the request runs and never added
        // to after it is queued: it cannot grow between the reservation and the copy.
        let n = self.implicit.lock().len();
        if n == 0 {
            return Ok(());
        }
        let mut implicit = KVec::with_capacity(n, GFP_KERNEL)?;
        for dep in self.implicit.lock().iter().take(n) {
            implicit.push(dep.clone(), GFP_NOWAIT)?;
        }
        implicit.iter().try_for_each(|dep| f(dep))
    }

    /// Adds the implicit-synchronization dependencies; call before [`Request::queue`].
    pub(crate) fn add_deps(&self, implicit: KVec<ARef<Fence>>) {
        let old = core::mem::replace(&mut *self.implicit.lock(), implicit);
        drop(old);
    }

    /// Whether the request can run (or must stop): every dependency has signalled. If one has
    /// not, a callback kicks the engine when it does.
    pub(crate) fn ready(&self) -> bool {
        if self.must_stop().is_err() {
            return true;
        }
        let implicit = self.implicit.lock();
        for dep in Iterator::chain(self.deps.iter(), implicit.iter()) {
            if !dep.is_signaled() && self.waiter.wait_for(dep) {
                return false;
            }
        }
        true
    }

    /// Runs the batch (from where it yielded last), asking `arbitrate` at every point where the
    /// streamer asks; a dependency's error ends it first.
    pub(crate) fn run(&self, arbitrate: impl FnMut(Point) -> Result<Control>) -> Result<Outcome> {
        self.must_stop()?;
        let implicit = core::mem::take(&mut *self.implicit.lock());
        for dep in Iterator::chain(self.deps.iter(), implicit.iter()) {
            dep.status()?;
        }
        // Not held while the batch runs: `arbitrate` takes the engine's locks.
        let mut cursor = *self.cursor.lock();
        let mmio_base = self.ring_slot.timeline().engine.id.mmio_base();
        let outcome = cmd::execute(&self.maps, self.batch, mmio_base, &mut cursor, arbitrate);
        *self.cursor.lock() = cursor;
        outcome
    }

    /// Signals the request's fence, with `error` if it failed.
    pub(crate) fn finish(&self, error: Option<Error>) {
        let fence = self.fence.lock().take();
        if let Some(fence) = fence {
            fence.signal(error);
        }
    }
}
