// SPDX-License-Identifier: GPL-2.0

//! Purgeable objects: `I915_GEM_MADVISE`, the purge, and the shrinker that reclaims idle memory.
//!
//! An object marked `DONTNEED` whose pages are attached (see [`crate::gem::Bo::attach`]) joins
//! the device's reclaimable LRU; one without is purged at once, as i915 does. The shrinker, and
//! `i915_gem_drop_caches`, scan the LRU: each object is taken with its reservation lock
//! (trylocked), and only then is it checked, all under that lock, that it is still `DONTNEED`,
//! idle (no unsignalled fence) and unpinned (no request holds its pages); `MADVISE` changes the
//! state and the LRU under the same lock, so a scan never acts on a stale choice. Purging takes
//! the object off the LRU, whichever list it is on by then. Requests pin what they use, and a pin
//! of a purged object fails with `EFAULT`, so no purge can pull pages from under the engine.
//!
//! Userptrs are never purged; the shrinker drops the pins of idle ones instead (they are taken
//! again at the next use). No object is freed in reclaim: one whose last reference a scan ends up
//! holding (its handle was closed meanwhile) waits on the device's dead list for the reclaim
//! worker ([`Reaper`]). See `Documentation/vi915/purge.rst`.

use kernel::{
    dma_buf::resv::{
        Locked,
        Usage, //
    },
    drm::gem::lru::{
        LruShrink,
        Shrunk, //
    },
    impl_has_work, new_work,
    prelude::*,
    shrinker::{
        CountObjects,
        ScanObjects,
        ShrinkControl,
        Shrinker, //
    },
    sync::{
        aref::ARef,
        Arc, //
    },
    workqueue::{
        Work,
        WorkItem, //
    },
};

use crate::{
    driver::{
        Vi915Data,
        Vi915Device, //
    },
    gem::{
        Madv,
        Object, //
    },
    userptr,
};

/// `I915_GEM_MADVISE` on `obj`, whose reservation lock `resv` is: records `madv` (unless the
/// object was purged) and returns whether the pages still exist (i915's `retained`).
///
/// The LRU calls cannot fail: the object is the device's, and `resv` its lock.
pub(crate) fn madvise(dev: &Vi915Data, obj: &Object, resv: &Locked<'_>, madv: Madv) -> bool {
    if obj.madv() != Madv::Purged {
        obj.set_madv(resv, madv);
    }
    // A userptr's pages are the caller's, an import's the exporter's: neither is purged here.
    if obj.userptr.is_none() && !obj.is_imported() {
        match obj.madv() {
            Madv::DontNeed if !obj.attached() => {
                // No pages to keep: discard the storage now, as i915 does, unless something
                // holds them right now (then the shrinker purges it when it lets go).
                if purge(obj, resv).is_err() {
                    let _ = make_reclaimable(dev, obj, resv);
                }
            }
            Madv::DontNeed => {
                let _ = make_reclaimable(dev, obj, resv);
            }
            Madv::WillNeed => kernel::drm::gem::lru::Lru::remove(obj),
            Madv::Purged => {}
        }
    }
    obj.madv() != Madv::Purged
}

/// Puts `obj`, whose reservation lock `resv` is, at the tail of the device's reclaimable LRU,
/// and lets reclaim in the current task's memory cgroup call the shrinker.
///
/// The object's pages are charged to the cgroup of the task that first touched them, which is
/// usually the task making it reclaimable; the shrinker does not keep count per cgroup, so
/// reclaim in any marked cgroup may purge any of the device's idle objects.
pub(crate) fn make_reclaimable(dev: &Vi915Data, obj: &Object, resv: &Locked<'_>) -> Result {
    dev.reclaimable.move_tail(obj, resv)?;
    if let Some(id) = dev.shrinker_memcg.copy() {
        id.mark_current();
    }
    Ok(())
}

/// Purges `obj` if it is `DONTNEED`, idle and unpinned.
fn purge(obj: &Object, resv: &Locked<'_>) -> Result {
    if obj.madv() != Madv::DontNeed {
        return Err(EINVAL);
    }
    if !resv.resv().test_signaled(Usage::Bookkeep) {
        return Err(EBUSY);
    }
    obj.purge(resv)?;
    obj.set_madv(resv, Madv::Purged);
    Ok(())
}

/// What a scan of the reclaimable LRU does with each object.
struct Reclaim;

impl LruShrink<Object> for Reclaim {
    fn shrink(obj: &Object, resv: &Locked<'_>) -> Shrunk {
        if let Some(n) = &obj.userptr {
            return userptr::release_idle(n);
        }
        match purge(obj, resv) {
            Ok(()) => Shrunk::Freed,
            Err(e) if e == EBUSY => Shrunk::Busy,
            // Back to WILLNEED, or purged already.
            Err(_) => Shrunk::Nothing,
        }
    }
}

/// Reclaims up to `pages` pages from the device's idle reclaimable objects; returns how many
/// were freed. Objects the scan was left holding the last reference to go to the dead list.
/// (The LRU calls here cannot fail: both lists are `dev`'s.)
fn shrink(dev: &Vi915Device, pages: usize) -> usize {
    dev.reclaimable
        .scan::<Reclaim>(dev, pages, &dev.dead)
        .map_or(0, |s| s.freed)
}

/// Reclaims every idle reclaimable object, from process context (`i915_gem_drop_caches`), and
/// frees what the scan was left holding.
pub(crate) fn shrink_all(dev: &Vi915Device) {
    shrink(dev, usize::MAX);
    let _ = dev.dead.put_all(dev);
}

/// Frees, on the reclaim worker, the objects on the device's dead list.
#[pin_data]
pub(crate) struct Reaper {
    dev: ARef<Vi915Device>,
    #[pin]
    work: Work<Reaper>,
}

impl_has_work! {
    impl HasWork<Self> for Reaper { self.work }
}

impl WorkItem for Reaper {
    type Pointer = Arc<Reaper>;

    fn run(this: Arc<Reaper>) {
        let _ = this.dev.dead.put_all(&this.dev);
    }
}

/// The device's shrinker.
pub(crate) struct DeviceShrinker(Arc<Reaper>);

impl DeviceShrinker {
    /// Creates the shrinker of `dev`.
    pub(crate) fn new(dev: ARef<Vi915Device>) -> Result<Arc<Self>> {
        let reaper = Arc::pin_init(
            pin_init!(Reaper {
                dev,
                work <- new_work!("vi915::purge::Reaper::work"),
            }),
            GFP_KERNEL,
        )?;
        Ok(Arc::new(DeviceShrinker(reaper), GFP_KERNEL)?)
    }
}

impl Shrinker for DeviceShrinker {
    fn count(&self, _sc: &ShrinkControl<'_>) -> CountObjects {
        match self.0.dev.reclaimable.count() {
            0 => CountObjects::EMPTY,
            n => CountObjects::new(n),
        }
    }

    fn scan(&self, sc: &ShrinkControl<'_>) -> ScanObjects {
        let dev = &self.0.dev;
        let freed = shrink(dev, sc.nr_to_scan());
        if !dev.dead.is_empty() {
            // Queued already, or now: either way the worker frees them.
            let _ = dev.reclaim.enqueue(self.0.clone());
        }
        ScanObjects::freed(freed)
    }
}
