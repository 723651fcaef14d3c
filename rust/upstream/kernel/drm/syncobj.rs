// SPDX-License-Identifier: GPL-2.0

//! DRM sync objects: userspace-visible containers for a fence.
//!
//! C header: [`include/drm/drm_syncobj.h`](srctree/include/drm/drm_syncobj.h)

use crate::{
    dma_buf::{
        fence::Fence,
        fence_chain::ChainAllocation, //
    },
    drm::{
        self,
        file::DriverFile,
        File, //
    },
    error::to_result,
    prelude::*,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};
use core::ptr::{
    self,
    NonNull, //
};

/// A DRM sync object.
///
/// # Invariants
///
/// The wrapped `struct drm_syncobj` is initialized and the holder of a `&SyncObj` holds a
/// reference to it.
#[repr(transparent)]
pub struct SyncObj(Opaque<bindings::drm_syncobj>);

// SAFETY: The C API is thread-safe: the fence pointer is RCU-protected and changed under the
// object's lock; the reference count is atomic.
unsafe impl Send for SyncObj {}
// SAFETY: See above.
unsafe impl Sync for SyncObj {}

// SAFETY: `drm_syncobj_get`/`drm_syncobj_put` manage the reference count; the object stays valid
// while it is positive.
unsafe impl AlwaysRefCounted for SyncObj {
    fn inc_ref(&self) {
        // SAFETY: The object is valid by the type invariant.
        unsafe { bindings::drm_syncobj_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::drm_syncobj_put(obj.as_ptr().cast()) };
    }
}

impl SyncObj {
    fn as_raw(&self) -> *mut bindings::drm_syncobj {
        self.0.get()
    }

    /// Takes over a reference the caller owns.
    ///
    /// # Safety
    ///
    /// `ptr` is a valid sync object and the caller owns one reference to it.
    unsafe fn from_raw_owned(ptr: NonNull<bindings::drm_syncobj>) -> ARef<Self> {
        // SAFETY: `SyncObj` is transparent; the reference is transferred by the caller.
        unsafe { ARef::from_raw(ptr.cast()) }
    }

    /// Creates a sync object holding `fence`, if any.
    pub fn new(fence: Option<&Fence>) -> Result<ARef<Self>> {
        let mut obj = ptr::null_mut();
        let fence = fence.map_or(ptr::null_mut(), Fence::as_raw);
        // SAFETY: `obj` is a valid out-pointer; `fence` is NULL or a valid fence, on which the
        // sync object takes its own reference.
        to_result(unsafe { bindings::drm_syncobj_create(&mut obj, 0, fence) })?;
        // SAFETY: On success `obj` is a new sync object whose reference we own.
        Ok(unsafe { Self::from_raw_owned(NonNull::new_unchecked(obj)) })
    }

    /// Looks up the sync object that `handle` names in `file`: [`ENOENT`] if none.
    ///
    /// Only for drivers with [`drm::Driver::FEAT_SYNCOBJ`], whose files have a table of sync
    /// objects: for others the call does not build.
    pub fn lookup<T: DriverFile>(file: &File<T>, handle: u32) -> Result<ARef<Self>> {
        crate::const_assert!(
            <T::Driver as drm::Driver>::FEAT_SYNCOBJ,
            "sync objects of a driver without FEAT_SYNCOBJ"
        );
        // SAFETY: `file` is a valid, open DRM file, whose table of sync objects the DRM core set
        // up at open (the driver has `FEAT_SYNCOBJ`, checked above).
        let obj = unsafe { bindings::drm_syncobj_find(file.as_raw(), handle) };
        let obj = NonNull::new(obj).ok_or(ENOENT)?;
        // SAFETY: `drm_syncobj_find` returned a reference we own.
        Ok(unsafe { Self::from_raw_owned(obj) })
    }

    /// Returns the fence the sync object holds now, if any.
    pub fn fence(&self) -> Option<ARef<Fence>> {
        // SAFETY: The object is valid; the result is NULL or a new fence reference.
        let fence = unsafe { bindings::drm_syncobj_fence_get(self.as_raw()) };
        // SAFETY: A non-NULL result is a fence reference we own.
        NonNull::new(fence).map(|f| unsafe { Fence::from_raw_owned(f) })
    }

