// SPDX-License-Identifier: GPL-2.0

//! Interval notifiers: being told when the mappings of a range of a process' address space
//! change (unmap, `mprotect`, migration, `fork` COW, exit).
//!
//! A driver that caches something derived from user mappings (pinned pages, say) reads a
//! sequence number with [`IntervalNotifier::read_begin`] before deriving it, and before using
//! it checks, under a lock of its own, that [`IntervalNotifier::read_retry`] says the range did
//! not change since. The invalidation callback takes the same lock and calls
//! [`Invalidation::set_seq`], so the check and the change are ordered.
//!
//! C header: [`include/linux/mmu_notifier.h`](srctree/include/linux/mmu_notifier.h)

use crate::{
    error::to_result,
    mm::MmWithUser,
    prelude::*,
    types::Opaque, //
};
use core::marker::PhantomData;

/// An invalidation sequence number, from [`IntervalNotifier::read_begin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq(usize);

/// What a notifier is told about a change.
pub trait Invalidate: Send + Sync + Sized {
    /// Called before the mappings of `range` (which overlaps the notifier's interval) change.
    ///
    /// Must call [`Invalidation::set_seq`] under the lock that readers hold around
    /// [`IntervalNotifier::read_retry`]. If `range` is not blockable the callback must not sleep:
    /// it then returns `false` if it would have had to, and the caller retries later; otherwise
    /// it returns `true`.
    fn invalidate(notifier: &IntervalNotifier<Self>, change: &Invalidation<'_>) -> bool;
}

/// Why a range is invalidated (`enum mmu_notifier_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `munmap()`, or `mremap()` moving the range away: the range no longer maps these pages.
    Unmap,
    /// Page table entries cleared (`MADV_DONTNEED`, huge page splits, truncation, ...).
    Clear,
    /// Protection change for the whole range (`mprotect()`).
    ProtectionVma,
    /// Write protection of pages (copy-on-write after `fork()`, ...).
    ProtectionPage,
    /// Soft-dirty tracking: same pages, same mappings.
    SoftDirty,
    /// The address space is going away (process exit).
    Release,
    /// Pages are migrated (`migrate_vma`).
    Migrate,
    /// Entries are made device-exclusive.
    Exclusive,
}

/// One invalidation, as given to [`Invalidate::invalidate`].
pub struct Invalidation<'a> {
    range: &'a bindings::mmu_notifier_range,
    seq: usize,
    raw: *mut bindings::mmu_interval_notifier,
    _p: PhantomData<&'a ()>,
}

impl Invalidation<'_> {
    /// First address of the range that changes.
    pub fn start(&self) -> usize {
        self.range.start
    }

    /// One past the last address of the range that changes.
    pub fn end(&self) -> usize {
        self.range.end
    }

    /// Why the range is invalidated.
    pub fn event(&self) -> Event {
        match self.range.event {
            bindings::mmu_notifier_event_MMU_NOTIFY_UNMAP => Event::Unmap,
            bindings::mmu_notifier_event_MMU_NOTIFY_PROTECTION_VMA => Event::ProtectionVma,
            bindings::mmu_notifier_event_MMU_NOTIFY_PROTECTION_PAGE => Event::ProtectionPage,
            bindings::mmu_notifier_event_MMU_NOTIFY_SOFT_DIRTY => Event::SoftDirty,
            bindings::mmu_notifier_event_MMU_NOTIFY_RELEASE => Event::Release,
            bindings::mmu_notifier_event_MMU_NOTIFY_MIGRATE => Event::Migrate,
            bindings::mmu_notifier_event_MMU_NOTIFY_EXCLUSIVE => Event::Exclusive,
            // The kernel's catch-all for clearing entries.
            _ => Event::Clear,
        }
    }

    /// Whether the callback may sleep.
    pub fn blockable(&self) -> bool {
        // SAFETY: `range` is valid for the callback's duration.
        unsafe { bindings::mmu_notifier_range_blockable(self.range) }
    }

    /// Records the change: from now on [`IntervalNotifier::read_retry`] reports it. Call with
    /// the readers' lock held.
    pub fn set_seq(&self) {
        // SAFETY: `raw` is the notifier being invalidated, valid for the callback's duration;
        // `seq` is the sequence number the core gave this invalidation.
        unsafe { bindings::mmu_interval_set_seq(self.raw, self.seq) };
    }
}

