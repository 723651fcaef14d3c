// SPDX-License-Identifier: GPL-2.0

//! The sync objects an execbuffer waits for and signals: `I915_EXEC_FENCE_ARRAY`, or the
//! timeline-fences extension (`I915_EXEC_USE_EXTENSIONS`), read in i915's order with i915's
//! errors.

use kernel::{
    dma_buf::{
        fence::Fence,
        fence_chain::{
            self,
            ChainAllocation, //
        },
    },
    drm::syncobj::SyncObj,
    prelude::*,
    sync::aref::ARef,
    uapi, //
};

use crate::{
    file::Vi915DrmFile,
    user::{
        self,
        walk_extensions, //
    },
};

/// Most sync-object fences one execbuffer may name (i915 allows more, limited only by memory).
const MAX_FENCES: u64 = 1 << 16;
/// The flags a fence may have.
const FENCE_FLAGS: u32 = uapi::I915_EXEC_FENCE_WAIT | uapi::I915_EXEC_FENCE_SIGNAL;

/// A sync object to signal with the request's fence.
struct Signal {
    obj: ARef<SyncObj>,
    /// For a timeline point other than 0, the point and its chain node, allocated up front so
    /// that signalling cannot fail.
    point: Option<(ChainAllocation, u64)>,
}

/// The sync objects to signal once the request's fence is published.
pub(crate) struct Signals {
    list: KVec<Signal>,
    /// Fences read so far, against [`MAX_FENCES`].
    read: u64,
}

impl Signals {
    /// Reads the execbuffer's sync-object fences: the fences to wait for join `deps`.
    pub(crate) fn read(
        file: &Vi915DrmFile,
        args: &uapi::drm_i915_gem_execbuffer2,
        deps: &mut KVec<ARef<Fence>>,
    ) -> Result<Self> {
        let mut signals = Signals {
            list: KVec::new(),
            read: 0,
        };
        let flags = args.flags;
        if flags & u64::from(uapi::I915_EXEC_USE_EXTENSIONS) != 0 {
            // Both flags use cliprects_ptr.
            if flags & u64::from(uapi::I915_EXEC_FENCE_ARRAY) != 0 || args.num_cliprects != 0 {
                return Err(EINVAL);
            }
            walk_extensions(args.cliprects_ptr, |name, at| {
                if name != uapi::DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES {
                    return Err(EINVAL);
                }
                let ext: uapi::drm_i915_gem_execbuffer_ext_timeline_fences = user::read(at)?;
                signals.read_timeline(file, &ext, deps)
            })?;
        } else if flags & u64::from(uapi::I915_EXEC_FENCE_ARRAY) != 0 {
            signals.read_array(file, args, deps)?;
        }
        Ok(signals)
    }

    /// Counts `n` more fences: [`EINVAL`] past [`MAX_FENCES`].
    fn count(&mut self, n: u64) -> Result {
        self.read = self
            .read
            .checked_add(n)
            .filter(|&r| r <= MAX_FENCES)
            .ok_or(EINVAL)?;
        Ok(())
    }

    /// Reads `I915_EXEC_FENCE_ARRAY`: a binary sync object's fence is waited for if the entry
    /// says so (it must have one), and replaced by the request's if the entry says so.
    fn read_array(
        &mut self,
        file: &Vi915DrmFile,
        args: &uapi::drm_i915_gem_execbuffer2,
        deps: &mut KVec<ARef<Fence>>,
    ) -> Result {
        self.count(u64::from(args.num_cliprects))?;
        for i in 0..u64::from(args.num_cliprects) {
            let f: uapi::drm_i915_gem_exec_fence = user::read_nth(args.cliprects_ptr, i)?;
            if f.flags & !FENCE_FLAGS != 0 {
                return Err(EINVAL);
            }
            let obj = SyncObj::lookup(file, f.handle)?;
            if f.flags & uapi::I915_EXEC_FENCE_WAIT != 0 {
                deps.push(obj.fence().ok_or(EINVAL)?, GFP_KERNEL)?;
            }
            if f.flags & uapi::I915_EXEC_FENCE_SIGNAL != 0 {
                self.list.push(Signal { obj, point: None }, GFP_KERNEL)?;
            }
        }
        Ok(())
    }

    /// Reads one timeline-fences extension: pairs of a fence and a timeline point.
    ///
    /// As in i915, whatever fence the entry finds is waited for, even by an entry that only
    /// signals (the sync object's last fence, if its point is not on the timeline); a point
    /// that has signalled and been collected is skipped; waiting for and signalling the same
    /// point other than 0 is [`EINVAL`].
    fn read_timeline(
        &mut self,
        file: &Vi915DrmFile,
        ext: &uapi::drm_i915_gem_execbuffer_ext_timeline_fences,
        deps: &mut KVec<ARef<Fence>>,
    ) -> Result {
        self.count(ext.fence_count)?;
        for i in 0..ext.fence_count {
            let f: uapi::drm_i915_gem_exec_fence = user::read_nth(ext.handles_ptr, i)?;
            if f.flags & !FENCE_FLAGS != 0 {
                return Err(EINVAL);
            }
            let point: u64 = user::read_nth(ext.values_ptr, i)?;
            let obj = SyncObj::lookup(file, f.handle)?;
            let signal = f.flags & uapi::I915_EXEC_FENCE_SIGNAL != 0;
            let fence = match obj.fence() {
                None if f.flags != 0 && !signal => return Err(EINVAL),
                None => None,
                Some(last) => match fence_chain::find_point(last.clone(), point) {
                    Ok(found) => found,
                    Err(e) if !signal => return Err(e),
                    Err(_) => Some(last),
                },
            };
            if fence.is_none() && !signal {
                continue;
            }
            let point = if point != 0 && signal {
                if f.flags & uapi::I915_EXEC_FENCE_WAIT != 0 {
                    return Err(EINVAL);
                }
                Some((ChainAllocation::new()?, point))
            } else {
                None
            };
            if let Some(fence) = fence {
                deps.push(fence, GFP_KERNEL)?;
            }
            if signal {
                self.list.push(Signal { obj, point }, GFP_KERNEL)?;
            }
        }
        Ok(())
    }

    /// Signals every sync object with `fence`, the request's published fence.
    pub(crate) fn signal(self, fence: &Fence) {
        for s in self.list {
            match s.point {
                Some((chain, point)) => s.obj.add_point(chain, fence, point),
                None => s.obj.replace_fence(Some(fence)),
            }
        }
    }
}
