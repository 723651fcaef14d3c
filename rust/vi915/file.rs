// SPDX-License-Identifier: GPL-2.0

//! Per-client state and the ioctl handlers.

use kernel::{
    drm::{
        self,
        printer::Printer, //
    },
    fmt::Write,
    new_mutex,
    new_spinlock,
    prelude::*,
    sync::{
        Arc,
        Mutex,
        SpinLock, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi, //
};

use crate::{
    ban::Client,
    busy::Busy,
    context::Context,
    driver::{
        Vi915Device,
        Vi915Driver, //
    },
    engine_id::EngineId,
    execbuf::Scratch,
    params,
    vm::Vm, //
};

/// The state of one open DRM file.
#[pin_data(PinnedDrop)]
pub(crate) struct Vi915File {
    /// The file's contexts, default context (id 0) first.
    #[pin]
    contexts: Mutex<KVec<Arc<Context>>>,
    /// The address spaces it named with `VM_CREATE` or a `CONTEXT_GETPARAM` of
    /// `I915_CONTEXT_PARAM_VM`, by id (1 and up). They hold no reference to contexts or
    /// objects, so no cycle goes through them.
    #[pin]
    vms: Mutex<KVec<(u32, Arc<Vm>)>>,
    /// Its ban score.
    pub(crate) client: Arc<Client>,
    /// Its requests' time on the engines (fdinfo).
    pub(crate) busy: Arc<Busy>,
    /// The arrays of its last execbuffer, for the next one to reuse. Held only to swap them.
    #[pin]
    pub(crate) scratch: SpinLock<Scratch>,
}

/// A DRM file of the vi915 device.
pub(crate) type Vi915DrmFile = drm::File<Vi915File>;
/// The device as the ioctl handlers see it.
pub(crate) type RegisteredDevice = Vi915Device<drm::Registered>;

impl drm::file::DriverFile for Vi915File {
    type Driver = Vi915Driver;

    fn open(dev: &Vi915Device) -> Result<Pin<KBox<Self>>> {
        let client = Client::new()?;
        let busy = Busy::new()?;
        let mut contexts = KVec::new();
        // i915 makes the default context whole at open, as if already used.
        let default = Context::new(0, &dev.engines, &client, &busy, true)?;
        contexts.push(default, GFP_KERNEL)?;
        KBox::pin_init(
            try_pin_init!(Vi915File {
                contexts <- new_mutex!(contexts),
                vms <- new_mutex!(KVec::new()),
                client,
                busy,
                scratch <- new_spinlock!(Scratch::default()),
            }),
            GFP_KERNEL,
        )
    }

    fn show_fdinfo(file: &Vi915DrmFile, printer: &mut Printer<'_>) {
        // As i915: each engine class's time, summed over its engines (one each here).
        let busy = &file.inner().busy;
        for engine in EngineId::ALL {
            let _ = writeln!(
                printer,
                "drm-engine-{}:\t{} ns",
                engine.class_name(),
                busy.ns(engine)
            );
        }
    }
}

#[pinned_drop]
impl PinnedDrop for Vi915File {
    fn drop(self: Pin<&mut Self>) {
        // As in i915, a closed file's requests are cancelled, but those of persistent contexts.
        for ctx in self.contexts.lock().iter() {
            ctx.close();
        }
    }
}

/// The lowest id from 1 up that `taken` says is free (`ENOSPC` if none is), as i915 allocates
/// context and address-space ids.
fn lowest_free_id(taken: impl Fn(u32) -> bool) -> Result<u32> {
    let mut id = 1u32;
    while taken(id) {
        id = id.checked_add(1).ok_or(ENOSPC)?;
    }
    Ok(id)
}

impl Vi915File {
    /// Returns context `id`: `ENOENT` if there is none.
    pub(crate) fn context(&self, id: u32) -> Result<Arc<Context>> {
        self.contexts
            .lock()
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or(ENOENT)
    }

    /// Registers `ctx`, built by `make` with the lowest free id (1 and up), and returns the id.
    pub(crate) fn add_context(
        &self,
        make: impl FnOnce(u32) -> Result<Arc<Context>>,
    ) -> Result<u32> {
        let mut list = self.contexts.lock();
        let id = lowest_free_id(|id| list.iter().any(|c| c.id == id))?;
        list.push(make(id)?, GFP_KERNEL)?;
        Ok(id)
    }

    /// Unregisters context `id` and cancels its requests: `ENOENT` if there is none (or it is the
    /// default context).
    pub(crate) fn remove_context(&self, id: u32) -> Result {
        let mut list = self.contexts.lock();
        let at = list
            .iter()
            .position(|c| c.id == id && id != 0)
            .ok_or(ENOENT)?;
        let ctx = list.remove(at)?;
        drop(list);
        ctx.close();
        Ok(())
    }

    /// Names address space `vm` with the lowest free id (1 and up), and returns the id.
    pub(crate) fn add_vm(&self, vm: Arc<Vm>) -> Result<u32> {
        let mut list = self.vms.lock();
        let id = lowest_free_id(|id| list.iter().any(|(i, _)| *i == id))?;
        list.push((id, vm), GFP_KERNEL)?;
        Ok(id)
    }

    /// Returns address space `id`: `ENOENT` if there is none.
    pub(crate) fn vm(&self, id: u32) -> Result<Arc<Vm>> {
        self.vms
            .lock()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, vm)| vm.clone())
            .ok_or(ENOENT)
    }

    /// Forgets the id of address space `id` (`ENOENT` if there is none); contexts using it keep
    /// it.
    pub(crate) fn remove_vm(&self, id: u32) -> Result {
        let _removed = {
            let mut list = self.vms.lock();
            let at = list.iter().position(|(i, _)| *i == id).ok_or(ENOENT)?;
            list.remove(at)?
        };
        // Freed here, if it was the last reference, with the lock dropped.
        Ok(())
    }

    /// Removes object `id` from the file's address spaces (its handle was closed): those of its
    /// contexts and those it names (the same one may be reached several times).
    pub(crate) fn unbind(&self, id: u64) {
        for ctx in self.contexts.lock().iter() {
            ctx.vm().nodes.lock().remove(id);
        }
        for (_, vm) in self.vms.lock().iter() {
            vm.nodes.lock().remove(id);
        }
    }
}

