// SPDX-License-Identifier: GPL-2.0

//! Shrinkers: callbacks through which memory reclaim asks a cache to give memory back.
//!
//! A cache implements [`Shrinker`] and registers it with [`Registration::new`]. Under memory
//! pressure (and on `echo 2 > /proc/sys/vm/drop_caches`) reclaim first asks how much could be
//! freed ([`Shrinker::count`]), then asks the cache to free some of it ([`Shrinker::scan`]).
//! Both run in reclaim context: they must not allocate memory with `GFP_KERNEL` nor wait for
//! anything that may itself wait for reclaim, and should take the locks they need with a trylock
//! (or ones never held while allocating).
//!
//! C header: [`include/linux/shrinker.h`](srctree/include/linux/shrinker.h)

use crate::{
    prelude::*,
    sync::Arc, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// What reclaim passes to a shrinker's callbacks.
///
/// # Invariants
///
/// `self.0` is valid for the duration of the callback it was passed to.
pub struct ShrinkControl<'a>(NonNull<bindings::shrink_control>, PhantomData<&'a ()>);

impl ShrinkControl<'_> {
    /// Returns how many objects [`Shrinker::scan`] should try to free.
    pub fn nr_to_scan(&self) -> usize {
        // SAFETY: `self.0` is valid (type invariant).
        unsafe { (*self.0.as_ptr()).nr_to_scan }
    }
}

/// How much a cache could free, as [`Shrinker::count`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountObjects(usize);

impl CountObjects {
    /// Nothing to free: reclaim skips the scan.
    pub const EMPTY: Self = Self(SHRINK_EMPTY);

    /// `count` objects could be freed; `0` means the count is unknown right now.
    pub const fn new(count: usize) -> Self {
        // `SHRINK_EMPTY` is `ULONG_MAX - 1`: real counts stay below it.
        if count >= SHRINK_EMPTY {
            Self(SHRINK_EMPTY - 1)
        } else {
            Self(count)
        }
    }
}

/// `SHRINK_STOP`.
const SHRINK_STOP: usize = usize::MAX;
/// `SHRINK_EMPTY`.
const SHRINK_EMPTY: usize = usize::MAX - 1;

/// What a scan achieved, as [`Shrinker::scan`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanObjects(usize);

impl ScanObjects {
    /// No progress is possible in this context (it would deadlock): do not call again now.
    pub const STOP: Self = Self(SHRINK_STOP);

    /// `freed` objects were freed.
    pub const fn freed(freed: usize) -> Self {
        // `SHRINK_STOP` is `ULONG_MAX`: real counts stay below it.
        if freed == SHRINK_STOP {
            Self(SHRINK_STOP - 1)
        } else {
            Self(freed)
        }
    }
}

/// A cache that gives memory back under pressure.
///
/// The unit of both callbacks (objects, pages, bytes) is the cache's choice, but must be the
/// same in both.
pub trait Shrinker: Send + Sync + 'static {
    /// Returns how many objects could be freed now. Called locklessly; an estimate is fine.
    fn count(&self, sc: &ShrinkControl<'_>) -> CountObjects;

    /// Frees up to [`ShrinkControl::nr_to_scan`] objects and says how many were freed.
    fn scan(&self, sc: &ShrinkControl<'_>) -> ScanObjects;
}

/// How reclaim calls a shrinker, given to [`Registration::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// Reclaim calls the shrinker for the whole system only.
    pub const NONE: Self = Self(0);

    /// Reclaim in a memory cgroup calls the shrinker too, once its [`MemcgId`] has marked the
    /// cgroup (`SHRINKER_MEMCG_AWARE`). Without `CONFIG_MEMCG`, or with memory cgroups disabled,
    /// the flag has no effect.
    pub const MEMCG_AWARE: Self = Self(bindings::SHRINKER_MEMCG_AWARE);

    /// The objects are not slab memory: the shrinker is memcg-aware even when kernel memory
    /// accounting is off (`SHRINKER_NONSLAB`; only meaningful with [`Flags::MEMCG_AWARE`]).
    pub const NONSLAB: Self = Self(bindings::SHRINKER_NONSLAB);
}

