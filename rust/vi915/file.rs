// SPDX-License-Identifier: GPL-2.0

//! Per-client state and the ioctl handlers.

use kernel::{
    drm::{
        self,
        printer::Printer, //
    },
    fmt::Write,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
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
    engine::EngineId,
    params, //
};

/// The state of one open DRM file.
#[pin_data(PinnedDrop)]
pub(crate) struct Vi915File {
    /// The file's contexts, default context (id 0) first.
    #[pin]
    contexts: Mutex<KVec<Arc<Context>>>,
    /// Its ban score.
    pub(crate) client: Arc<Client>,
    /// Its requests' time on the engines (fdinfo).
    pub(crate) busy: Arc<Busy>,
}

/// A DRM file of the vi915 device.
pub(crate) type File = drm::File<Vi915File>;
/// The device as the ioctl handlers see it.
pub(crate) type Device = Vi915Device<drm::Registered>;

impl drm::file::DriverFile for Vi915File {
    type Driver = Vi915Driver;

    fn open(dev: &Vi915Device) -> Result<Pin<KBox<Self>>> {
        let client = Client::new()?;
        let busy = Busy::new()?;
        let mut contexts = KVec::new();
        contexts.push(Context::new(0, &dev.engines, &client, &busy)?, GFP_KERNEL)?;
        KBox::pin_init(
            try_pin_init!(Vi915File {
                contexts <- new_mutex!(contexts),
                client,
                busy,
            }),
            GFP_KERNEL,
        )
    }

    fn show_fdinfo(file: &File, printer: &mut Printer<'_>) {
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
        let mut id = 1;
        while list.iter().any(|c| c.id == id) {
            id = id.checked_add(1).ok_or(ENOSPC)?;
        }
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

    /// Removes object `id` from the file's address spaces (its handle was closed).
    pub(crate) fn unbind(&self, id: u64) {
        for ctx in self.contexts.lock().iter() {
            ctx.vm.nodes.lock().remove(id);
        }
    }
}

impl Vi915File {
    /// IOCTL: getparam: Query a device parameter.
    pub(crate) fn getparam(
        dev: &Device,
        _reg: &(),
        args: &mut uapi::drm_i915_getparam,
        _file: &File,
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
        _dev: &Device,
        _reg: &(),
        _args: &mut (),
        _file: &File,
    ) -> Result<u32> {
        Ok(0)
    }

    /// An obsolete ioctl that i915 accepts and ignores (`drm_noop`).
    pub(crate) fn noop<T>(_dev: &Device, _reg: &(), _args: &mut T, _file: &File) -> Result<u32> {
        Ok(0)
    }

    /// An ioctl i915 rejects with `EINVAL` (`drm_invalid_op`), or one vi915 does not implement
    /// yet.
    pub(crate) fn invalid<T>(_dev: &Device, _reg: &(), _args: &mut T, _file: &File) -> Result<u32> {
        Err(EINVAL)
    }

    /// An ioctl for hardware a software engine does not have (overlay, pinning into the global
    /// GTT): i915's answer on a device without it.
    pub(crate) fn no_device<T>(
        _dev: &Device,
        _reg: &(),
        _args: &mut T,
        _file: &File,
    ) -> Result<u32> {
        Err(ENODEV)
    }

    /// IOCTL: set_sprite_colorkey: i915's flag checks; then no plane id names an overlay plane,
    /// as there are no planes.
    pub(crate) fn set_colorkey(
        _dev: &Device,
        _reg: &(),
        args: &mut uapi::drm_intel_sprite_colorkey,
        _file: &File,
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
        _dev: &Device,
        _reg: &(),
        _args: &mut uapi::drm_i915_get_pipe_from_crtc_id,
        _file: &File,
    ) -> Result<u32> {
        Err(ENOENT)
    }

    /// The i915 perf (OA) interface, which needs an OA unit: `ENOTSUPP` as on i915 without one.
    pub(crate) fn no_perf<T>(_dev: &Device, _reg: &(), _args: &mut T, _file: &File) -> Result<u32> {
        Err(ENOTSUPP)
    }
}
