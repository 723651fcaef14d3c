// SPDX-License-Identifier: GPL-2.0

//! Locking the reservation objects of several GEM objects at once (`drm_exec`).
//!
//! [`Exec::lock_all`] runs a closure that names the objects to lock. When two threads contend
//! for the same objects in different orders, the ww-mutex algorithm makes one of them back off:
//! every lock it holds is dropped, it sleeps on the contended one, and the closure runs again
//! from the start. The closure therefore must not have side effects that cannot be repeated.
//!
//! C header: [`include/drm/drm_exec.h`](srctree/include/drm/drm_exec.h)

use crate::{
    dma_buf::resv::{
        DmaResv,
        Locked, //
    },
    drm::gem::{
        BaseObject,
        IntoGEMObject, //
    },
    error::to_result,
    prelude::*,
    types::Opaque,
};

/// A set of GEM objects whose reservation objects are all locked; they are unlocked and the
/// references taken on the objects dropped when this is dropped.
///
/// # Invariants
///
/// `exec` is initialized (`drm_exec_init`), finalized only on drop, and never moves (boxed):
/// its ticket's address is stored in the ww-mutexes it holds.
pub struct Exec {
    exec: KBox<Opaque<bindings::drm_exec>>,
}

/// Names the objects to lock inside [`Exec::lock_all`]; remembers whether this pass met
/// contention.
pub struct Preparer<'a>(&'a Exec, bool);

impl Preparer<'_> {
    /// Locks `obj`'s reservation object and reserves `num_fences` fence slots in it.
    ///
    /// An object (or a reservation object) named twice is locked once. On contention this
    /// returns [`EDEADLK`]: return it from the closure, which is then run again.
    pub fn prepare(&mut self, obj: &impl IntoGEMObject, num_fences: u32) -> Result {
        // After a contention, nothing more may be locked until the closure runs again (a call
        // that ignored the error would otherwise record a lock it does not hold).
        if self.1 {
            return Err(EDEADLK);
        }
        // SAFETY: `exec` is initialized and inside its locking loop; `obj` is a valid GEM object,
        // on which `drm_exec` takes its own reference. Reserving zero slots is a caller bug to
        // `dma_resv_reserve_fences`, so that case only locks.
        let ret = to_result(unsafe {
            if num_fences == 0 {
                bindings::drm_exec_lock_obj(self.0.raw(), obj.as_raw())
            } else {
                bindings::drm_exec_prepare_obj(self.0.raw(), obj.as_raw(), num_fences)
            }
        });
        if ret == Err(EDEADLK) {
            self.1 = true;
        }
        ret
    }
}

impl Exec {
    fn raw(&self) -> *mut bindings::drm_exec {
        self.exec.get()
    }

    /// Locks every object `prepare` names, backing off and retrying on ww-mutex contention.
    ///
    /// Waits interruptibly if `interruptible`; `nr` is a hint of how many objects there are.
    pub fn lock_all(
        interruptible: bool,
        nr: u32,
        mut prepare: impl FnMut(&mut Preparer<'_>) -> Result,
    ) -> Result<Self> {
        let exec = KBox::new(Opaque::<bindings::drm_exec>::uninit(), GFP_KERNEL)?;
        let mut flags = bindings::DRM_EXEC_IGNORE_DUPLICATES;
        if interruptible {
            flags |= bindings::DRM_EXEC_INTERRUPTIBLE_WAIT;
        }
        // SAFETY: `exec` is valid memory for a `drm_exec`; it is boxed, so it does not move.
        unsafe { bindings::drm_exec_init(exec.get(), flags, nr) };
        let this = Self { exec };
        loop {
            // SAFETY: `exec` is initialized. The first call starts the acquire context; later ones
            // either finish (no contention: all locked) or drop every lock and take the contended
            // one before the closure runs again.
            if !unsafe { bindings::drm_exec_cleanup(this.raw()) } {
                return Ok(this);
            }
            if let Err(e) = prepare(&mut Preparer(&this, false)) {
                // SAFETY: `exec` is initialized.
                if !unsafe { bindings::drm_exec_is_contended(this.raw()) } {
                    return Err(e);
                }
            }
        }
    }

    /// Returns proof that `obj`'s reservation object is locked here, or `None` if it is not one
    /// of this set's.
    pub fn locked<'a>(&'a self, obj: &'a impl IntoGEMObject) -> Option<Locked<'a>> {
        let resv = obj.resv().as_raw();
        // SAFETY: `exec` is initialized.
        let ticket = unsafe { &raw mut (*self.raw()).ticket };
        // SAFETY: `resv` is valid. The ww-mutex's context equals our ticket exactly while we hold
        // it with this ticket: only this thread stores our ticket there, and it stays there until
        // `drm_exec_fini` unlocks. A concurrent change by another owner never yields our ticket,
        // so a volatile read of the pointer decides ownership.
        let owner = unsafe { core::ptr::read_volatile(&raw const (*resv).lock.ctx) };
        if owner != ticket {
            return None;
        }
        // SAFETY: `resv` is locked by this set until `self` is dropped, which outlives `'a`.
        Some(unsafe { Locked::new(DmaResv::from_raw(resv)) })
    }
}

impl Drop for Exec {
    fn drop(&mut self) {
        // SAFETY: `exec` is initialized and not yet finalized.
        unsafe { bindings::drm_exec_fini(self.raw()) };
    }
}
