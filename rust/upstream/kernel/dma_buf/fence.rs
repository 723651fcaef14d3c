// SPDX-License-Identifier: GPL-2.0

//! DMA fences: completion events shared between drivers and userspace.
//!
//! A [`Fence`] is a reference-counted `struct dma_fence` of any origin: it can be waited on and
//! queried. A driver that completes work creates its own fences from a [`FenceContext`]: first a
//! [`FenceAllocation`] (this may sleep and fail), then, where the order of the timeline is decided
//! and nothing may fail, a [`DriverFence`] with the next sequence number. Only the holder of the
//! [`DriverFence`] can signal it, exactly once; dropping it unsignalled signals `-ECANCELED`.
//!
//! To act when a fence signals without waiting for it, embed a [`Callback`]: it runs its
//! [`Notify`] once the fence it waits for signals, and never after it is dropped.
//!
//! C header: [`include/linux/dma-fence.h`](srctree/include/linux/dma-fence.h)

use crate::{
    alloc::Flags,
    error::to_result,
    new_spinlock,
    prelude::*,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    sync::SpinLock,
    time::Jiffies,
    types::Opaque,
};
use core::ptr::{
    self,
    NonNull, //
};

/// A timeout that never expires, for [`Fence::wait`] and the other waits on fences.
pub const FOREVER: Jiffies = crate::task::MAX_SCHEDULE_TIMEOUT as Jiffies;

/// A DMA fence.
///
/// # Invariants
///
/// The wrapped `struct dma_fence` is initialized and the caller of any method holds a reference
/// to it.
#[repr(transparent)]
pub struct Fence(Opaque<bindings::dma_fence>);

// SAFETY: The C fence API is thread-safe: the fence's state is protected by its spinlock and
// its reference count is atomic.
unsafe impl Send for Fence {}
// SAFETY: See above.
unsafe impl Sync for Fence {}

// SAFETY: `dma_fence_get` and `dma_fence_put` manage the reference count; the fence stays valid
// while it is positive.
unsafe impl AlwaysRefCounted for Fence {
    fn inc_ref(&self) {
        // SAFETY: The fence is valid by the type invariant.
        unsafe { bindings::dma_fence_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::dma_fence_put(obj.as_ptr().cast()) };
    }
}

impl Fence {
    /// Returns the raw `struct dma_fence` pointer.
    pub fn as_raw(&self) -> *mut bindings::dma_fence {
        self.0.get()
    }

    /// Borrows a fence from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to an initialized `struct dma_fence` on which a reference is held for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::dma_fence) -> &'a Self {
        // SAFETY: `Fence` is a transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    /// Takes over a reference the caller owns.
    ///
    /// # Safety
    ///
    /// `ptr` points to an initialized `struct dma_fence` and the caller owns one reference to it,
    /// which is transferred to the returned [`ARef`].
    pub unsafe fn from_raw_owned(ptr: NonNull<bindings::dma_fence>) -> ARef<Self> {
        // SAFETY: The reference is transferred by the caller.
        unsafe { ARef::from_raw(ptr.cast()) }
    }

    /// Returns the fence context (the timeline) this fence belongs to.
    pub fn context(&self) -> u64 {
        // SAFETY: `context` is set at initialization and never changes.
        unsafe { (*self.as_raw()).context }
    }

    /// Returns the sequence number of this fence on its timeline.
    pub fn seqno(&self) -> u64 {
        // SAFETY: `seqno` is set at initialization and never changes.
        unsafe { (*self.as_raw()).seqno }
    }

    /// Returns whether the fence has signalled. Enables signalling as a side effect.
    pub fn is_signaled(&self) -> bool {
        // SAFETY: The fence is valid by the type invariant.
        unsafe { bindings::dma_fence_is_signaled(self.as_raw()) }
    }

    /// Returns the fence's state: `Ok(false)` while pending, `Ok(true)` once signalled without
    /// error, `Err(e)` once signalled with error `e`.
    pub fn status(&self) -> Result<bool> {
        // SAFETY: The fence is valid by the type invariant.
        let status = unsafe { bindings::dma_fence_get_status(self.as_raw()) };
        to_result(status).map(|()| status > 0)
    }

