// SPDX-License-Identifier: GPL-2.0

//! LRU lists of GEM objects, for shrinkers.
//!
//! An [`Lru`] lists objects of one device whose memory a shrinker may reclaim, oldest first, and
//! keeps the number of their pages for a lockless count. The list does not hold references: an
//! object leaves it when it is freed. [`Lru::scan`] walks it the way a shrinker's scan should:
//! each object is referenced and its reservation object trylocked (reclaim must not wait for
//! it) before a driver's [`LruShrink::shrink`] decides, under that lock, what to do with it. The
//! scan frees no object: one whose last reference it ends up holding goes to a [`Deferred`]
//! list, freed outside reclaim.
//!
//! A list belongs to the device of the first object put on it, or of the first scan: objects of
//! another device, and scans or puts naming another device, are refused with [`EINVAL`] (the
//! list is protected by its device's `gem_lru_mutex`, so one list cannot serve two devices).
//!
//! C header: [`include/drm/drm_gem.h`](srctree/include/drm/drm_gem.h)

use crate::{
    dma_buf::resv::Locked,
    drm::{
        driver::AllocImpl,
        gem::BaseObject,
        Device, //
    },
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr, //
};

/// What [`LruShrink::shrink`] did with an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shrunk {
    /// Its memory was released: it leaves the LRU and its pages count as freed.
    Freed,
    /// It cannot be reclaimed now (busy, pinned): it stays on the LRU.
    Busy,
    /// It has nothing to reclaim any more: it leaves the LRU.
    Nothing,
}

/// Decides what a scan of an [`Lru`] does with each object.
pub trait LruShrink<O> {
    /// Reclaims what it can of `obj`, whose reservation object `resv` is locked.
    ///
    /// Called in reclaim context (see [`crate::shrinker`]): must not allocate with `GFP_KERNEL`
    /// nor wait for anything that waits for reclaim.
    fn shrink(obj: &O, resv: &Locked<'_>) -> Shrunk;
}

/// What [`Lru::scan`] achieved, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Pages of the objects whose memory was released.
    pub freed: usize,
    /// Pages of the objects skipped (busy or locked by someone else): still reclaimable later.
    pub remaining: usize,
}

/// An LRU list of GEM objects of type `O`, all of one device.
///
/// Changes take the device's `gem_lru_mutex`, which is never held while allocating memory.
///
/// # Invariants
///
/// - `lru` is an initialized `struct drm_gem_lru`.
/// - `dev` is null while nothing was ever put on the list; after that it stays the device of
///   every object on it, each an `O` removed from it (by `drm_gem_object_release`) before it is
///   freed.
/// - The LRU outlives every object on it.
#[pin_data]
pub struct Lru<O: AllocImpl> {
    #[pin]
    lru: Opaque<bindings::drm_gem_lru>,
    dev: Atomic<*mut bindings::drm_device>,
    _p: PhantomData<O>,
}

// SAFETY: Every access to the list goes through the device's `gem_lru_mutex`; the count is read
// locklessly by design.
unsafe impl<O: AllocImpl> Send for Lru<O> {}
// SAFETY: See above.
unsafe impl<O: AllocImpl> Sync for Lru<O> {}