    /// Replaces the fence the sync object holds (waking its waiters) with `fence`, or with none.
    pub fn replace_fence(&self, fence: Option<&Fence>) {
        let fence = fence.map_or(ptr::null_mut(), Fence::as_raw);
        // SAFETY: The object is valid; `fence` is NULL or a valid fence, on which the sync object
        // takes its own reference.
        unsafe { bindings::drm_syncobj_replace_fence(self.as_raw(), fence) };
    }

    /// Adds `fence` as timeline point `point` (waking its waiters), in the chain node `chain`.
    ///
    /// The point should be after the last one: otherwise the chain starts a new timeline and
    /// waits for points before it no longer work (the C code only logs it).
    pub fn add_point(&self, chain: ChainAllocation, fence: &Fence, point: u64) {
        // SAFETY: The object is valid; `chain` is an unused node the call takes over; the chain
        // takes its own reference on `fence`.
        unsafe {
            bindings::drm_syncobj_add_point(self.as_raw(), chain.into_raw(), fence.as_raw(), point)
        };
    }
}

#[macros::kunit_tests(rust_drm_syncobj)]
mod tests {
    use super::*;
    use crate::dma_buf::{
        fence::{
            FenceAllocation,
            FenceContext,
            FenceNames, //
        },
        fence_chain, //
    };

    static NAMES: FenceNames = FenceNames {
        driver: c"kunit",
        timeline: c"kunit-syncobj",
    };

    #[test]
    fn holds_and_replaces_fences() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let b = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);

        let empty = SyncObj::new(None)?;
        assert!(empty.fence().is_none());
        empty.replace_fence(Some(a.fence()));
        assert_eq!(empty.fence().map(|f| f.seqno()), Some(a.fence().seqno()));

        let full = SyncObj::new(Some(b.fence()))?;
        let held = full.fence().ok_or(EINVAL)?;
        assert_eq!(held.seqno(), b.fence().seqno());
        full.replace_fence(None);
        assert!(full.fence().is_none());
        // The sync object's reference kept the fence alive; signalling reaches its holders.
        b.signal(None);
        assert!(held.is_signaled());
        a.signal(None);
        assert!(empty.fence().ok_or(EINVAL)?.is_signaled());
        Ok(())
    }

    #[test]
    fn timeline_points_are_found_until_collected() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let b = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let timeline = SyncObj::new(None)?;
        timeline.add_point(ChainAllocation::new()?, a.fence(), 1);
        timeline.add_point(ChainAllocation::new()?, b.fence(), 3);
        let head = timeline.fence().ok_or(EINVAL)?;
        assert_eq!(head.seqno(), 3);

        let seqno = |p| fence_chain::find_point(head.clone(), p).map(|f| f.map(|f| f.seqno()));
        assert_eq!(seqno(0), Ok(Some(3)));
        assert_eq!(seqno(1), Ok(Some(1)));
        // A point between two nodes is reached by the later one.
        assert_eq!(seqno(2), Ok(Some(3)));
        assert_eq!(seqno(4), Err(EINVAL));

        a.signal(None);
        let point1 = fence_chain::find_point(head.clone(), 1)?;
        // Signalled and collected: nothing left to wait for.
        assert!(point1.is_none());
        assert!(!head.is_signaled());
        b.signal(None);
        assert!(head.is_signaled());

        // A fence that is no chain has only point 0.
        let c = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let plain: ARef<Fence> = c.fence().into();
        assert_eq!(
            fence_chain::find_point(plain.clone(), 1).err(),
            Some(EINVAL)
        );
        assert_eq!(
            fence_chain::find_point(plain, 0)?.map(|f| f.seqno()),
            Some(c.fence().seqno())
        );
        c.signal(None);
        // An allocation never added is simply freed.
        drop(ChainAllocation::new()?);
        Ok(())
    }
}