impl Vi915File {
    /// IOCTL: getparam: Query a device parameter.
    pub(crate) fn getparam(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_getparam,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        let value = params::getparam(&dev.params, args.param)?;
        let ptr = UserPtr::from_ptr(args.value.cast());
        UserSlice::new(ptr, size_of::<i32>())
            .writer()
            .write(&value)?;
        Ok(0)
    }

    /// IOCTL: gem_throttle: Wait for this client's requests older than 20 ms; with nothing ever
    /// submitted there is nothing to wait for.
    pub(crate) fn gem_throttle(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut (),
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Ok(0)
    }

    /// An obsolete ioctl that i915 accepts and ignores (`drm_noop`).
    pub(crate) fn noop<T>(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut T,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Ok(0)
    }

    /// An ioctl i915 rejects with `EINVAL` (`drm_invalid_op`), or one vi915 does not implement
    /// yet.
    pub(crate) fn invalid<T>(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut T,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Err(EINVAL)
    }

    /// An ioctl for hardware a software engine does not have (overlay, pinning into the global
    /// GTT): i915's answer on a device without it.
    pub(crate) fn no_device<T>(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut T,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Err(ENODEV)
    }

    /// IOCTL: set_sprite_colorkey: i915's flag checks; then no plane id names an overlay plane,
    /// as there are no planes.
    pub(crate) fn set_colorkey(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_intel_sprite_colorkey,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        let keys = uapi::I915_SET_COLORKEY_DESTINATION | uapi::I915_SET_COLORKEY_SOURCE;
        let flags = args.flags & !uapi::I915_SET_COLORKEY_NONE;
        args.flags = flags;
        if flags & !keys != 0 || flags & keys == keys {
            return Err(EINVAL);
        }
        Err(ENOENT)
    }

    /// IOCTL: get_pipe_from_crtc_id: There are no CRTCs, so no id names one.
    pub(crate) fn no_crtc(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut uapi::drm_i915_get_pipe_from_crtc_id,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Err(ENOENT)
    }

    /// The i915 perf (OA) interface, which needs an OA unit: `ENOTSUPP` as on i915 without one.
    pub(crate) fn no_perf<T>(
        _dev: &RegisteredDevice,
        _reg: &(),
        _args: &mut T,
        _file: &Vi915DrmFile,
    ) -> Result<u32> {
        Err(ENOTSUPP)
    }
}