impl<O: AllocImpl> Lru<O> {
    /// Creates an empty LRU for the objects of one device.
    ///
    /// # Safety
    ///
    /// The caller drops the LRU only once no object is on it: typically the LRU is part of its
    /// device's private data, which is dropped after the last of its objects is freed.
    pub unsafe fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `drm_gem_lru_init` initializes the list in place.
            lru <- Opaque::ffi_init(|lru| unsafe { bindings::drm_gem_lru_init(lru) }),
            dev: Atomic::new(ptr::null_mut()),
            _p: PhantomData,
        })
    }

    /// Makes `dev` the list's device if it has none yet; [`EINVAL`] if it has another.
    fn owned_by(&self, dev: *mut bindings::drm_device) -> Result {
        match self.dev.cmpxchg(ptr::null_mut(), dev, Relaxed) {
            Ok(_) => Ok(()),
            Err(owner) if owner == dev => Ok(()),
            Err(_) => Err(EINVAL),
        }
    }

    /// Returns the number of pages of the objects on the list, without locking.
    pub fn count(&self) -> usize {
        // SAFETY: The list is initialized (type invariant); `count` is written under the mutex
        // and read racily on purpose, as shrinker counts are.
        let count = unsafe { ptr::read_volatile(&raw const (*self.lru.get()).count) };
        usize::try_from(count).unwrap_or(0)
    }

    /// Moves `obj`, whose reservation object `resv` is locked, to the end of the list (from
    /// whatever LRU it was on).
    ///
    /// A scan holds that lock from the shrink of an object until it has looked where the shrink
    /// left it, so the object cannot come back in between. [`EINVAL`], and the object stays
    /// where it is, if it belongs to another device than the list or `resv` is another object's.
    pub fn move_tail(&self, obj: &O, resv: &Locked<'_>) -> Result {
        if !ptr::eq(resv.resv(), obj.resv()) {
            return Err(EINVAL);
        }
        let raw = obj.as_raw();
        // SAFETY: `obj` is a valid GEM object, whose `dev` never changes.
        self.owned_by(unsafe { (*raw).dev })?;
        // SAFETY: The list is initialized and `obj` is a valid object of the list's device (type
        // invariants, checked above); the call takes that device's LRU mutex.
        unsafe { bindings::drm_gem_lru_move_tail(self.lru.get(), raw) };
        Ok(())
    }

    /// Takes `obj` off whatever LRU it is on.
    pub fn remove(obj: &O) {
        // SAFETY: `obj` is a valid object; the call takes its device's LRU mutex.
        unsafe { bindings::drm_gem_lru_remove(obj.as_raw()) };
    }

    /// Offers up to `nr_to_scan` pages' worth of objects, oldest first, to `S::shrink`.
    ///
    /// Objects whose reservation object is locked elsewhere are skipped (and counted as
    /// remaining); objects being freed are skipped. An object whose owner dropped its reference
    /// while the scan held one is not freed (a free may take locks reclaim must not wait for):
    /// it goes to `dead` instead, for [`Deferred::put_all`] to free outside reclaim.
    ///
    /// [`EINVAL`], and nothing is scanned, unless `dev` is the device of the list and of `dead`.
    pub fn scan<S: LruShrink<O>>(
        &self,
        dev: &Device<O::Driver>,
        nr_to_scan: usize,
        dead: &Deferred<O>,
    ) -> Result<Scanned> {
        self.owned_by(dev.as_raw())?;
        dead.list.owned_by(dev.as_raw())?;
        let mut remaining = 0;
        let nr = u32::try_from(nr_to_scan).unwrap_or(u32::MAX);
        // SAFETY: `dev` is the device of every object on the list and on `dead` (type
        // invariants, checked above); the callback matches the C prototype; a NULL ticket means
        // plain trylocks. An object moved to `dead` keeps the scan's reference, which `dead` then
        // owns, as its invariant says.
        let freed = unsafe {
            bindings::drm_gem_lru_scan_deferred(
                dev.as_raw(),
                self.lru.get(),
                nr,
                &mut remaining,
                Some(Self::shrink_callback::<S>),
                ptr::null_mut(),
                dead.list.lru.get(),
            )
        };
        Ok(Scanned { freed, remaining })
    }

    extern "C" fn shrink_callback<S: LruShrink<O>>(
        raw: *mut bindings::drm_gem_object,
        _ticket: *mut bindings::ww_acquire_ctx,
    ) -> bool {
        // SAFETY: The scan passes an object of this LRU, hence an `O` (type invariant), and holds
        // a reference to it for the call.
        let obj = unsafe { O::from_raw(raw) };
        // SAFETY: The scan holds the object's reservation lock for the call.
        let resv = unsafe { Locked::new(obj.resv()) };
        let shrunk = S::shrink(obj, &resv);
        if shrunk != Shrunk::Busy {
            // The scan does not hold the LRU mutex while calling us; an object it freed must be
            // off its list when we return.
            Self::remove(obj);
        }
        shrunk == Shrunk::Freed
    }
}

/// Objects a scan ([`Lru::scan`]) held the last reference to, which it left to be freed outside
/// reclaim.
///
/// # Invariants
///
/// `list` is an [`Lru`] whose objects each hold one reference that the list owns; objects are
/// added only by [`Lru::scan`].
#[pin_data]
pub struct Deferred<O: AllocImpl> {
    #[pin]
    list: Lru<O>,
}

impl<O: AllocImpl> Deferred<O> {
    /// Creates an empty list for the objects of one device.
    ///
    /// # Safety
    ///
    /// As for [`Lru::new`]: it is dropped only once empty.
    pub unsafe fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: The caller's contract is `Lru::new`'s.
            list <- unsafe { Lru::new() },
        })
    }

    /// Returns whether objects wait to be freed, without locking.
    pub fn is_empty(&self) -> bool {
        self.list.count() == 0
    }

    /// Drops the reference of every object on the list, taking them off it, which may free them:
    /// call from process context, not in reclaim.
    ///
    /// [`EINVAL`], and nothing is put, unless `dev` is the list's device.
    pub fn put_all(&self, dev: &Device<O::Driver>) -> Result {
        self.list.owned_by(dev.as_raw())?;
        // SAFETY: `dev` is the device of the objects on the list (checked above); each holds a
        // reference the list owns (type invariant), which this drops.
        unsafe { bindings::drm_gem_lru_put_all(dev.as_raw(), self.list.lru.get()) };
        Ok(())
    }
}
