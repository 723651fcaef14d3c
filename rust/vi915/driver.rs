// SPDX-License-Identifier: GPL-2.0

//! The DRM driver: identity, device-wide state and the ioctl table.

use kernel::{
    device::DeviceContext,
    dma_buf::{
        fence::Fence,
        resv::{
            DmaResv,
            Usage, //
        },
    },
    drm::{
        self,
        gem::lru::{
            Deferred,
            Lru, //
        },
        ioctl::{
            AUTH,
            MASTER,
            RENDER_ALLOW,
            ROOT_ONLY, //
        },
    },
    faux,
    new_mutex,
    prelude::*,
    shrinker::MemcgId,
    sync::{
        atomic::Atomic,
        Arc,
        Mutex,
        SetOnce, //
    },
    uapi,
    workqueue::OwnedQueue, //
};

use crate::{
    engine::Engine,
    engine_id::EngineId,
    file::Vi915File,
    gem::Object,
    interrupts::Interrupts,
    ioctls::{
        none,
        r,
        w,
        wr, //
    },
    params::Params,
    request::Request,
    stats::Stats, //
};

/// The vi915 DRM driver.
pub(crate) struct Vi915Driver;

/// The vi915 DRM device.
pub(crate) type Vi915Device<Ctx = drm::Normal> = drm::Device<Vi915Driver, Ctx>;

/// Name reported by `DRM_IOCTL_VERSION` by default.
pub(crate) const NAME: &CStr = c"vi915";
/// Name reported when the `i915_name` module parameter is set. IGT opens a device as an Intel
/// GPU only if its DRM driver name is exactly this.
pub(crate) const I915_NAME: &CStr = c"i915";

const INFO: drm::DriverInfo = drm::DriverInfo {
    major: 1,
    minor: 6,
    patchlevel: 0,
    name: NAME,
    desc: c"i915 uAPI on a software engine",
};

/// Device-wide state, shared by every open file of the device.
#[pin_data]
pub(crate) struct Vi915Data {
    /// i915's tunables, exposed in debugfs as `i915_params/`.
    pub(crate) params: Arc<Params>,
    /// The engines, indexed by [`EngineId::index`].
    pub(crate) engines: KVec<Arc<Engine>>,
    /// The next GEM object id.
    pub(crate) next_object_id: Atomic<u64>,
    /// The notifier lock: taken by userptr invalidations around the notifier sequence update,
    /// and by execbuffer around its last check of the sequences and the publication of the
    /// request. See `Documentation/vi915/userptr.rst`.
    #[pin]
    pub(crate) notifier_lock: Mutex<()>,
    /// Unpins userptr pages an invalidation or the shrinker took away, and frees the ranges of
    /// freed userptr objects (off their callers' contexts); drained when the module goes.
    pub(crate) reclaim: OwnedQueue,
    /// The interruptible waits: counts, and the injection knob (debugfs).
    pub(crate) interrupts: Interrupts,
    /// Debug knob (debugfs `vi915_userptr_force_retry`): the next this-many execbuffers with
    /// userptrs see their sequence moved at the last check, and return `EAGAIN`.
    pub(crate) userptr_force_retry: Atomic<u32>,
    /// Object statistics (debugfs `i915_gem_objects`).
    pub(crate) stats: Arc<Stats>,
    /// What the shrinker may reclaim: `DONTNEED` objects with pages, and userptrs with pinned
    /// pages. See [`crate::purge`].
    #[pin]
    pub(crate) reclaimable: Lru<Object>,
    /// Objects whose last reference the shrinker's scan was left holding, freed by the reclaim
    /// worker ([`crate::purge::Reaper`]).
    #[pin]
    pub(crate) dead: Deferred<Object>,
    /// The shrinker's handle for marking memory cgroups, set once it is registered.
    pub(crate) shrinker_memcg: SetOnce<MemcgId>,
}

impl Vi915Data {
    /// Returns the engine `fence` belongs to, if it is one of ours and has not signalled.
    pub(crate) fn engine_of(&self, fence: &Fence) -> Option<&Arc<Engine>> {
        let names = fence.driver_names()?;
        self.engines
            .iter()
            .find(|e| core::ptr::eq(e.id.names(), names))
    }