    /// Waits for the fence to signal, for at most `timeout` jiffies ([`FOREVER`] for ever).
    ///
    /// Returns the jiffies left (at least 1) once signalled, [`ETIME`] on timeout, and
    /// [`ERESTARTSYS`] if `interruptible` and a signal arrived.
    pub fn wait(&self, interruptible: bool, timeout: Jiffies) -> Result<Jiffies> {
        // `FOREVER` is the largest `long`, so the cast is lossless.
        let timeout = timeout.min(FOREVER) as crate::ffi::c_long;
        let ret =
            // SAFETY: The fence is valid by the type invariant.
            unsafe { bindings::dma_fence_wait_timeout(self.as_raw(), interruptible, timeout) };
        match ret {
            0 => Err(ETIME),
            // The ret >= 0 arm guarantees the cast is lossless.
            ret if ret > 0 => Ok(ret as Jiffies),
            ret => Err(Error::from_errno(ret as i32)),
        }
    }
}

impl Fence {
    /// Returns the names given to a fence created by [`FenceAllocation::init`], or `None` for
    /// another driver's fence, or for one of ours that has signalled (its ops are detached
    /// then).
    #[inline]
    pub fn driver_names(&self) -> Option<&'static FenceNames> {
        // SAFETY: The fence is valid (type invariant); the helper only compares the pointer.
        let ours = unsafe { bindings::dma_fence_has_ops(self.as_raw(), &DRIVER_FENCE_OPS) };
        if !ours {
            return None;
        }
        // SAFETY: Only `FenceAllocation::init` gives a fence these ops, so this is the `fence`
        // field of a `RawDriverFence`, alive while we hold a reference; `names` is never written
        // after the fence is initialized.
        Some(unsafe { driver_fence_names(self.as_raw()) })
    }
}

/// What a [`Callback`] does when the fence it waits for signals.
pub trait Notify: Send + Sync {
    /// Called once the fence signals, in the signaller's context (possibly an interrupt) and
    /// under the fence's lock: it must not sleep, nor use the fence or the callback.
    fn notify(&self);
}

/// A callback run when a fence signals: embed it, pinned, and point it at a fence with
/// [`Callback::wait_for`].
///
/// It waits for one fence at a time. Pointing it at another fence, or dropping it, first takes it
/// off the fence it waited for, so that [`Notify::notify`] never runs after that.
///
/// # Invariants
///
/// When `fence` is `Some`, `cb` was added to that fence's callback list with
/// [`callback_trampoline`] (it may have run since), and the reference keeps the fence alive.
#[pin_data(PinnedDrop)]
pub struct Callback<T: Notify> {
    #[pin]
    cb: Opaque<bindings::dma_fence_cb>,
    #[pin]
    fence: SpinLock<Option<ARef<Fence>>>,
    data: T,
}

/// Initializes the lock of every [`Callback`]: outside the generic code, so that all callbacks
/// share one lock class, whichever crate instantiates them.
#[inline(never)]
fn new_callback_lock() -> impl PinInit<SpinLock<Option<ARef<Fence>>>> {
    new_spinlock!(None, "dma_fence::Callback::fence")
}

// SAFETY: `cb` is only used by the fence code, under the fence's lock, and by `wait_for` and
// `drop` under `fence`'s lock; `T` is `Send`.
unsafe impl<T: Notify> Send for Callback<T> {}
// SAFETY: Shared access goes through `wait_for` (serialized by `fence`'s lock) and `data` (`T` is
// `Sync`).
unsafe impl<T: Notify> Sync for Callback<T> {}

