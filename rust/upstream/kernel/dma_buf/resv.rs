// SPDX-License-Identifier: GPL-2.0

//! DMA reservation objects: the fences of a shared buffer and the ww-mutex that guards them.
//!
//! Waiting and querying need no lock. Adding a fence needs the lock, proven by a [`Locked`]
//! borrow, obtained from [`DmaResv::lock`] for one object or from
//! [`crate::drm::exec::Exec`] for several.
//!
//! C header: [`include/linux/dma-resv.h`](srctree/include/linux/dma-resv.h)

use super::fence::Fence;
use crate::{
    error::to_result,
    prelude::*,
    sync::aref::ARef,
    time::Jiffies,
    types::{
        NotThreadSafe,
        Opaque, //
    },
};
use core::ptr::{
    self,
    NonNull, //
};

/// How a fence uses the buffer; each usage includes the ones before it when querying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Usage {
    /// Kernel memory management (moves, clears).
    Kernel = bindings::dma_resv_usage_DMA_RESV_USAGE_KERNEL,
    /// Implicit write synchronization: others wait for it before reading or writing.
    Write = bindings::dma_resv_usage_DMA_RESV_USAGE_WRITE,
    /// Implicit read synchronization: writers wait for it.
    Read = bindings::dma_resv_usage_DMA_RESV_USAGE_READ,
    /// Never waited on implicitly.
    Bookkeep = bindings::dma_resv_usage_DMA_RESV_USAGE_BOOKKEEP,
}

/// A reservation object.
///
/// # Invariants
///
/// The wrapped `struct dma_resv` is initialized and stays valid while borrowed.
#[repr(transparent)]
pub struct DmaResv(Opaque<bindings::dma_resv>);

// SAFETY: The C API is thread-safe: the fence list is RCU-protected and changed under the lock.
unsafe impl Send for DmaResv {}
// SAFETY: See above.
unsafe impl Sync for DmaResv {}

impl DmaResv {
    /// Borrows a reservation object from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to an initialized `struct dma_resv` that stays valid for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::dma_resv) -> &'a Self {
        // SAFETY: `DmaResv` is a transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub fn as_raw(&self) -> *mut bindings::dma_resv {
        self.0.get()
    }

    /// Waits until every fence of `usage` (and the usages before it) has signalled, for at most
    /// `timeout` jiffies ([`super::fence::FOREVER`] for ever).
    ///
    /// Returns the jiffies left (at least 1), [`ETIME`] on timeout, [`ERESTARTSYS`] if
    /// `interruptible` and a signal arrived.
    pub fn wait(&self, usage: Usage, interruptible: bool, timeout: Jiffies) -> Result<Jiffies> {
        // SAFETY: The object is valid by the type invariant.
        let ret = unsafe {
            bindings::dma_resv_wait_timeout(
                self.as_raw(),
                usage as bindings::dma_resv_usage,
                interruptible,
                timeout,
            )
        };
        match ret {
            0 => Err(ETIME),
            // The ret > 0 arm guarantees the cast is lossless.
            ret if ret > 0 => Ok(ret as Jiffies),
            ret => Err(Error::from_errno(ret as i32)),
        }
    }

    /// Returns whether every fence of `usage` (and the usages before it) has signalled.
    pub fn test_signaled(&self, usage: Usage) -> bool {
        // SAFETY: The object is valid by the type invariant.
        unsafe {
            bindings::dma_resv_test_signaled(self.as_raw(), usage as bindings::dma_resv_usage)
        }
    }

    /// Returns a snapshot of the unsignalled fences of `usage` (and the usages before it).
    pub fn fences(&self, usage: Usage) -> Result<KVec<ARef<Fence>>> {
        let mut num: u32 = 0;
        let mut array: *mut *mut bindings::dma_fence = ptr::null_mut();
        // SAFETY: The object is valid; on success `array` holds `num` fence references that we
        // own, in an array we must `kfree`.
        to_result(unsafe {
            bindings::dma_resv_get_fences(
                self.as_raw(),
                usage as bindings::dma_resv_usage,
                &mut num,
                &mut array,
            )
        })?;
        let mut out = KVec::new();
        let mut result = Ok(());
        for i in 0..num as usize {
            // SAFETY: `array` has `num` valid entries.
            let raw = unsafe { *array.add(i) };
            // SAFETY: Each entry is a non-NULL fence reference we own.
            let fence = unsafe { Fence::from_raw_owned(NonNull::new_unchecked(raw)) };
            if result.is_ok() {
                result = out.push(fence, GFP_KERNEL).map_err(Error::from);
            }
        }
        // SAFETY: The array was allocated by `dma_resv_get_fences` with `kmalloc`.
        unsafe { bindings::kfree(array.cast()) };
        result.map(|()| out)
    }

    /// Locks the object on its own (interruptibly) without an acquire context.
    ///
    /// Use [`crate::drm::exec::Exec`] to lock several objects.
    pub fn lock(&self) -> Result<ResvGuard<'_>> {
        // SAFETY: The object is valid; a NULL context means a single lock.
        to_result(unsafe {
            bindings::dma_resv_lock_interruptible(self.as_raw(), ptr::null_mut())
        })?;
        // SAFETY: We just took the lock and the guard releases it.
        Ok(ResvGuard(unsafe { Locked::new(self) }))
    }
}

