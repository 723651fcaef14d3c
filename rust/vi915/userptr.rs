// SPDX-License-Identifier: GPL-2.0

//! Userptr objects: GEM objects backed by a range of a process' memory.
//!
//! The pages are pinned when a request (or `SET_DOMAIN`) needs them, in the caller's context and
//! with no driver lock held, and stay pinned until the range changes. An interval notifier over
//! the range tells us when it does: the callback, under the device's notifier lock, bumps the
//! notifier's sequence and takes the pages away; on an unmap it then waits, for a bounded time,
//! for the requests using them, and makes those still going stop (see [`Engine::revoke`]); it
//! leaves the unpinning to a worker (unpinning dirties pages, which takes their locks, and the
//! callback may run under one of them).
//!
//! A request keeps its own reference to the pinned pages and to the object, so the notifier
//! watches the range for as long as a request may touch it. It is published (its fence added
//! anywhere, queued) only under the notifier lock and only if no userptr of it changed since its
//! pages were pinned; otherwise execbuffer answers `EAGAIN` and the request is dropped unseen.
//! See `Documentation/vi915/userptr.rst`.
//!
//! [`Engine::revoke`]: crate::engine::Engine::revoke

use core::ops::Deref;
use kernel::{
    dma_buf::fence::Fence,
    drm::gem::lru::Shrunk,
    impl_has_work,
    mm::{
        interval_notifier::{
            Event,
            IntervalNotifier,
            Invalidate,
            Invalidation,
            Seq, //
        },
        user_pages::UserPages,
        virt::flags,
        Mm, //
    },
    new_spinlock, new_work,
    page::{
        BorrowedPage,
        PAGE_SIZE, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        SpinLock, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Instant,
        Jiffies,
        Monotonic, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

use crate::{
    driver::Vi915Device,
    gem::{
        Madv,
        Object, //
    },
};

/// How often execbuffer re-pins a userptr whose range keeps changing before giving up with
/// `EAGAIN`.
const PIN_ATTEMPTS: u32 = 8;
/// How long an unmap waits, in all, for the requests using a userptr's pages before revoking
/// them.
const UNMAP_GRACE_MS: u32 = 2000;

/// Pages pinned for a userptr, shared by the object and the requests using them.
#[pin_data]
pub(crate) struct PinnedSet {
    pub(crate) pages: UserPages,
    /// The userptr's revocation count, and its value when these pages were pinned.
    revocations: Arc<Atomic<u64>>,
    generation: u64,
    #[pin]
    work: Work<PinnedSet>,
}

impl_has_work! {
    impl HasWork<Self> for PinnedSet { self.work }
}

impl WorkItem for PinnedSet {
    type Pointer = Arc<PinnedSet>;

    /// Drops the invalidated set's reference; the pages are unpinned (and dirtied) when the last
    /// request using them is done too.
    fn run(_this: Arc<PinnedSet>) {}
}

impl PinnedSet {
    /// Whether an unmap of the range revoked these pages: requests using them must stop.
    pub(crate) fn revoked(&self) -> bool {
        self.revocations.load(Relaxed) != self.generation
    }

    /// Returns page `index`.
    pub(crate) fn page(&self, index: usize) -> Option<BorrowedPage<'_>> {
        self.pages.page(index)
    }
}

/// What changes under the notifier lock.
struct State {
    /// The notifier sequence the pages were pinned under.
    seq: Option<Seq>,
    pages: Option<Arc<PinnedSet>>,
    /// The fences of the requests that use the pages (some may have signalled).
    active: KVec<ARef<Fence>>,
}

/// A userptr object's range and state.
#[pin_data]
pub(crate) struct Userptr {
    dev: ARef<Vi915Device>,
    /// The address space the range belongs to.
    mm: ARef<Mm>,
    /// First address of the range.
    pub(crate) start: usize,
    /// Pages in the range.
    pub(crate) count: usize,
    /// The engine must not write the pages.
    pub(crate) read_only: bool,
    /// Bumped when an unmap revokes every pinned set of the range (see [`PinnedSet::revoked`]).
    revocations: Arc<Atomic<u64>>,
    #[pin]
    state: SpinLock<State>,
}

/// A userptr's notifier and state.
pub(crate) type Notifier = IntervalNotifier<Userptr>;

/// A userptr object's notifier, as the object holds it.
///
/// The object's free hands it to the device's reclaim worker: removing the notifier may wait for
/// a running invalidation, and dropping the last pins takes page locks, neither of which the
/// last reference's holder may do when it is the engine, which an invalidation may be waiting
/// for.
#[pin_data]
pub(crate) struct Range {
    #[pin]
    notifier: Notifier,
    #[pin]
    work: Work<Range>,
}

impl_has_work! {
    impl HasWork<Self> for Range { self.work }
}

impl WorkItem for Range {
    type Pointer = Pin<KBox<Range>>;

    /// Removes the notifier and drops the pins it had.
    fn run(_this: Pin<KBox<Range>>) {}
}

impl Deref for Range {
    type Target = Notifier;

    fn deref(&self) -> &Notifier {
        &self.notifier
    }
}

impl Range {
    /// Watches `[start, start + size)` of the current process.
    pub(crate) fn new(
        dev: &Vi915Device,
        start: usize,
        size: usize,
        read_only: bool,
    ) -> Result<Pin<KBox<Range>>> {
        let task = kernel::current!();
        let mm = task.mm().ok_or(EFAULT)?;
        let data = try_pin_init!(Userptr {
            dev: dev.into(),
            mm: ARef::from(&**mm),
            start,
            count: size / PAGE_SIZE,
            read_only,
            revocations: Arc::new(Atomic::new(0), GFP_KERNEL)?,
            state <- new_spinlock!(State {
                seq: None,
                pages: None,
                active: KVec::new(),
            }),
        });
        KBox::pin_init(
            try_pin_init!(Range {
                notifier <- Notifier::new(mm, start, size, data),
                work <- new_work!("vi915::userptr::Range::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Frees the range on the device's reclaim worker (see [`Range`]).
    pub(crate) fn release(this: Pin<KBox<Range>>) {
        let dev = this.data().dev.clone();
        dev.reclaim.enqueue(this);
    }
}

impl Invalidate for Userptr {
    fn invalidate(notifier: &Notifier, change: &Invalidation<'_>) -> bool {
        let u = notifier.data();
        // The range is unmapped (munmap, mremap away, exit): its pages must not be touched once
        // this returns. Other changes (huge page splits, protection changes, COW protection,
        // cleared entries) leave the pinned pages in place: running requests finish with them,
        // later ones see the new sequence and re-pin.
        let unmap = matches!(change.event(), Event::Unmap | Event::Release);
        let lock = &u.dev.notifier_lock;
        let guard = if change.blockable() {
            lock.lock()
        } else {
            match lock.try_lock() {
                Some(g) => g,
                None => return false,
            }
        };
        let (pages, active) = {
            let mut s = u.state.lock();
            let busy = s.active.iter().any(|f| !f.is_signaled());
            if busy && unmap && !change.blockable() {
                return false;
            }
            change.set_seq();
            s.seq = None;
            // Without an unmap, the requests stay recorded: a later unmap still waits for them.
            let active = if unmap {
                core::mem::take(&mut s.active)
            } else {
                Default::default()
            };
            (s.pages.take(), active)
        };
        drop(guard);
        if unmap && !finished_within(&active, UNMAP_GRACE_MS) {
            // Still queued or running (behind another client's batch, or a spinner that waits
            // for this very process, say): every request using any pages of this range stops
            // before its next command, and those not running end without running.
            u.revocations.fetch_add(1, Relaxed);
            u.dev.engines.iter().for_each(|e| e.revoke());
        }
        if let Some(pages) = pages {
            // Unpinning dirties the pages, which takes their locks; the caller may hold one.
            let _ = u.dev.reclaim.enqueue(pages);
        }
        true
    }
}

/// The longest timeout the timer wheel expires on time: its first level, 64 jiffies, has a
/// granularity of one jiffy, and a longer timeout may fire up to an eighth of it late.
const PRECISE_JIFFIES: Jiffies = 63;

/// Waits for `fences` to signal, for at most `ms` milliseconds in all; returns whether they did.
/// Each wait is at most [`PRECISE_JIFFIES`] long, so that the deadline is kept to a jiffy.
fn finished_within(fences: &[ARef<Fence>], ms: u32) -> bool {
    let deadline = Instant::<Monotonic>::now() + Delta::from_millis(i64::from(ms));
    for f in fences {
        loop {
            let left = (deadline - Instant::now()).as_millis_ceil();
            if left <= 0 {
                // Past the deadline: what is left must have signalled already.
                if f.is_signaled() {
                    break;
                }
                return false;
            }
            let timeout = msecs_to_jiffies(u32::try_from(left).unwrap_or(u32::MAX));
            match f.wait(false, timeout.min(PRECISE_JIFFIES)) {
                Ok(_) => break,
                Err(e) if e == ETIME => {}
                Err(_) => return false,
            }
        }
    }
    true
}

/// Returns the pinned pages of userptr `obj` (whose notifier is `n`), pinning them if the range
/// changed since they were pinned, or never was, or the shrinker dropped them. Call with no
/// driver lock held, from the process that created the userptr (`EFAULT` otherwise): pinning
/// faults pages in, which may sleep and run userfaultfd handlers.
///
/// As on i915, a userptr marked `DONTNEED` keeps pages it has, but gets none (`EFAULT`).
///
/// Callers then put the object on the device's reclaimable LRU, under its reservation lock (see
/// [`kernel::drm::gem::lru::Lru::move_tail`]), so that the shrinker may drop idle pins.
pub(crate) fn pages(obj: &Object, n: &Notifier) -> Result<(Arc<PinnedSet>, Seq)> {
    let u = n.data();
    let task = kernel::current!();
    match task.mm() {
        Some(mm) if mm.as_raw() == u.mm.as_raw() => {}
        _ => return Err(EFAULT),
    }
    {
        let s = u.state.lock();
        if let (Some(seq), Some(pages)) = (s.seq, &s.pages) {
            // O(1): a changed range bumped the sequence.
            if !n.check_retry(seq) {
                return Ok((pages.clone(), seq));
            }
        }
    }
    if obj.madv() != Madv::WillNeed {
        return Err(EFAULT);
    }
    for _ in 0..PIN_ATTEMPTS {
        let seq = n.read_begin();
        // Long-term: the pins stay until the range changes or the shrinker drops them.
        let pinned = UserPages::pin_longterm(u.start, u.count, !u.read_only)?;
        let set = Arc::pin_init(
            pin_init!(PinnedSet {
                pages: pinned,
                revocations: u.revocations.clone(),
                generation: u.revocations.load(Relaxed),
                work <- new_work!("vi915::userptr::PinnedSet::work"),
            }),
            GFP_KERNEL,
        )?;
        let _guard = u.dev.notifier_lock.lock();
        if n.read_retry(seq) {
            // Changed while pinning: these pages may be stale. Drop them (outside the lock).
            drop(_guard);
            drop(set);
            continue;
        }
        let old = {
            let mut s = u.state.lock();
            s.seq = Some(seq);
            s.pages.replace(set.clone())
        };
        drop(_guard);
        drop(old);
        return Ok((set, seq));
    }
    Err(EAGAIN)
}

/// Drops the pins of `n`'s range if no request uses them any more (for the shrinker); the next
/// use pins the range again. That frees nothing (the pages stay the process'), but lets reclaim
/// swap or migrate them: [`Shrunk::Nothing`].
pub(crate) fn release_idle(n: &Notifier) -> Shrunk {
    let u = n.data();
    let pages = {
        let mut s = u.state.lock();
        if s.active.iter().any(|f| !f.is_signaled()) {
            return Shrunk::Busy;
        }
        s.seq = None;
        s.pages.take()
    };
    if let Some(pages) = pages {
        // Unpinning dirties the pages, which takes their locks: not in reclaim.
        let _ = u.dev.reclaim.enqueue(pages);
    }
    Shrunk::Nothing
}

/// Makes room to record one more request using the pages ([`set_active`]), forgetting those
/// that are done. Call with the object's reservation lock held, which makes the room ours:
/// only its holder records requests.
pub(crate) fn reserve_active(n: &Notifier) -> Result {
    let u = n.data();
    let len = {
        let mut s = u.state.lock();
        s.active.retain(|f| !f.is_signaled());
        if s.active.len() < s.active.capacity() {
            return Ok(());
        }
        s.active.len()
    };
    let mut room = KVec::with_capacity(2 * len + 1, GFP_KERNEL)?;
    let mut s = u.state.lock();
    // An invalidation may have taken some meanwhile; none were added (we hold the lock that
    // adding needs), so they all fit.
    for f in s.active.drain_all() {
        room.push(f, GFP_NOWAIT)?;
    }
    s.active = room;
    Ok(())
}

/// Records `fence` as a user of the pages: an unmap waits for it. Call with the device's
/// notifier lock held, after [`reserve_active`] and after the sequence check said no change.
pub(crate) fn set_active(n: &Notifier, fence: &Fence) {
    // Room was reserved: this does not allocate.
    let _ = n.data().state.lock().active.push(fence.into(), GFP_NOWAIT);
}

/// `I915_USERPTR_PROBE`: fails with `EFAULT` unless every page of `[start, start + size)` is
/// mapped by ordinary memory (not `VM_PFNMAP`/`VM_MIXEDMAP`, such as a GEM object's mmap).
pub(crate) fn probe(start: usize, size: usize) -> Result {
    let task = kernel::current!();
    let mm = task.mm().ok_or(EFAULT)?;
    let end = start.checked_add(size).ok_or(EFAULT)?;
    let guard = mm.mmap_read_lock();
    let mut addr = start;
    while addr < end {
        let vma = guard.vma_lookup(addr).ok_or(EFAULT)?;
        if vma.flags() & (flags::PFNMAP | flags::MIXEDMAP) != 0 {
            return Err(EFAULT);
        }
        addr = vma.end();
    }
    Ok(())
}
