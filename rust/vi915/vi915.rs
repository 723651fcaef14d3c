// SPDX-License-Identifier: GPL-2.0

//! vi915: i915's GEM, userptr and execbuffer2 uAPI on a software engine.
//!
//! The device hangs off a faux parent device, so the driver loads on any machine. See
//! `Documentation/vi915/` for the design.

mod backing;
mod ban;
mod busy;
mod cmd;
mod context;
mod context_ioctl;
mod debugfs;
mod driver;
mod engine;
mod engine_id;
mod exec_fences;
mod execbuf;
mod file;
mod gem;
mod gem_ioctl;
mod heapsort;
mod interrupts;
mod ioctls;
mod params;
mod purge;
mod query;
mod registers;
mod request;
mod stats;
mod sysfs;
mod timeline;
mod user;
mod userptr;
mod vm;
mod vm_ioctl;

use kernel::{
    drm,
    faux,
    prelude::*,
    shrinker,
    sync::aref::ARef, //
};

use crate::driver::Vi915Driver;

module! {
    type: Vi915Module,
    name: "vi915",
    authors: ["vi915 developers"],
    description: "i915 GEM/userptr/execbuffer2 uAPI on a software engine",
    license: "GPL",
    params: {
        i915_name: bool {
            default: false,
            description: "Report the DRM driver name \"i915\" instead of \"vi915\" (for IGT)",
        },
    },
}

/// The loaded module: a faux parent device with one DRM device on it.
///
/// The shrinker goes first, in [`Drop`] (its callbacks are this module's code); then the fields
/// drop in declaration order, which is the rest of the teardown order: the engine properties in
/// sysfs and the debugfs files (they live in the DRM device's directories, which unregistering
/// removes), then the DRM registration, then the faux device it is bound to.
struct Vi915Module {
    /// `None` once unregistered, at the start of [`Drop`].
    shrinker: Option<shrinker::Registration<purge::DeviceShrinker>>,
    /// The engine properties in sysfs (they hold the engines, and sit in the device's directory).
    _sysfs: kernel::sysfs::Dir,
    _debugfs: Pin<KBox<debugfs::DebugFs>>,
    _drm: drm::Registration<'static, Vi915Driver>,
    _faux: faux::Registration,
    /// Keeps the device (and its engines) until the module is gone; see [`Drop`].
    dev: ARef<driver::Vi915Device>,
}

impl Drop for Vi915Module {
    fn drop(&mut self) {
        // No scan leaves objects for the reclaim worker from now on.
        self.shrinker = None;
        // Every file is closed (each held a module reference), but persistent contexts'
        // requests may still run: stop them, then wait for the engines to finish: the module's
        // code must outlive them, and the last reference to the device, whose drop destroys the
        // engines' queues, must not be dropped by a request running on one of them.
        self.dev.engines.iter().for_each(|e| e.reset());
        self.dev.wait_idle();
        // The last requests' userptr objects handed their ranges, which hold the device, to
        // the reclaim worker, and so may the dead objects it frees: the device must not go from
        // there, which would destroy the worker's queue on itself. Two rounds: the first frees
        // objects, whose ranges the second frees.
        self.dev.reclaim.flush();
        self.dev.reclaim.flush();
    }
}

impl kernel::Module for Vi915Module {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let faux = faux::Registration::new(c"vi915", None)?;
        let fdev: &'static faux::Device<kernel::device::Bound> =
            // SAFETY: The faux device is allocated by `faux_device_create()` and freed when
            // `faux` is dropped; moving `faux` does not move it. The `'static` reference goes to
            // the DRM device and its registration, which end first: on success `Vi915Module`
            // drops `_drm` before `_faux` (field order), and on an error below the locals `reg`
            // and `dev` are dropped before `faux` (reverse order of declaration).
            unsafe { &*core::ptr::from_ref(faux.as_ref()) };

        let dev = driver::new_device(fdev, module_parameters::i915_name.value())?;
        let drm_dev: ARef<driver::Vi915Device> = (&*dev).into();
        // SAFETY: The registration is stored in the returned module and dropped on unload; it is
        // never forgotten.
        let reg = unsafe { drm::Registration::new(fdev.as_ref(), dev, (), 0)? };
        let debugfs = KBox::pin_init(
            // SAFETY: `_debugfs` is the first field of `Vi915Module`, so it is dropped before
            // `_drm`, whose drop unregisters the device and removes its debugfs directory.
            unsafe { debugfs::DebugFs::new(drm_dev.clone()) },
            GFP_KERNEL,
        )?;

        let sysfs = sysfs::engines(&reg)?;
        // Memcg-aware, so that a memory cgroup's limit reclaims the objects charged to it (see
        // `purge::make_reclaimable`).
        let shrinker = shrinker::Registration::new(
            c"vi915",
            shrinker::DEFAULT_SEEKS,
            shrinker::Flags::MEMCG_AWARE | shrinker::Flags::NONSLAB,
            purge::DeviceShrinker::new(drm_dev.clone())?,
        )?;
        // Set only here: it cannot have been set before.
        let _ = drm_dev.shrinker_memcg.populate(shrinker.memcg_id());

        Ok(Self {
            shrinker: Some(shrinker),
            _sysfs: sysfs,
            _debugfs: debugfs,
            _drm: reg,
            _faux: faux,
            dev: drm_dev,
        })
    }
}