impl<T: Notify> Callback<T> {
    /// Creates a callback that waits for nothing yet.
    pub fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            cb: Opaque::uninit(),
            fence <- new_callback_lock(),
            data,
        })
    }

    /// Returns the data the callback notifies.
    #[inline]
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Makes the callback wait for `fence` (and no longer for the fence it waited for before).
    ///
    /// A callback is only ever built in place ([`Callback::new`] is a [`PinInit`]) and is
    /// `!Unpin`, so a shared reference is enough: its address stays the same until it is dropped.
    ///
    /// Returns `false`, and waits for nothing, if `fence` has signalled already.
    pub fn wait_for(&self, fence: &Fence) -> bool {
        let mut current = self.fence.lock();
        if let Some(old) = current.take() {
            if ptr::eq(old.as_raw(), fence.as_raw()) && !old.is_signaled() {
                *current = Some(old);
                return true;
            }
            // SAFETY: By the type invariant, `cb` was added to `old`, which is alive. Whether or
            // not it was still on the list, the fence's lock taken here means it is not running.
            unsafe { bindings::dma_fence_remove_callback(old.as_raw(), self.cb.get()) };
        }
        // SAFETY: `cb` is pinned, on no fence's list (above), and taken off this one before it is
        // freed (`drop`). The trampoline is the one matching `T`.
        let ret = unsafe {
            bindings::dma_fence_add_callback(
                fence.as_raw(),
                self.cb.get(),
                Some(callback_trampoline::<T>),
            )
        };
        if ret != 0 {
            // `ENOENT`: already signalled.
            return false;
        }
        // INVARIANT: `cb` is on `fence`'s list, and this reference keeps the fence alive.
        *current = Some(fence.into());
        true
    }
}

#[pinned_drop]
impl<T: Notify> PinnedDrop for Callback<T> {
    fn drop(self: Pin<&mut Self>) {
        if let Some(old) = self.fence.lock().take() {
            // SAFETY: As in `wait_for`: afterwards the callback is off the list and not running.
            unsafe { bindings::dma_fence_remove_callback(old.as_raw(), self.cb.get()) };
        }
    }
}

/// Runs a [`Callback`]'s notification.
///
/// # Safety
///
/// `cb` is the `cb` field of a live `Callback<T>`.
unsafe extern "C" fn callback_trampoline<T: Notify>(
    _fence: *mut bindings::dma_fence,
    cb: *mut bindings::dma_fence_cb,
) {
    let cb = cb.cast::<Opaque<bindings::dma_fence_cb>>();
    // SAFETY: Only `wait_for` adds this function, with the `cb` field of a `Callback<T>`; that
    // callback is alive, since dropping it takes it off the fence under the fence's lock, which
    // the signaller holds while calling this.
    let this = unsafe { &*crate::container_of!(cb, Callback<T>, cb) };
    this.data.notify();
}

/// A timeline of driver fences: fences from one context signal in sequence-number order.
///
/// # Invariants
///
/// `context` was returned by `dma_fence_context_alloc`.
pub struct FenceContext {
    context: u64,
    seqno: Atomic<u64>,
    names: &'static FenceNames,
}

/// The names a driver's fences report (`dma_fence_ops.get_driver_name`/`get_timeline_name`).
///
/// They are read only while the fence is unsignalled, hence while its driver is loaded.
pub struct FenceNames {
    /// The driver's name.
    pub driver: &'static CStr,
    /// The timeline's name.
    pub timeline: &'static CStr,
}

impl FenceContext {
    /// Allocates a new fence context (a timeline) whose fences report `names`.
    pub fn new(names: &'static FenceNames) -> Self {
        Self {
            // SAFETY: Always safe to call.
            context: unsafe { bindings::dma_fence_context_alloc(1) },
            seqno: Atomic::new(0),
            names,
        }
    }

    /// Returns the context number fences of this timeline carry.
    pub fn context(&self) -> u64 {
        self.context
    }
}

/// The allocation behind a driver fence: `names` is found from the fence with `container_of`.
///
/// # Invariants
///
/// `fence` is the first field, so the allocation can be freed from the fence pointer by
/// `dma_fence_free` (the default release, which calls `kfree_rcu`).
#[repr(C)]
struct RawDriverFence {
    fence: Opaque<bindings::dma_fence>,
    names: &'static FenceNames,
}

