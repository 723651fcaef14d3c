// SPDX-License-Identifier: GPL-2.0

//! The GEM object ioctls, with i915's checks in i915's order.

use kernel::{
    dma_buf::{
        fence::FOREVER,
        resv::Usage, //
    },
    drm::gem::{
        shmem::ObjectConfig,
        BaseObject, //
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::Relaxed,
    time::{
        msecs_to_jiffies,
        Instant,
        Monotonic, //
    },
    uapi, //
};

use crate::{
    backing::Backing,
    file::{
        RegisteredDevice,
        Vi915DrmFile,
        Vi915File, //
    },
    gem::{
        self,
        Madv,
        Object,
        Source, //
    },
    interrupts::Site,
    purge,
    user::{
        self,
        walk_extensions, //
    },
    userptr::{
        self,
        Range, //
    },
};

/// End of the user address range (x86-64 with 4-level paging, `TASK_SIZE_MAX`): the bound
/// `access_ok` checks.
const USER_END: u64 = (1 << 47) - PAGE_SIZE as u64;
/// GPU domains, refused by `SET_DOMAIN`.
const GPU_DOMAINS: u32 = 0x3e;
/// The GGTT size reported by `GET_APERTURE`: 4 GiB, as on Broadwell.
const GGTT_SIZE: u64 = 1 << 32;

/// `access_ok()`: the range lies in the user address space.
fn access_ok(ptr: u64, size: u64) -> Result {
    match ptr.checked_add(size) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(EFAULT),
    }
}

/// `range_overflows()`: `[offset, offset + size)` does not fit in `limit`.
fn range_overflows(offset: u64, size: u64, limit: u64) -> bool {
    offset >= limit || size > limit - offset
}

/// Copies between an object's pages and userspace: `[offset, offset + size)` of `obj` to or from
/// `data`, page by page.
fn copy_user(obj: &Object, offset: u64, size: u64, data: u64, to_user: bool) -> Result {
    let pages = Backing::pin(obj)?;
    let mut done = 0;
    while done < size {
        let at = offset + done;
        let in_page = (at % PAGE_SIZE as u64) as usize;
        let chunk = (size - done).min((PAGE_SIZE - in_page) as u64);
        let ptr = kernel::uaccess::UserPtr::from_addr((data + done) as usize);
        pages.with_page((at / PAGE_SIZE as u64) as usize, |m| {
            if to_user {
                m.copy_to_user(in_page, ptr, chunk as usize)
            } else {
                m.copy_from_user(in_page, ptr, chunk as usize)
            }
        })?;
        done += chunk;
    }
    Ok(())
}

/// `PREAD` (`to_user`) and `PWRITE`: i915's checks in order, then a wait (for writers before a
/// read, for everyone before a write) and the copy.
fn read_write(
    dev: &RegisteredDevice,
    file: &Vi915DrmFile,
    handle: u32,
    offset: u64,
    size: u64,
    data: u64,
    to_user: bool,
) -> Result<u32> {
    if size == 0 {
        return Ok(0);
    }
    access_ok(data, size)?;
    let obj = gem::lookup(file, handle)?;
    if range_overflows(offset, size, obj.size() as u64) {
        return Err(EINVAL);
    }
    // i915 has no CPU access path for userptrs: the memory is the caller's own.
    if obj.userptr.is_some() {
        return Err(EINVAL);
    }
    let usage = if to_user { Usage::Write } else { Usage::Read };
    dev.interrupts.wait(Site::ReadWrite, || {
        gem::resv(&obj).wait(usage, true, FOREVER)
    })?;
    copy_user(&obj, offset, size, data, to_user)?;
    Ok(0)
}

impl Vi915File {
    /// IOCTL: gem_create: Create a shmem-backed object.
    pub(crate) fn gem_create(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_create,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let (handle, size) = gem::create(dev, file, args.size)?;
        args.handle = handle;
        args.size = size;
        Ok(0)
    }

