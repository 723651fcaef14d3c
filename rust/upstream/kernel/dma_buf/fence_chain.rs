// SPDX-License-Identifier: GPL-2.0

//! DMA fence chains: timelines of fences, one per point, as timeline sync objects hold them.
//!
//! A chain node wraps one fence at one point of a timeline and links to the node of the point
//! before it. Signalled nodes are collected as the chain is walked. Adding a point takes a node
//! allocated beforehand, a [`ChainAllocation`], so that the add itself cannot fail.
//!
//! C header: [`include/linux/dma-fence-chain.h`](srctree/include/linux/dma-fence-chain.h)

use crate::{
    dma_buf::fence::Fence,
    error::to_result,
    prelude::*,
    sync::aref::ARef, //
};
use core::ptr::NonNull;

/// Memory for one chain node, not yet part of any chain.
///
/// # Invariants
///
/// `self.0` is a `struct dma_fence_chain` from `dma_fence_chain_alloc()`, uninitialized and owned
/// by `self`.
pub struct ChainAllocation(NonNull<bindings::dma_fence_chain>);

// SAFETY: The allocation is plain memory owned by `self`; any thread may free or use it.
unsafe impl Send for ChainAllocation {}
// SAFETY: `&ChainAllocation` gives access to nothing.
unsafe impl Sync for ChainAllocation {}

impl ChainAllocation {
    /// Allocates a chain node (`GFP_KERNEL`): this may sleep.
    pub fn new() -> Result<Self> {
        // SAFETY: No preconditions.
        let chain = unsafe { bindings::dma_fence_chain_alloc() };
        // INVARIANT: A non-NULL result is a fresh allocation we own.
        NonNull::new(chain).map(Self).ok_or(ENOMEM)
    }

    /// Gives up the allocation; the caller takes over freeing it.
    #[inline]
    pub(crate) fn into_raw(self) -> *mut bindings::dma_fence_chain {
        let chain = self.0.as_ptr();
        core::mem::forget(self);
        chain
    }
}

impl Drop for ChainAllocation {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the allocation is ours and was never initialized, which is
        // what `dma_fence_chain_free()` (a plain free) expects.
        unsafe { bindings::dma_fence_chain_free(self.0.as_ptr()) };
    }
}

/// Finds the fence of timeline point `point` on the chain that `head` ends.
///
/// Returns `head` itself for point 0, the chain node of `point` (or of the first point after it
/// on the chain) while that point is pending, and `None` once the points up to it have signalled
/// and been collected. [`EINVAL`] if `head` is not a chain node or its point is before `point`.
pub fn find_point(head: ARef<Fence>, point: u64) -> Result<Option<ARef<Fence>>> {
    let mut fence = ARef::into_raw(head).as_ptr().cast::<bindings::dma_fence>();
    // SAFETY: `fence` is a valid fence whose reference we own. On success the function leaves
    // in it NULL or another fence, whose reference we own instead; on failure it leaves it
    // unchanged.
    let ret = unsafe { bindings::dma_fence_chain_find_seqno(&mut fence, point) };
    // SAFETY: Whatever the outcome, `fence` is NULL or a fence whose reference we own (see
    // above), taken over here so that the error path drops it too.
    let found = NonNull::new(fence).map(|f| unsafe { Fence::from_raw_owned(f) });
    to_result(ret)?;
    Ok(found)
}