/// Memory for one driver fence, allocated ahead of the point where the fence must be created
/// without failing.
pub struct FenceAllocation(KBox<RawDriverFence>);

impl FenceAllocation {
    /// Allocates memory for a fence.
    pub fn new(flags: Flags) -> Result<Self> {
        let raw = KBox::new(
            RawDriverFence {
                fence: Opaque::uninit(),
                names: &NO_NAMES,
            },
            flags,
        )?;
        Ok(Self(raw))
    }

    /// Initializes the fence as the next one on `ctx`'s timeline.
    ///
    /// The caller decides the timeline's order: fences from one context must be signalled in
    /// the order this is called.
    pub fn init(self, ctx: &FenceContext) -> DriverFence {
        let mut raw = self.0;
        raw.names = ctx.names;
        let seqno = ctx.seqno.fetch_add(1, Relaxed) + 1;
        let raw = KBox::into_raw(raw);
        // SAFETY: `raw` is a valid allocation; `fence` is initialized here, with the inline lock
        // (`NULL`) and ops that live in the kernel image. Ownership of the allocation passes to
        // the fence's reference count; `dma_fence_free` frees it, which is valid because `fence`
        // is the first field of a `kmalloc`ed `RawDriverFence`.
        let fence = unsafe {
            let fence = (*raw).fence.get();
            bindings::dma_fence_init64(
                fence,
                &DRIVER_FENCE_OPS,
                ptr::null_mut(),
                ctx.context,
                seqno,
            );
            fence
        };
        // SAFETY: `dma_fence_init64` set the reference count to one, which is now ours.
        DriverFence(unsafe { Fence::from_raw_owned(NonNull::new_unchecked(fence)) })
    }
}

static NO_NAMES: FenceNames = FenceNames {
    driver: c"",
    timeline: c"",
};

/// Returns the names stored beside a driver fence.
///
/// # Safety
///
/// `fence` is the `fence` field of a live `RawDriverFence`.
unsafe fn driver_fence_names(fence: *mut bindings::dma_fence) -> &'static FenceNames {
    // SAFETY: `fence` is the first field of a `#[repr(C)]` `RawDriverFence`, per the caller.
    unsafe { (*fence.cast::<RawDriverFence>()).names }
}

extern "C" fn driver_name(fence: *mut bindings::dma_fence) -> *const c_char {
    // SAFETY: These ops are only used for `RawDriverFence`s.
    unsafe { driver_fence_names(fence) }.driver.as_char_ptr()
}

extern "C" fn timeline_name(fence: *mut bindings::dma_fence) -> *const c_char {
    // SAFETY: These ops are only used for `RawDriverFence`s.
    unsafe { driver_fence_names(fence) }.timeline.as_char_ptr()
}

static DRIVER_FENCE_OPS: bindings::dma_fence_ops = bindings::dma_fence_ops {
    get_driver_name: Some(driver_name),
    get_timeline_name: Some(timeline_name),
    enable_signaling: None,
    signaled: None,
    wait: None,
    release: None,
    set_deadline: None,
};

/// The right to signal a driver fence.
///
/// # Invariants
///
/// The fence was created by [`FenceAllocation::init`] and has not been signalled through this
/// handle; no other handle can signal it.
pub struct DriverFence(ARef<Fence>);

impl DriverFence {
    /// Returns the fence, to be shared with others.
    pub fn fence(&self) -> &Fence {
        &self.0
    }

    /// Signals the fence, with `error` recorded first if there is one.
    pub fn signal(self, error: Option<Error>) {
        let fence = self.0.as_raw();
        if let Some(e) = error {
            // SAFETY: The fence is valid and, by the type invariant, not yet signalled.
            unsafe { bindings::dma_fence_set_error(fence, e.to_errno()) };
        }
        // SAFETY: The fence is valid.
        unsafe { bindings::dma_fence_signal(fence) };
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used again; the reference it holds is released here.
        drop(unsafe { ptr::read(&this.0) });
    }
}