    /// IOCTL: gem_create_ext: Create an object with placement extensions; only system memory
    /// exists.
    pub(crate) fn gem_create_ext(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_create_ext,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags & !uapi::I915_GEM_CREATE_EXT_FLAG_NEEDS_CPU_ACCESS != 0 {
            return Err(EINVAL);
        }
        let mut regions_given = false;
        walk_extensions(args.extensions, |name, at| match name {
            uapi::I915_GEM_CREATE_EXT_MEMORY_REGIONS => {
                let ext: uapi::drm_i915_gem_create_ext_memory_regions = user::read(at)?;
                if ext.pad != 0 || ext.num_regions == 0 || ext.num_regions > 7 {
                    return Err(EINVAL);
                }
                let mut seen = false;
                for i in 0..u64::from(ext.num_regions) {
                    let r: uapi::drm_i915_gem_memory_class_instance =
                        user::read(ext.regions + 4 * i)?;
                    // System memory, instance 0, is the only region; each region once.
                    let system = r.memory_class
                        == uapi::drm_i915_gem_memory_class_I915_MEMORY_CLASS_SYSTEM as u16
                        && r.memory_instance == 0;
                    if !system || seen {
                        return Err(EINVAL);
                    }
                    seen = true;
                }
                if regions_given {
                    return Err(EINVAL);
                }
                regions_given = true;
                Ok(())
            }
            uapi::I915_GEM_CREATE_EXT_PROTECTED_CONTENT => {
                let flags: u32 = user::read(at + size_of::<uapi::i915_user_extension>() as u64)?;
                if flags != 0 {
                    return Err(EINVAL);
                }
                // No protected execution (PXP).
                Err(ENODEV)
            }
            // PAT indices are settable only on graphics version 12.70 and later.
            uapi::I915_GEM_CREATE_EXT_SET_PAT => Err(ENODEV),
            _ => Err(EINVAL),
        })?;
        // CPU access matters only with several placements; there is one.
        if args.flags & uapi::I915_GEM_CREATE_EXT_FLAG_NEEDS_CPU_ACCESS != 0 {
            return Err(EINVAL);
        }
        let (handle, size) = gem::create(dev, file, args.size)?;
        args.handle = handle;
        args.size = size;
        Ok(0)
    }

    /// IOCTL: gem_pread: Read from an object, after its writers are done.
    pub(crate) fn gem_pread(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_pread,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let (handle, offset, size, data) = (args.handle, args.offset, args.size, args.data_ptr);
        read_write(dev, file, handle, offset, size, data, true)
    }

    /// IOCTL: gem_pwrite: Write to an object, after every user of it is done.
    pub(crate) fn gem_pwrite(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_pwrite,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let (handle, offset, size, data) = (args.handle, args.offset, args.size, args.data_ptr);
        read_write(dev, file, handle, offset, size, data, false)
    }

    /// IOCTL: gem_mmap: The legacy CPU mmap ioctl, as i915 has it on gen 8: maps part of the
    /// object's shmem file into the caller. `I915_MMAP_WC` maps as any other mapping does: with
    /// no device caches to be coherent with, every mapping of an object is coherent.
    pub(crate) fn gem_mmap(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_mmap,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags & !u64::from(uapi::I915_MMAP_WC) != 0 {
            return Err(EINVAL);
        }
        let obj = gem::lookup(file, args.handle)?;
        // A userptr's shmem file holds none of its pages, and an import has none: in i915
        // neither has a file at all.
        if obj.userptr.is_some() || obj.is_imported() {
            return Err(ENXIO);
        }
        let size = obj.size() as u64;
        if args.offset >= size || args.size > size - args.offset {
            return Err(EINVAL);
        }
        let len = usize::try_from(args.size).map_err(|_| EINVAL)?;
        args.addr_ptr = obj.mmap_backing_file(args.offset, len)? as u64;
        Ok(0)
    }

    /// IOCTL: gem_mmap_offset: Return the fake offset to mmap an object at (WB, WC or UC; all
    /// map the object's pages).
    pub(crate) fn gem_mmap_offset(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_mmap_offset,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        // No extension is defined: any chain fails.
        walk_extensions(args.extensions, |_, _| Err(EINVAL))?;
        match args.flags {
            // No GTT aperture.
            f if f == u64::from(uapi::I915_MMAP_OFFSET_GTT) => return Err(ENODEV),
            f if f == u64::from(uapi::I915_MMAP_OFFSET_WC)
                || f == u64::from(uapi::I915_MMAP_OFFSET_WB)
                || f == u64::from(uapi::I915_MMAP_OFFSET_UC)
                || f == u64::from(uapi::I915_MMAP_OFFSET_FIXED) => {}
            _ => return Err(EINVAL),
        }
        let obj = gem::lookup(file, args.handle)?;
        // i915 maps neither userptrs nor imports (they have no struct pages of its own) through
        // an offset.
        if obj.userptr.is_some()
            || obj.is_imported()
            || args.flags == u64::from(uapi::I915_MMAP_OFFSET_FIXED)
        {
            return Err(ENODEV);
        }
        args.offset = obj.create_mmap_offset()?;
        Ok(0)
    }