/// An interval notifier over `[start, start + length)` of one address space, with the data
/// its callback works on.
///
/// # Invariants
///
/// `raw` is inserted in the address space's interval tree from initialization until drop, with
/// ops that call `T::invalidate` on this value.
#[pin_data(PinnedDrop)]
pub struct IntervalNotifier<T: Invalidate> {
    #[pin]
    data: T,
    #[pin]
    raw: Opaque<bindings::mmu_interval_notifier>,
}

// SAFETY: The C notifier is used concurrently by the core and its owner as documented; `T` is
// `Send + Sync`.
unsafe impl<T: Invalidate> Send for IntervalNotifier<T> {}
// SAFETY: See above.
unsafe impl<T: Invalidate> Sync for IntervalNotifier<T> {}

impl<T: Invalidate> IntervalNotifier<T> {
    const OPS: bindings::mmu_interval_notifier_ops = bindings::mmu_interval_notifier_ops {
        invalidate: Some(Self::invalidate_callback),
        invalidate_start: None,
        invalidate_finish: None,
    };

    /// Watches `[start, start + length)` of `mm`, whose users the caller holds (registering the
    /// first notifier of an address space needs a live one); `data` is initialized first, so the
    /// callback, which may run as soon as the notifier is inserted, finds it ready.
    ///
    /// The initializer borrows `mm`: it cannot run once the caller's reference is gone.
    pub fn new<'a>(
        mm: &'a MmWithUser,
        start: usize,
        length: usize,
        data: impl PinInit<T, Error> + 'a,
    ) -> impl PinInit<Self, Error> + 'a
    where
        T: 'a,
    {
        try_pin_init!(Self {
            data <- data,
            raw <- Opaque::try_ffi_init(move |slot| {
                let mm = mm.as_raw();
                // SAFETY: `slot` is valid memory for the notifier, which does not move (pinned);
                // `mm` is a live address space with users (the initializer borrows the caller's
                // reference); the ops live as long as the code that defines `T`, which outlives
                // the notifier (removed on drop).
                to_result(unsafe {
                    bindings::mmu_interval_notifier_insert(slot, mm, start, length, &Self::OPS)
                })
            }),
        })
    }

    /// Returns the callback's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Starts reading the range: returns the sequence number to check with
    /// [`IntervalNotifier::read_retry`]. Waits for an invalidation in progress to end.
    ///
    /// Must not be called with the lock the callback takes held.
    pub fn read_begin(&self) -> Seq {
        // SAFETY: The notifier is inserted (type invariant).
        Seq(unsafe { bindings::mmu_interval_read_begin(self.raw.get()) })
    }

    /// Returns whether the range changed since `seq` was read. Only meaningful with the lock the
    /// callback holds around [`Invalidation::set_seq`] held.
    pub fn read_retry(&self, seq: Seq) -> bool {
        // SAFETY: The notifier is valid (type invariant).
        unsafe { bindings::mmu_interval_read_retry(self.raw.get(), seq.0) }
    }

    /// Like [`IntervalNotifier::read_retry`] but without the lock: a hint, which may miss a
    /// change in progress.
    pub fn check_retry(&self, seq: Seq) -> bool {
        // SAFETY: The notifier is valid (type invariant).
        unsafe { bindings::mmu_interval_check_retry(self.raw.get(), seq.0) }
    }

    extern "C" fn invalidate_callback(
        raw: *mut bindings::mmu_interval_notifier,
        range: *const bindings::mmu_notifier_range,
        cur_seq: usize,
    ) -> bool {
        // SAFETY: `raw` is the `raw` field of an `IntervalNotifier<T>` (only such notifiers use
        // these ops), which stays alive until it is removed, and removal waits for callbacks.
        let this = unsafe { &*crate::container_of!(Opaque::cast_from(raw), Self, raw) };
        let change = Invalidation {
            // SAFETY: The core passes a valid range for the callback's duration.
            range: unsafe { &*range },
            seq: cur_seq,
            raw,
            _p: PhantomData,
        };
        T::invalidate(this, &change)
    }
}

#[pinned_drop]
impl<T: Invalidate> PinnedDrop for IntervalNotifier<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The notifier is inserted (type invariant); removal waits for running callbacks
        // and drops the reference on the address space taken at insertion.
        unsafe { bindings::mmu_interval_notifier_remove(self.raw.get()) };
    }
}
