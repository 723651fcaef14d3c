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
/// Made in place (on the stack, say, as C callers keep a `struct drm_exec`) by
/// [`Exec::lock_all`], so that locking allocates nothing but `drm_exec`'s own array.
///
/// # Invariants
///
/// `exec` is initialized (`drm_exec_init`) and finalized only on drop; it is pinned: its ticket's
/// address is stored in the ww-mutexes it holds.
#[pin_data(PinnedDrop)]
pub struct Exec {
    #[pin]
    exec: Opaque<bindings::drm_exec>,
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
    /// Initialize it in place, for example with
    /// `stack_try_pin_init!(let exec =? Exec::lock_all(...))`.
    pub fn lock_all(
        interruptible: bool,
        nr: u32,
        mut prepare: impl FnMut(&mut Preparer<'_>) -> Result,
    ) -> impl PinInit<Self, Error> {
        let mut flags = bindings::DRM_EXEC_IGNORE_DUPLICATES;
        if interruptible {
            flags |= bindings::DRM_EXEC_INTERRUPTIBLE_WAIT;
        }
        let init = move |slot: *mut Self| -> Result {
            // SAFETY: `slot` points to memory for an `Exec` (uninitialized); this only takes the
            // address of its field.
            let raw = Opaque::cast_into(unsafe { &raw const (*slot).exec });
            // SAFETY: `raw` is valid memory for a `drm_exec`, and pinned: it does not move.
            unsafe { bindings::drm_exec_init(raw, flags, nr) };
            // SAFETY: `slot`'s only field is initialized, so `slot` is a valid `Exec`; it is only
            // borrowed here, and dropped by the caller on `Ok` (finalized below on `Err`).
            let this = unsafe { &*slot };
            loop {
                // SAFETY: `exec` is initialized. The first call starts the acquire context; later
                // ones either finish (no contention: all locked) or drop every lock and take the
                // contended one before the closure runs again.
                if !unsafe { bindings::drm_exec_cleanup(raw) } {
                    // INVARIANT: `exec` is initialized and from now on finalized by drop.
                    return Ok(());
                }
                if let Err(e) = prepare(&mut Preparer(this, false)) {
                    // SAFETY: `exec` is initialized.
                    if !unsafe { bindings::drm_exec_is_contended(raw) } {
                        // SAFETY: `exec` is initialized, and not used again: on `Err` the caller
                        // neither uses nor drops `slot`.
                        unsafe { bindings::drm_exec_fini(raw) };
                        return Err(e);
                    }
                }
            }
        };
        // SAFETY: `init` returns `Ok` with `slot`'s only field initialized, or `Err` with it
        // finalized, leaving nothing to drop; it never moves `slot`.
        unsafe { pin_init::pin_init_from_closure(init) }
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

#[pinned_drop]
impl PinnedDrop for Exec {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `exec` is initialized and not yet finalized.
        unsafe { bindings::drm_exec_fini(self.raw()) };
    }
}