    /// IOCTL: gem_set_domain: Wait until the CPU may access the object (for writing: until the
    /// engine is done with it; for reading: until its writers are).
    pub(crate) fn gem_set_domain(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_set_domain,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let (read, write) = (args.read_domains, args.write_domain);
        if (read | write) & GPU_DOMAINS != 0 {
            return Err(EINVAL);
        }
        if write != 0 && read != write {
            return Err(EINVAL);
        }
        if read == 0 {
            return Ok(0);
        }
        let obj = gem::lookup(file, args.handle)?;
        let usage = if write != 0 {
            Usage::Read
        } else {
            Usage::Write
        };
        dev.interrupts.wait(Site::SetDomain, || {
            gem::resv(&obj).wait(usage, true, FOREVER)
        })?;
        // The CPU domain needs the pages: get them now, as i915 does (for a userptr this pins
        // them, and fails with EFAULT if the range is gone).
        match &obj.userptr {
            Some(n) => {
                drop(userptr::pages(&obj, n)?);
                // The shrinker may drop the pins while the object is idle.
                purge::make_reclaimable(dev, &obj, &*gem::resv(&obj).lock()?)?;
            }
            None => drop(Backing::pin(&obj)?),
        }
        obj.attach();
        Ok(0)
    }

    /// IOCTL: gem_madvise: Mark the object's contents as needed or not; report whether they
    /// still exist. See [`purge`].
    pub(crate) fn gem_madvise(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_madvise,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let madv = match args.madv {
            uapi::I915_MADV_WILLNEED => Madv::WillNeed,
            uapi::I915_MADV_DONTNEED => Madv::DontNeed,
            _ => return Err(EINVAL),
        };
        let obj = gem::lookup(file, args.handle)?;
        let resv = gem::resv(&obj).lock()?;
        args.retained = u32::from(purge::madvise(dev, &obj, &resv, madv));
        Ok(0)
    }

    /// IOCTL: gem_sw_finish: Nothing to flush without a display.
    pub(crate) fn gem_sw_finish(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_sw_finish,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        gem::lookup(file, args.handle)?;
        Ok(0)
    }

    /// IOCTL: gem_get_caching: Report the object's caching mode.
    pub(crate) fn gem_get_caching(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_caching,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let obj = gem::lookup(file, args.handle)?;
        args.caching = obj.caching.load(Relaxed);
        Ok(0)
    }

    /// IOCTL: gem_set_caching: Record the object's caching mode (the CPU and the software engine
    /// are coherent whatever it is); changing it waits for the object to be idle.
    pub(crate) fn gem_set_caching(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_caching,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let caching = match args.caching {
            uapi::I915_CACHING_NONE => uapi::I915_CACHING_NONE,
            uapi::I915_CACHING_CACHED => uapi::I915_CACHING_CACHED,
            // Write-through needs eDRAM; i915 falls back to uncached.
            uapi::I915_CACHING_DISPLAY => uapi::I915_CACHING_NONE,
            _ => return Err(EINVAL),
        };
        let obj = gem::lookup(file, args.handle)?;
        if obj.userptr.is_some() {
            // The caller's memory stays cached.
            return if args.caching == uapi::I915_CACHING_CACHED {
                Ok(0)
            } else {
                Err(ENXIO)
            };
        }
        if obj.caching.load(Relaxed) != caching {
            dev.interrupts.wait(Site::SetCaching, || {
                gem::resv(&obj).wait(Usage::Read, true, FOREVER)
            })?;
            obj.caching.store(caching, Relaxed);
        }
        Ok(0)
    }

    /// IOCTL: gem_set_tiling: Record the object's tiling (bookkeeping: the engine and mmaps see
    /// linear memory).
    pub(crate) fn gem_set_tiling(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_set_tiling,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let obj = gem::lookup(file, args.handle)?;
        if obj.userptr.is_some() {
            return Err(ENXIO);
        }
        let ok = match args.tiling_mode {
            uapi::I915_TILING_NONE => true,
            uapi::I915_TILING_X | uapi::I915_TILING_Y => {
                let width = if args.tiling_mode == uapi::I915_TILING_X {
                    512
                } else {
                    128
                };
                args.stride != 0 && args.stride / 128 <= 0x800 && args.stride % width == 0
            }
            _ => false,
        };
        if !ok {
            return Err(EINVAL);
        }
        let mut tiling = obj.tiling.lock();
        tiling.mode = args.tiling_mode;
        tiling.stride = if args.tiling_mode == uapi::I915_TILING_NONE {
            0
        } else {
            args.stride
        };
        args.tiling_mode = tiling.mode;
        args.stride = tiling.stride;
        args.swizzle_mode = uapi::I915_BIT_6_SWIZZLE_NONE;
        Ok(0)
    }