impl Drop for DriverFence {
    fn drop(&mut self) {
        let fence = self.0.as_raw();
        // SAFETY: The fence is valid and not signalled through this handle (type invariant).
        unsafe {
            bindings::dma_fence_set_error(fence, ECANCELED.to_errno());
            bindings::dma_fence_signal(fence);
        }
    }
}

/// A fence signalling critical section (lockdep annotation): code between
/// [`SignallingSection::begin`] and the guard's drop must not wait for fences, nor take locks
/// that are held while waiting for fences, nor allocate memory with `GFP_KERNEL`.
pub struct SignallingSection {
    cookie: bool,
    _not_send: crate::types::NotThreadSafe,
}

impl SignallingSection {
    /// Begins a signalling section.
    pub fn begin() -> Self {
        Self {
            // SAFETY: Always safe to call; the cookie is passed back on drop.
            cookie: unsafe { bindings::dma_fence_begin_signalling() },
            _not_send: crate::types::NotThreadSafe,
        }
    }
}

impl Drop for SignallingSection {
    fn drop(&mut self) {
        // SAFETY: `cookie` came from `dma_fence_begin_signalling` on this thread.
        unsafe { bindings::dma_fence_end_signalling(self.cookie) };
    }
}

#[macros::kunit_tests(rust_dma_fence)]
mod tests {
    use super::*;
    use crate::sync::Arc;

    static NAMES: FenceNames = FenceNames {
        driver: c"kunit",
        timeline: c"kunit-timeline",
    };

    #[test]
    fn signal_in_order() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let b = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        assert_eq!(a.fence().context(), ctx.context());
        assert!(b.fence().seqno() == a.fence().seqno() + 1);
        let fa: ARef<Fence> = a.fence().into();
        assert_eq!(fa.status(), Ok(false));
        assert_eq!(fa.wait(false, 0), Err(ETIME));
        a.signal(None);
        assert!(fa.is_signaled());
        assert_eq!(fa.status(), Ok(true));
        assert!(fa.wait(true, 10)? >= 1);
        b.signal(Some(EIO));
        Ok(())
    }

    #[test]
    fn error_and_cancel() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let fa: ARef<Fence> = a.fence().into();
        a.signal(Some(EIO));
        assert_eq!(fa.status(), Err(EIO));
        let b = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let fb: ARef<Fence> = b.fence().into();
        drop(b);
        assert_eq!(fb.status(), Err(ECANCELED));
        // An allocation never initialized is simply freed.
        drop(FenceAllocation::new(GFP_KERNEL)?);
        Ok(())
    }

    struct Count(Arc<Atomic<u32>>);

    impl Notify for Count {
        fn notify(&self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    #[test]
    fn callbacks_run_once_and_move() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let b = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let count = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
        let cb = KBox::pin_init(Callback::new(Count(count.clone())), GFP_KERNEL)?;
        assert!(cb.wait_for(a.fence()));
        // Waiting for the same fence again keeps the one registration.
        assert!(cb.wait_for(a.fence()));
        // Moved to `b`: signalling `a` no longer notifies.
        assert!(cb.wait_for(b.fence()));
        let fa: ARef<Fence> = a.fence().into();
        a.signal(None);
        assert_eq!(count.load(Relaxed), 0);
        b.signal(None);
        assert_eq!(count.load(Relaxed), 1);
        // A signalled fence registers nothing.
        assert!(!cb.wait_for(&fa));
        let c = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        assert!(cb.wait_for(c.fence()));
        // Dropped before the fence signals: never notified.
        drop(cb);
        c.signal(None);
        assert_eq!(count.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn driver_names_identify_our_unsignalled_fences() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let a = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        assert!(a.fence().driver_names().is_some_and(|n| ptr::eq(n, &NAMES)));
        let fa: ARef<Fence> = a.fence().into();
        a.signal(None);
        assert!(fa.driver_names().is_none());
        Ok(())
    }

    #[test]
    fn signalling_section_nests() {
        let outer = SignallingSection::begin();
        let inner = SignallingSection::begin();
        drop(inner);
        drop(outer);
    }
}