/// Proof that a reservation object is locked by the current thread for `'a`.
///
/// # Invariants
///
/// `self.0` is locked by the current context for the lifetime `'a`.
pub struct Locked<'a>(&'a DmaResv, NotThreadSafe);

impl<'a> Locked<'a> {
    /// Creates the proof.
    ///
    /// # Safety
    ///
    /// `resv` is locked by the caller and stays locked for `'a`.
    pub unsafe fn new(resv: &'a DmaResv) -> Self {
        Self(resv, NotThreadSafe)
    }

    /// Returns the reservation object.
    pub fn resv(&self) -> &'a DmaResv {
        self.0
    }

    /// Makes room for `num` more fences.
    pub fn reserve_fences(&self, num: u32) -> Result {
        // SAFETY: The object is locked by the type invariant.
        to_result(unsafe { bindings::dma_resv_reserve_fences(self.0.as_raw(), num) })
    }

    /// Adds `fence` with `usage`, replacing an older fence of the same context.
    ///
    /// Fails only if no slot was reserved and none can be allocated; reserve slots beforehand
    /// (with [`Locked::reserve_fences`]) where failure is not acceptable.
    pub fn add_fence(&self, fence: &Fence, usage: Usage) -> Result {
        // `dma_resv_add_fence` requires a free slot: this is a no-op if one was reserved.
        self.reserve_fences(1)?;
        // SAFETY: The object is locked and has a free slot; `dma_resv_add_fence` takes its own
        // reference on the fence.
        unsafe {
            bindings::dma_resv_add_fence(
                self.0.as_raw(),
                fence.as_raw(),
                usage as bindings::dma_resv_usage,
            )
        };
        Ok(())
    }
}

/// A reservation object locked on its own; unlocked on drop.
pub struct ResvGuard<'a>(Locked<'a>);

impl<'a> core::ops::Deref for ResvGuard<'a> {
    type Target = Locked<'a>;

    fn deref(&self) -> &Locked<'a> {
        &self.0
    }
}

impl Drop for ResvGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The guard owns the lock.
        unsafe { bindings::dma_resv_unlock(self.0.resv().as_raw()) };
    }
}

#[macros::kunit_tests(rust_dma_resv)]
mod tests {
    use super::*;
    use crate::dma_buf::fence::{
        FenceAllocation,
        FenceContext,
        FenceNames, //
    };

    static NAMES: FenceNames = FenceNames {
        driver: c"kunit",
        timeline: c"kunit-resv",
    };

    /// A reservation object owned by the test.
    struct TestResv(KBox<Opaque<bindings::dma_resv>>);

    impl TestResv {
        fn new() -> Result<Self> {
            let r = KBox::new(Opaque::uninit(), GFP_KERNEL)?;
            // SAFETY: `r` is valid memory for a `dma_resv`.
            unsafe { bindings::dma_resv_init(r.get()) };
            Ok(Self(r))
        }

        fn resv(&self) -> &DmaResv {
            // SAFETY: Initialized in `new`, finalized in `drop`.
            unsafe { DmaResv::from_raw(self.0.get()) }
        }
    }

    impl Drop for TestResv {
        fn drop(&mut self) {
            // SAFETY: Initialized in `new` and unlocked.
            unsafe { bindings::dma_resv_fini(self.0.get()) };
        }
    }

    #[test]
    fn usages_and_waits() -> Result {
        let ctx_w = FenceContext::new(&NAMES);
        let ctx_r = FenceContext::new(&NAMES);
        let obj = TestResv::new()?;
        let resv = obj.resv();
        assert!(resv.test_signaled(Usage::Bookkeep));

        let writer = FenceAllocation::new(GFP_KERNEL)?.init(&ctx_w);
        let reader = FenceAllocation::new(GFP_KERNEL)?.init(&ctx_r);
        {
            let locked = resv.lock()?;
            locked.reserve_fences(2)?;
            locked.add_fence(writer.fence(), Usage::Write)?;
            locked.add_fence(reader.fence(), Usage::Read)?;
        }
        assert_eq!(resv.fences(Usage::Write)?.len(), 1);
        assert_eq!(resv.fences(Usage::Read)?.len(), 2);
        assert!(!resv.test_signaled(Usage::Write));
        assert_eq!(resv.wait(Usage::Read, true, 0), Err(ETIME));

        writer.signal(None);
        assert!(resv.test_signaled(Usage::Write));
        assert!(!resv.test_signaled(Usage::Read));
        assert_eq!(resv.fences(Usage::Write)?.len(), 0);
        assert!(resv.wait(Usage::Write, false, 1)? >= 1);

        reader.signal(None);
        assert!(resv.wait(Usage::Read, true, 1)? >= 1);
        assert!(resv.fences(Usage::Read)?.is_empty());
        Ok(())
    }
}