    /// Spins, before a wait sleeps, while the unsignalled fences of `usage` in `resv` are ours
    /// and their engines run requests ([`Engine::busywait`]). Returns whether all signalled.
    pub(crate) fn busywait(&self, resv: &DmaResv, usage: Usage) -> Result<bool> {
        for f in resv.fences(usage)? {
            match self.engine_of(&f) {
                Some(engine) if engine.busywait(&f) => (),
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Priority inheritance, as i915's scheduler has it: raises to `request`'s priority every
    /// request of ours it waits for, directly or through others, on any engine, so that a
    /// request of a lower priority it needs cannot hold it up behind others of a priority in
    /// between. Call once it is queued. `ENOMEM` leaves some of them unraised.
    pub(crate) fn inherit(&self, request: &Arc<Request>) -> Result {
        let priority = request.priority();
        let mut raised = KVec::new();
        let mut next = Some(request.clone());
        while let Some(r) = next.take().or_else(|| raised.pop()) {
            r.waits_for(|f| match self.engine_of(f) {
                Some(engine) if !f.is_signaled() => engine.raise(f, priority, &mut raised),
                _ => Ok(()),
            })?;
        }
        Ok(())
    }

    /// Waits until every engine is idle.
    pub(crate) fn wait_idle(&self) {
        self.engines.iter().for_each(|e| e.wait_idle());
    }
}

/// Creates the DRM device on `parent`, named "i915" if `as_i915`, "vi915" otherwise.
pub(crate) fn new_device(
    parent: &faux::Device<kernel::device::Bound>,
    as_i915: bool,
) -> Result<drm::UnregisteredDevice<Vi915Driver>> {
    let params = Arc::new(Params::new(), GFP_KERNEL)?;
    let mut engines = KVec::with_capacity(EngineId::ALL.len(), GFP_KERNEL)?;
    for id in EngineId::ALL {
        engines.push(Engine::new(id, params.clone())?, GFP_KERNEL)?;
    }
    let data = try_pin_init!(Vi915Data {
        params,
        engines,
        next_object_id: Atomic::new(1),
        notifier_lock <- new_mutex!(()),
        reclaim: OwnedQueue::new_ordered(c"vi915-reclaim")?,
        interrupts: Interrupts::new(),
        userptr_force_retry: Atomic::new(0),
        stats: Stats::new()?,
        // SAFETY: The LRU is dropped with the device's data, after the last of the device's
        // objects is freed (each holds a reference to the device).
        reclaimable <- unsafe { Lru::new() },
        // SAFETY: As for `reclaimable`: the objects on it hold references to the device.
        dead <- unsafe { Deferred::new() },
        shrinker_memcg: SetOnce::new(),
    });
    if as_i915 {
        drm::UnregisteredDevice::new_named(parent, data, I915_NAME)
    } else {
        drm::UnregisteredDevice::new(parent, data)
    }
}

#[vtable]
impl drm::Driver for Vi915Driver {
    type Data = Vi915Data;
    type RegistrationData<'a> = ();
    type File = Vi915File;
    type Object = crate::gem::Object;
    type ParentDevice<Ctx: DeviceContext> = faux::Device<Ctx>;

    const INFO: drm::DriverInfo = INFO;
    const FEAT_RENDER: bool = true;
    const FEAT_SYNCOBJ: bool = true;
    const FEAT_SYNCOBJ_TIMELINE: bool = true;

    // i915's ioctls (i915_driver.c) by number, with i915's flags.
    kernel::declare_drm_ioctl_table! {
        (I915_INIT, w::<uapi::drm_i915_init_t>(uapi::DRM_I915_INIT),
            drm_i915_init_t, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_FLUSH, none(uapi::DRM_I915_FLUSH), , AUTH, Vi915File::noop),
        (I915_FLIP, none(uapi::DRM_I915_FLIP), , AUTH, Vi915File::noop),
        (I915_BATCHBUFFER, w::<uapi::drm_i915_batchbuffer>(uapi::DRM_I915_BATCHBUFFER),
            drm_i915_batchbuffer, AUTH, Vi915File::noop),
        (I915_IRQ_EMIT, wr::<uapi::drm_i915_irq_emit>(uapi::DRM_I915_IRQ_EMIT),
            drm_i915_irq_emit, AUTH, Vi915File::noop),
        (I915_IRQ_WAIT, w::<uapi::drm_i915_irq_wait>(uapi::DRM_I915_IRQ_WAIT),
            drm_i915_irq_wait, AUTH, Vi915File::noop),
        (I915_GETPARAM, wr::<uapi::drm_i915_getparam>(uapi::DRM_I915_GETPARAM),
            drm_i915_getparam, RENDER_ALLOW, Vi915File::getparam),
        (I915_SETPARAM, w::<uapi::drm_i915_setparam>(uapi::DRM_I915_SETPARAM),
            drm_i915_setparam, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_ALLOC, wr::<uapi::drm_i915_mem_alloc>(uapi::DRM_I915_ALLOC),
            drm_i915_mem_alloc, AUTH, Vi915File::noop),
        (I915_FREE, w::<uapi::drm_i915_mem_free>(uapi::DRM_I915_FREE),
            drm_i915_mem_free, AUTH, Vi915File::noop),
        (I915_INIT_HEAP, w::<uapi::drm_i915_mem_init_heap>(uapi::DRM_I915_INIT_HEAP),
            drm_i915_mem_init_heap, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_CMDBUFFER, w::<uapi::drm_i915_cmdbuffer_t>(uapi::DRM_I915_CMDBUFFER),
            drm_i915_cmdbuffer_t, AUTH, Vi915File::noop),
        (I915_DESTROY_HEAP,
            w::<uapi::drm_i915_mem_destroy_heap>(uapi::DRM_I915_DESTROY_HEAP),
            drm_i915_mem_destroy_heap, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_SET_VBLANK_PIPE,
            w::<uapi::drm_i915_vblank_pipe>(uapi::DRM_I915_SET_VBLANK_PIPE),
            drm_i915_vblank_pipe, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_GET_VBLANK_PIPE,
            r::<uapi::drm_i915_vblank_pipe>(uapi::DRM_I915_GET_VBLANK_PIPE),
            drm_i915_vblank_pipe, AUTH, Vi915File::noop),
        (I915_VBLANK_SWAP, wr::<uapi::drm_i915_vblank_swap>(uapi::DRM_I915_VBLANK_SWAP),
            drm_i915_vblank_swap, AUTH, Vi915File::noop),
        (I915_HWS_ADDR, w::<uapi::drm_i915_gem_init>(uapi::DRM_I915_HWS_ADDR),
            drm_i915_gem_init, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_GEM_INIT, w::<uapi::drm_i915_gem_init>(uapi::DRM_I915_GEM_INIT),
            drm_i915_gem_init, AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_GEM_EXECBUFFER,
            w::<uapi::drm_i915_gem_execbuffer>(uapi::DRM_I915_GEM_EXECBUFFER),
            drm_i915_gem_execbuffer, AUTH, Vi915File::invalid),
        (I915_GEM_EXECBUFFER2_WR,
            wr::<uapi::drm_i915_gem_execbuffer2>(uapi::DRM_I915_GEM_EXECBUFFER2_WR),
            drm_i915_gem_execbuffer2, RENDER_ALLOW, Vi915File::gem_execbuffer2),
        (I915_GEM_PIN, wr::<uapi::drm_i915_gem_pin>(uapi::DRM_I915_GEM_PIN),
            drm_i915_gem_pin, AUTH | ROOT_ONLY, Vi915File::no_device),
        (I915_GEM_UNPIN, w::<uapi::drm_i915_gem_unpin>(uapi::DRM_I915_GEM_UNPIN),
            drm_i915_gem_unpin, AUTH | ROOT_ONLY, Vi915File::no_device),
        (I915_GEM_BUSY, wr::<uapi::drm_i915_gem_busy>(uapi::DRM_I915_GEM_BUSY),
            drm_i915_gem_busy, RENDER_ALLOW, Vi915File::gem_busy),
        (I915_GEM_SET_CACHING,
            w::<uapi::drm_i915_gem_caching>(uapi::DRM_I915_GEM_SET_CACHING),
            drm_i915_gem_caching, RENDER_ALLOW, Vi915File::gem_set_caching),
        (I915_GEM_GET_CACHING,
            wr::<uapi::drm_i915_gem_caching>(uapi::DRM_I915_GEM_GET_CACHING),
            drm_i915_gem_caching, RENDER_ALLOW, Vi915File::gem_get_caching),
        (I915_GEM_THROTTLE, none(uapi::DRM_I915_GEM_THROTTLE), , RENDER_ALLOW,
            Vi915File::gem_throttle),
        (I915_GEM_ENTERVT, none(uapi::DRM_I915_GEM_ENTERVT), ,
            AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_GEM_LEAVEVT, none(uapi::DRM_I915_GEM_LEAVEVT), ,
            AUTH | MASTER | ROOT_ONLY, Vi915File::noop),
        (I915_GEM_CREATE, wr::<uapi::drm_i915_gem_create>(uapi::DRM_I915_GEM_CREATE),
            drm_i915_gem_create, RENDER_ALLOW, Vi915File::gem_create),
        (I915_GEM_CREATE_EXT,
            wr::<uapi::drm_i915_gem_create_ext>(uapi::DRM_I915_GEM_CREATE_EXT),
            drm_i915_gem_create_ext, RENDER_ALLOW, Vi915File::gem_create_ext),
        (I915_GEM_PREAD, w::<uapi::drm_i915_gem_pread>(uapi::DRM_I915_GEM_PREAD),
            drm_i915_gem_pread, RENDER_ALLOW, Vi915File::gem_pread),
        (I915_GEM_PWRITE, w::<uapi::drm_i915_gem_pwrite>(uapi::DRM_I915_GEM_PWRITE),
            drm_i915_gem_pwrite, RENDER_ALLOW, Vi915File::gem_pwrite),
        (I915_GEM_MMAP, wr::<uapi::drm_i915_gem_mmap>(uapi::DRM_I915_GEM_MMAP),
            drm_i915_gem_mmap, RENDER_ALLOW, Vi915File::gem_mmap),
        (I915_GEM_MMAP_OFFSET,
            wr::<uapi::drm_i915_gem_mmap_offset>(uapi::DRM_I915_GEM_MMAP_GTT),
            drm_i915_gem_mmap_offset, RENDER_ALLOW, Vi915File::gem_mmap_offset),
        (I915_GEM_SET_DOMAIN,
            w::<uapi::drm_i915_gem_set_domain>(uapi::DRM_I915_GEM_SET_DOMAIN),
            drm_i915_gem_set_domain, RENDER_ALLOW, Vi915File::gem_set_domain),
        (I915_GEM_SW_FINISH,
            w::<uapi::drm_i915_gem_sw_finish>(uapi::DRM_I915_GEM_SW_FINISH),
            drm_i915_gem_sw_finish, RENDER_ALLOW, Vi915File::gem_sw_finish),
        (I915_GEM_SET_TILING,
            wr::<uapi::drm_i915_gem_set_tiling>(uapi::DRM_I915_GEM_SET_TILING),
            drm_i915_gem_set_tiling, RENDER_ALLOW, Vi915File::gem_set_tiling),
        (I915_GEM_GET_TILING,
            wr::<uapi::drm_i915_gem_get_tiling>(uapi::DRM_I915_GEM_GET_TILING),
            drm_i915_gem_get_tiling, RENDER_ALLOW, Vi915File::gem_get_tiling),
        (I915_GEM_GET_APERTURE,
            r::<uapi::drm_i915_gem_get_aperture>(uapi::DRM_I915_GEM_GET_APERTURE),
            drm_i915_gem_get_aperture, RENDER_ALLOW, Vi915File::gem_get_aperture),
        (I915_GET_PIPE_FROM_CRTC_ID,
            wr::<uapi::drm_i915_get_pipe_from_crtc_id>(uapi::DRM_I915_GET_PIPE_FROM_CRTC_ID),
            drm_i915_get_pipe_from_crtc_id, 0, Vi915File::no_crtc),
        (I915_GEM_MADVISE, wr::<uapi::drm_i915_gem_madvise>(uapi::DRM_I915_GEM_MADVISE),
            drm_i915_gem_madvise, RENDER_ALLOW, Vi915File::gem_madvise),
        (I915_OVERLAY_PUT_IMAGE,
            w::<uapi::drm_intel_overlay_put_image>(uapi::DRM_I915_OVERLAY_PUT_IMAGE),
            drm_intel_overlay_put_image, MASTER, Vi915File::no_device),
        (I915_OVERLAY_ATTRS,
            wr::<uapi::drm_intel_overlay_attrs>(uapi::DRM_I915_OVERLAY_ATTRS),
            drm_intel_overlay_attrs, MASTER, Vi915File::no_device),
        (I915_GET_SPRITE_COLORKEY,
            wr::<uapi::drm_intel_sprite_colorkey>(uapi::DRM_I915_GET_SPRITE_COLORKEY),
            drm_intel_sprite_colorkey, MASTER, Vi915File::noop),
        (I915_SET_SPRITE_COLORKEY,
            wr::<uapi::drm_intel_sprite_colorkey>(uapi::DRM_I915_SET_SPRITE_COLORKEY),
            drm_intel_sprite_colorkey, MASTER, Vi915File::set_colorkey),
        (I915_GEM_WAIT, wr::<uapi::drm_i915_gem_wait>(uapi::DRM_I915_GEM_WAIT),
            drm_i915_gem_wait, RENDER_ALLOW, Vi915File::gem_wait),
        (I915_GEM_CONTEXT_CREATE_EXT,
            wr::<uapi::drm_i915_gem_context_create_ext>(uapi::DRM_I915_GEM_CONTEXT_CREATE),
            drm_i915_gem_context_create_ext, RENDER_ALLOW, Vi915File::context_create),
        (I915_GEM_CONTEXT_DESTROY,
            w::<uapi::drm_i915_gem_context_destroy>(uapi::DRM_I915_GEM_CONTEXT_DESTROY),
            drm_i915_gem_context_destroy, RENDER_ALLOW, Vi915File::context_destroy),
        (I915_REG_READ, wr::<uapi::drm_i915_reg_read>(uapi::DRM_I915_REG_READ),
            drm_i915_reg_read, RENDER_ALLOW, Vi915File::invalid),
        (I915_GET_RESET_STATS,
            wr::<uapi::drm_i915_reset_stats>(uapi::DRM_I915_GET_RESET_STATS),
            drm_i915_reset_stats, RENDER_ALLOW, Vi915File::reset_stats),
        (I915_GEM_USERPTR, wr::<uapi::drm_i915_gem_userptr>(uapi::DRM_I915_GEM_USERPTR),
            drm_i915_gem_userptr, RENDER_ALLOW, Vi915File::gem_userptr),
        (I915_GEM_CONTEXT_GETPARAM,
            wr::<uapi::drm_i915_gem_context_param>(uapi::DRM_I915_GEM_CONTEXT_GETPARAM),
            drm_i915_gem_context_param, RENDER_ALLOW, Vi915File::context_getparam),
        (I915_GEM_CONTEXT_SETPARAM,
            wr::<uapi::drm_i915_gem_context_param>(uapi::DRM_I915_GEM_CONTEXT_SETPARAM),
            drm_i915_gem_context_param, RENDER_ALLOW, Vi915File::context_setparam),
        (I915_PERF_OPEN, w::<uapi::drm_i915_perf_open_param>(uapi::DRM_I915_PERF_OPEN),
            drm_i915_perf_open_param, RENDER_ALLOW, Vi915File::no_perf),
        (I915_PERF_ADD_CONFIG,
            w::<uapi::drm_i915_perf_oa_config>(uapi::DRM_I915_PERF_ADD_CONFIG),
            drm_i915_perf_oa_config, RENDER_ALLOW, Vi915File::no_perf),
        (I915_PERF_REMOVE_CONFIG, w::<u64>(uapi::DRM_I915_PERF_REMOVE_CONFIG),
            __u64, RENDER_ALLOW, Vi915File::no_perf),
        (I915_QUERY, wr::<uapi::drm_i915_query>(uapi::DRM_I915_QUERY),
            drm_i915_query, RENDER_ALLOW, Vi915File::query),
        (I915_GEM_VM_CREATE,
            wr::<uapi::drm_i915_gem_vm_control>(uapi::DRM_I915_GEM_VM_CREATE),
            drm_i915_gem_vm_control, RENDER_ALLOW, Vi915File::vm_create),
        (I915_GEM_VM_DESTROY,
            w::<uapi::drm_i915_gem_vm_control>(uapi::DRM_I915_GEM_VM_DESTROY),
            drm_i915_gem_vm_control, RENDER_ALLOW, Vi915File::vm_destroy),
    }
}

#[kunit_tests(vi915_ioctls)]
mod tests {
    use super::*;
    use kernel::{
        drm::{
            ioctl::DrmIoctlDescriptor,
            Driver, //
        },
        ioctl::_IOC_NR, //
    };

    fn slot(nr: u32) -> &'static DrmIoctlDescriptor {
        &Vi915Driver::IOCTLS[nr as usize]
    }

    #[test]
    fn table_is_indexed_by_number() {
        // The last i915 ioctl is GEM_CREATE_EXT (0x3c).
        assert_eq!(Vi915Driver::IOCTLS.len(), 0x3d);
        for (nr, desc) in Vi915Driver::IOCTLS.iter().enumerate() {
            if desc.func.is_some() {
                assert_eq!(
                    _IOC_NR(desc.cmd) as usize,
                    uapi::DRM_COMMAND_BASE as usize + nr
                );
            }
        }
    }

    #[test]
    fn holes_are_empty() {
        for nr in [0x10, 0x12] {
            assert!(slot(nr).func.is_none());
            assert_eq!(slot(nr).cmd, 0);
        }
    }

    /// i915's table (i915_driver.c) by number: each command as i915_drm.h spells it (computed
    /// from the header by a C compiler) and its flags.
    const I915_TABLE: [(u32, u32); 59] = [
        (0x4044_6440, AUTH | MASTER | ROOT_ONLY), // I915_INIT
        (0x0000_6441, AUTH),                      // I915_FLUSH
        (0x0000_6442, AUTH),                      // I915_FLIP
        (0x4020_6443, AUTH),                      // I915_BATCHBUFFER
        (0xc008_6444, AUTH),                      // I915_IRQ_EMIT
        (0x4004_6445, AUTH),                      // I915_IRQ_WAIT
        (0xc010_6446, RENDER_ALLOW),              // I915_GETPARAM
        (0x4008_6447, AUTH | MASTER | ROOT_ONLY), // I915_SETPARAM
        (0xc018_6448, AUTH),                      // I915_ALLOC
        (0x4008_6449, AUTH),                      // I915_FREE
        (0x400c_644a, AUTH | MASTER | ROOT_ONLY), // I915_INIT_HEAP
        (0x4020_644b, AUTH),                      // I915_CMDBUFFER
        (0x4004_644c, AUTH | MASTER | ROOT_ONLY), // I915_DESTROY_HEAP
        (0x4004_644d, AUTH | MASTER | ROOT_ONLY), // I915_SET_VBLANK_PIPE
        (0x8004_644e, AUTH),                      // I915_GET_VBLANK_PIPE
        (0xc00c_644f, AUTH),                      // I915_VBLANK_SWAP
        (0x4010_6451, AUTH | MASTER | ROOT_ONLY), // I915_HWS_ADDR
        (0x4010_6453, AUTH | MASTER | ROOT_ONLY), // I915_GEM_INIT
        (0x4028_6454, AUTH),                      // I915_GEM_EXECBUFFER
        (0xc018_6455, AUTH | ROOT_ONLY),          // I915_GEM_PIN
        (0x4008_6456, AUTH | ROOT_ONLY),          // I915_GEM_UNPIN
        (0xc008_6457, RENDER_ALLOW),              // I915_GEM_BUSY
        (0x0000_6458, RENDER_ALLOW),              // I915_GEM_THROTTLE
        (0x0000_6459, AUTH | MASTER | ROOT_ONLY), // I915_GEM_ENTERVT
        (0x0000_645a, AUTH | MASTER | ROOT_ONLY), // I915_GEM_LEAVEVT
        (0xc010_645b, RENDER_ALLOW),              // I915_GEM_CREATE
        (0x4020_645c, RENDER_ALLOW),              // I915_GEM_PREAD
        (0x4020_645d, RENDER_ALLOW),              // I915_GEM_PWRITE
        (0xc028_645e, RENDER_ALLOW),              // I915_GEM_MMAP
        (0x400c_645f, RENDER_ALLOW),              // I915_GEM_SET_DOMAIN
        (0x4004_6460, RENDER_ALLOW),              // I915_GEM_SW_FINISH
        (0xc010_6461, RENDER_ALLOW),              // I915_GEM_SET_TILING
        (0xc010_6462, RENDER_ALLOW),              // I915_GEM_GET_TILING
        (0x8010_6463, RENDER_ALLOW),              // I915_GEM_GET_APERTURE
        (0xc020_6464, RENDER_ALLOW),              // I915_GEM_MMAP_OFFSET
        (0xc008_6465, 0),                         // I915_GET_PIPE_FROM_CRTC_ID
        (0xc00c_6466, RENDER_ALLOW),              // I915_GEM_MADVISE
        (0x402c_6467, MASTER),                    // I915_OVERLAY_PUT_IMAGE
        (0xc02c_6468, MASTER),                    // I915_OVERLAY_ATTRS
        (0xc040_6469, RENDER_ALLOW),              // I915_GEM_EXECBUFFER2_WR
        (0xc014_646a, MASTER),                    // I915_GET_SPRITE_COLORKEY
        (0xc014_646b, MASTER),                    // I915_SET_SPRITE_COLORKEY
        (0xc010_646c, RENDER_ALLOW),              // I915_GEM_WAIT
        (0xc010_646d, RENDER_ALLOW),              // I915_GEM_CONTEXT_CREATE_EXT
        (0x4008_646e, RENDER_ALLOW),              // I915_GEM_CONTEXT_DESTROY
        (0x4008_646f, RENDER_ALLOW),              // I915_GEM_SET_CACHING
        (0xc008_6470, RENDER_ALLOW),              // I915_GEM_GET_CACHING
        (0xc010_6471, RENDER_ALLOW),              // I915_REG_READ
        (0xc018_6472, RENDER_ALLOW),              // I915_GET_RESET_STATS
        (0xc018_6473, RENDER_ALLOW),              // I915_GEM_USERPTR
        (0xc018_6474, RENDER_ALLOW),              // I915_GEM_CONTEXT_GETPARAM
        (0xc018_6475, RENDER_ALLOW),              // I915_GEM_CONTEXT_SETPARAM
        (0x4010_6476, RENDER_ALLOW),              // I915_PERF_OPEN
        (0x4048_6477, RENDER_ALLOW),              // I915_PERF_ADD_CONFIG
        (0x4008_6478, RENDER_ALLOW),              // I915_PERF_REMOVE_CONFIG
        (0xc010_6479, RENDER_ALLOW),              // I915_QUERY
        (0xc010_647a, RENDER_ALLOW),              // I915_GEM_VM_CREATE
        (0x4010_647b, RENDER_ALLOW),              // I915_GEM_VM_DESTROY
        (0xc018_647c, RENDER_ALLOW),              // I915_GEM_CREATE_EXT
    ];

    #[test]
    fn table_is_i915s() {
        let entries = Vi915Driver::IOCTLS
            .iter()
            .filter(|desc| desc.func.is_some());
        assert_eq!(entries.clone().count(), I915_TABLE.len());
        for (desc, &(cmd, flags)) in entries.zip(I915_TABLE.iter()) {
            assert_eq!(desc.cmd, cmd);
            assert_eq!(desc.flags, flags);
        }
    }
}