impl core::ops::BitOr for Flags {
    type Output = Self;

    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The handle through which a memcg-aware shrinker tells reclaim which memory cgroups it has
/// objects in. It may outlive its [`Registration`].
///
/// # Invariants
///
/// `self.0` is negative, or the id of a shrinker that was registered at some point: shrinker ids
/// never exceed the size of any cgroup's shrinker map once allocated, so a stale id is harmless
/// (at worst, reclaim calls the shrinker that now holds it once more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemcgId(i32);

impl MemcgId {
    /// The handle of a shrinker that is not memcg-aware: marking does nothing.
    pub const NONE: Self = Self(-1);

    /// Lets reclaim in the current task's memory cgroup call the shrinker: call it whenever the
    /// shrinker gains objects charged to that cgroup. Does not sleep; takes no lock.
    #[inline]
    pub fn mark_current(self) {
        // SAFETY: `self.0` is negative (then the call does nothing) or a shrinker id that stays
        // within every cgroup's shrinker map (type invariant).
        unsafe { bindings::set_shrinker_bit_current(self.0) }
    }
}

/// A registered shrinker; unregistered when dropped.
///
/// # Invariants
///
/// `shrinker` was allocated by `shrinker_alloc`, is registered, and its `private_data` is the
/// pointer [`Arc::into_raw`] returned for `T`, whose reference this registration owns.
pub struct Registration<T: Shrinker> {
    shrinker: NonNull<bindings::shrinker>,
    _p: PhantomData<Arc<T>>,
}

// SAFETY: The registration only hands out `&T`, and `T: Send + Sync`; the C shrinker may be freed
// from any thread.
unsafe impl<T: Shrinker> Send for Registration<T> {}
// SAFETY: See above; `&Registration` gives no access to the shrinker at all.
unsafe impl<T: Shrinker> Sync for Registration<T> {}

impl<T: Shrinker> Registration<T> {
    /// Registers `data` as a shrinker named `name` (as shown in
    /// `/sys/kernel/debug/shrinker/` with `CONFIG_SHRINKER_DEBUG`).
    ///
    /// `seeks` says how costly the objects are to recreate; the kernel's default is
    /// [`DEFAULT_SEEKS`]. `flags` says which reclaim calls it.
    pub fn new(name: &CStr, seeks: u32, flags: Flags, data: Arc<T>) -> Result<Self> {
        let seeks = i32::try_from(seeks).map_err(|_| EINVAL)?;
        // SAFETY: The format consumes exactly one string argument, `name`, a valid C string that
        // `shrinker_alloc` copies. `flags` holds only flags meant for callers.
        let raw =
            unsafe { bindings::shrinker_alloc(flags.0, c"%s".as_char_ptr(), name.as_char_ptr()) };
        let shrinker = NonNull::new(raw).ok_or(ENOMEM)?;
        let ptr = shrinker.as_ptr();
        // SAFETY: `ptr` was just allocated and is not registered yet: we are its only user.
        unsafe {
            (*ptr).count_objects = Some(Self::count_callback);
            (*ptr).scan_objects = Some(Self::scan_callback);
            (*ptr).seeks = seeks;
            (*ptr).private_data = Arc::into_raw(data).cast_mut().cast();
        }
        // SAFETY: `ptr` is fully set up; from now on the callbacks may run.
        unsafe { bindings::shrinker_register(ptr) };
        // INVARIANT: Allocated, registered, and `private_data` owns one reference to `data`.
        Ok(Self {
            shrinker,
            _p: PhantomData,
        })
    }