    /// IOCTL: gem_get_tiling: Report the object's tiling.
    pub(crate) fn gem_get_tiling(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_get_tiling,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let obj = gem::lookup(file, args.handle)?;
        args.tiling_mode = obj.tiling.lock().mode;
        args.swizzle_mode = uapi::I915_BIT_6_SWIZZLE_NONE;
        args.phys_swizzle_mode = uapi::I915_BIT_6_SWIZZLE_NONE;
        Ok(0)
    }

    /// IOCTL: gem_busy: Report which engines still read or write the object.
    pub(crate) fn gem_busy(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_busy,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let obj = gem::lookup(file, args.handle)?;
        let resv = gem::resv(&obj);
        let mut busy = 0;
        for (usage, writer) in [(Usage::Write, true), (Usage::Read, false)] {
            for f in resv.fences(usage)? {
                if let Some(engine) = dev.engine_of(&f) {
                    let class = u32::from(engine.id.class());
                    busy |= 0x10000 << class;
                    if writer {
                        busy |= class + 1;
                    }
                }
            }
        }
        args.busy = busy;
        Ok(0)
    }

    /// IOCTL: gem_wait: Wait, with a timeout, until the object is idle.
    pub(crate) fn gem_wait(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_wait,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags != 0 {
            return Err(EINVAL);
        }
        let obj = gem::lookup(file, args.bo_handle)?;
        let resv = gem::resv(&obj);
        let timeout = args.timeout_ns;
        if timeout == 0 {
            return if resv.test_signaled(Usage::Read) {
                Ok(0)
            } else {
                Err(ETIME)
            };
        }
        let start = Instant::<Monotonic>::now();
        // Like i915, spin a moment on running requests before sleeping.
        let idle = dev.busywait(resv, Usage::Read)?;
        if timeout < 0 {
            if !idle {
                dev.interrupts
                    .wait(Site::GemWait, || resv.wait(Usage::Read, true, FOREVER))?;
            }
            return Ok(0);
        }
        let ms = u32::try_from(timeout.saturating_add(999_999) / 1_000_000).unwrap_or(u32::MAX);
        let result = if idle {
            Ok(0)
        } else {
            dev.interrupts.wait(Site::GemWait, || {
                resv.wait(Usage::Read, true, msecs_to_jiffies(ms).saturating_add(1))
            })
        };
        let elapsed = start.elapsed().as_nanos();
        // Jiffies per second.
        let hz = u32::try_from(msecs_to_jiffies(1000))
            .unwrap_or(u32::MAX)
            .max(1);
        args.timeout_ns = (timeout - elapsed).max(0);
        match result {
            Ok(_) => Ok(0),
            // Less than a jiffy left counts as all of it.
            Err(e) if e == ETIME && args.timeout_ns < 1_000_000_000 / i64::from(hz) => {
                args.timeout_ns = 0;
                Err(ETIME)
            }
            Err(e) if e == ETIME => Err(EAGAIN),
            Err(e) => Err(e),
        }
    }

    /// IOCTL: gem_get_aperture: Report the global GTT's size; nothing is pinned in it.
    pub(crate) fn gem_get_aperture(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_get_aperture,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        args.aper_size = GGTT_SIZE;
        args.aper_available_size = GGTT_SIZE;
        Ok(0)
    }

    /// IOCTL: gem_userptr: Create an object backed by a range of the caller's memory. Nothing
    /// is pinned until the object is used.
    pub(crate) fn gem_userptr(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_userptr,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let known = uapi::I915_USERPTR_READ_ONLY
            | uapi::I915_USERPTR_UNSYNCHRONIZED
            | uapi::I915_USERPTR_PROBE;
        if args.flags & !known != 0 {
            return Err(EINVAL);
        }
        if args.user_size == 0 || (args.user_ptr | args.user_size) % PAGE_SIZE as u64 != 0 {
            return Err(EINVAL);
        }
        access_ok(args.user_ptr, args.user_size)?;
        // Unsynchronized userptrs were removed from i915.
        if args.flags & uapi::I915_USERPTR_UNSYNCHRONIZED != 0 {
            return Err(ENODEV);
        }
        // access_ok() bounds both to the user address space.
        let (start, size) = (args.user_ptr as usize, args.user_size as usize);
        if args.flags & uapi::I915_USERPTR_PROBE != 0 {
            userptr::probe(start, size)?;
        }
        let read_only = args.flags & uapi::I915_USERPTR_READ_ONLY != 0;
        let notifier = Range::new(dev, start, size, read_only)?;
        let obj = Object::new(
            dev,
            size,
            ObjectConfig::default(),
            Source::Userptr(notifier),
        )?;
        args.handle = obj.create_handle(file)?;
        Ok(0)
    }
}