    /// Returns the handle that marks memory cgroups for this shrinker; [`MemcgId::NONE`] unless
    /// it is memcg-aware (registered with [`Flags::MEMCG_AWARE`] on a kernel with memory cgroups
    /// enabled).
    #[inline]
    pub fn memcg_id(&self) -> MemcgId {
        let ptr = self.shrinker.as_ptr();
        // SAFETY: The shrinker is registered (type invariant); after `shrinker_alloc` nothing
        // writes its flags or its id any more.
        let (flags, id) = unsafe { ((*ptr).flags, bindings::shrinker_id(ptr)) };
        // `shrinker_alloc` drops the flag when the shrinker gets no id; without it, the id field
        // is unused (zero).
        if flags & bindings::SHRINKER_MEMCG_AWARE == 0 {
            return MemcgId::NONE;
        }
        // INVARIANT: `id` is the id of this registered memcg-aware shrinker.
        MemcgId(id)
    }

    /// Calls `f` with the data and control of a callback invocation.
    ///
    /// # Safety
    ///
    /// `shrinker` is a shrinker registered by a live [`Registration<T>`] and `sc` is valid for the
    /// duration of the call.
    unsafe fn with<R>(
        shrinker: *mut bindings::shrinker,
        sc: *mut bindings::shrink_control,
        f: impl FnOnce(&T, &ShrinkControl<'_>) -> R,
    ) -> R {
        // SAFETY: By the type invariant of the live registration, `private_data` came from
        // `Arc::into_raw` and the reference it stands for is only dropped after `shrinker_free`,
        // which waits for running callbacks.
        let data = unsafe { &*(*shrinker).private_data.cast::<T>() };
        // INVARIANT: The caller guarantees `sc` is valid for this call; it is non-NULL.
        // SAFETY: Reclaim never passes a NULL control.
        let sc = ShrinkControl(unsafe { NonNull::new_unchecked(sc) }, PhantomData);
        f(data, &sc)
    }

    extern "C" fn count_callback(
        shrinker: *mut bindings::shrinker,
        sc: *mut bindings::shrink_control,
    ) -> usize {
        // SAFETY: Reclaim calls this only while the shrinker is registered, with a valid `sc`.
        unsafe { Self::with(shrinker, sc, |data, sc| data.count(sc).0) }
    }

    extern "C" fn scan_callback(
        shrinker: *mut bindings::shrinker,
        sc: *mut bindings::shrink_control,
    ) -> usize {
        // SAFETY: Reclaim calls this only while the shrinker is registered, with a valid `sc`.
        unsafe { Self::with(shrinker, sc, |data, sc| data.scan(sc).0) }
    }
}

impl<T: Shrinker> Drop for Registration<T> {
    fn drop(&mut self) {
        let ptr = self.shrinker.as_ptr();
        // SAFETY: The shrinker is registered (type invariant). Reading `private_data` before the
        // free is fine: nothing else writes it.
        let data = unsafe { (*ptr).private_data };
        // SAFETY: We own the registration; `shrinker_free` unregisters the shrinker and waits
        // for every running callback before returning.
        unsafe { bindings::shrinker_free(ptr) };
        // SAFETY: `data` came from `Arc::into_raw` for `T` (type invariant) and no callback can
        // use it any more.
        drop(unsafe { Arc::<T>::from_raw(data.cast::<T>()) });
    }
}

/// The kernel's default cost of recreating an object (`DEFAULT_SEEKS`).
pub const DEFAULT_SEEKS: u32 = bindings::DEFAULT_SEEKS;

#[macros::kunit_tests(rust_shrinker)]
mod tests {
    use super::*;
    use crate::sync::atomic::{
        Atomic,
        Relaxed, //
    };

    /// A cache of `objects` things, freeing as many as asked.
    struct Cache {
        objects: Atomic<usize>,
        scans: Atomic<usize>,
    }

    impl Shrinker for Cache {
        fn count(&self, _sc: &ShrinkControl<'_>) -> CountObjects {
            match self.objects.load(Relaxed) {
                0 => CountObjects::EMPTY,
                n => CountObjects::new(n),
            }
        }

        fn scan(&self, sc: &ShrinkControl<'_>) -> ScanObjects {
            self.scans.fetch_add(1, Relaxed);
            let n = self.objects.load(Relaxed).min(sc.nr_to_scan());
            self.objects.fetch_sub(n, Relaxed);
            ScanObjects::freed(n)
        }
    }

    /// Calls the registered callbacks the way reclaim does: count, then scan.
    fn reclaim<T: Shrinker>(reg: &Registration<T>, nr_to_scan: usize) -> Result<(usize, usize)> {
        // SAFETY: `shrink_control` is plain data; all zeroes is a valid value.
        let mut sc: bindings::shrink_control = unsafe { core::mem::zeroed() };
        sc.nr_to_scan = nr_to_scan;
        let raw = reg.shrinker.as_ptr();
        // SAFETY: `raw` is registered by `reg`, which is alive.
        let (count, scan) = unsafe { ((*raw).count_objects, (*raw).scan_objects) };
        let (count, scan) = (count.ok_or(EINVAL)?, scan.ok_or(EINVAL)?);
        // SAFETY: These are the callbacks of the live registration; `sc` is valid for the calls.
        Ok(unsafe { (count(raw, &mut sc), scan(raw, &mut sc)) })
    }

    #[test]
    fn callbacks_reach_the_cache() -> Result {
        let cache = Arc::new(
            Cache {
                objects: Atomic::new(100),
                scans: Atomic::new(0),
            },
            GFP_KERNEL,
        )?;
        let reg = Registration::new(
            c"rust-kunit-shrinker",
            DEFAULT_SEEKS,
            Flags::NONE,
            cache.clone(),
        )?;
        assert_eq!(reclaim(&reg, 30)?, (100, 30));
        assert_eq!(cache.objects.load(Relaxed), 70);
        assert_eq!(reclaim(&reg, 128)?, (70, 70));
        // An empty cache says so.
        assert_eq!(reclaim(&reg, 1)?.0, SHRINK_EMPTY);
        assert_eq!(cache.scans.load(Relaxed), 3);
        // Unregistering drops the registration's reference.
        drop(reg);
        assert!(Arc::into_unique_or_drop(cache).is_some());
        Ok(())
    }

    #[test]
    fn only_memcg_aware_shrinkers_mark_cgroups() -> Result {
        let cache = || {
            Arc::new(
                Cache {
                    objects: Atomic::new(1),
                    scans: Atomic::new(0),
                },
                GFP_KERNEL,
            )
        };
        let plain = Registration::new(c"rust-kunit-plain", DEFAULT_SEEKS, Flags::NONE, cache()?)?;
        assert_eq!(plain.memcg_id(), MemcgId::NONE);
        let flags = Flags::MEMCG_AWARE | Flags::NONSLAB;
        let aware = Registration::new(c"rust-kunit-memcg", DEFAULT_SEEKS, flags, cache()?)?;
        let id = aware.memcg_id();
        // The guest kernels that run these tests have memory cgroups enabled.
        if cfg!(CONFIG_MEMCG) {
            assert!(id.0 >= 0);
        }
        id.mark_current();
        // A stale handle is harmless.
        drop(aware);
        id.mark_current();
        Ok(())
    }

    #[test]
    fn counts_saturate_below_the_special_values() {
        assert_eq!(
            CountObjects::new(usize::MAX),
            CountObjects::new(usize::MAX - 2)
        );
        assert_ne!(CountObjects::new(usize::MAX), CountObjects::EMPTY);
        assert_ne!(ScanObjects::freed(usize::MAX), ScanObjects::STOP);
        assert_eq!(ScanObjects::freed(5), ScanObjects(5));
    }
}
