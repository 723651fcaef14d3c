// SPDX-License-Identifier: GPL-2.0

//! Pages of a process' address space pinned for access by the kernel or a device (`FOLL_PIN`).
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::{
    page::{
        BorrowedPage,
        PAGE_SIZE, //
    },
    prelude::*,
};
use core::ptr::NonNull;

/// Pinned pages of the current task's address space, unpinned when dropped.
///
/// # Invariants
///
/// Every entry of `pages` is a page pinned (`FOLL_PIN`) by this value, once.
pub struct UserPages {
    pages: KVVec<NonNull<bindings::page>>,
    writable: bool,
}

// SAFETY: Pinned pages may be used and unpinned from any thread.
unsafe impl Send for UserPages {}
// SAFETY: Shared access only reads the page pointers.
unsafe impl Sync for UserPages {}

impl UserPages {
    /// Pins `count` pages of the current task's address space from `start` (page aligned),
    /// faulting them in as needed (this sleeps, and may run userfaultfd handlers). With
    /// `writable`, pages are pinned for writing (breaking COW) and marked dirty when unpinned.
    ///
    /// Fails with [`EFAULT`] if part of the range is not mapped (or not writable when asked),
    /// with [`E2BIG`] if the page array would exceed what one allocation may hold.
    pub fn pin(start: usize, count: usize, writable: bool) -> Result<Self> {
        Self::pin_with(start, count, writable, 0)
    }

    /// Pins like [`UserPages::pin`], for a pin held for an unbounded time (`FOLL_LONGTERM`):
    /// pages in CMA or movable zones are migrated out first, so that the pin does not keep them
    /// from being allocated or offlined. As for any long-term pin, file mappings whose writeback
    /// needs dirty tracking cannot be pinned for writing ([`EFAULT`]).
    pub fn pin_longterm(start: usize, count: usize, writable: bool) -> Result<Self> {
        Self::pin_with(start, count, writable, bindings::FOLL_LONGTERM)
    }

    fn pin_with(start: usize, count: usize, writable: bool, extra: u32) -> Result<Self> {
        if start % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        // The page array is one allocation, which the allocator bounds to `INT_MAX` bytes.
        if count > i32::MAX as usize / size_of::<NonNull<bindings::page>>() {
            return Err(E2BIG);
        }
        let mut pages = KVVec::with_capacity(count, GFP_KERNEL)?;
        let flags = extra | if writable { bindings::FOLL_WRITE } else { 0 };
        let mut this = Self {
            pages: KVVec::new(),
            writable,
        };
        while pages.len() < count {
            let done = pages.len();
            let addr = start
                .checked_add(done.checked_mul(PAGE_SIZE).ok_or(EFAULT)?)
                .ok_or(EFAULT)?;
            let want = i32::try_from(count - done).unwrap_or(i32::MAX);
            let spare = pages.spare_capacity_mut();
            // SAFETY: `spare` has room for `want` page pointers; the function pins at most that
            // many pages of the current task and writes their pointers there.
            let ret = unsafe {
                bindings::pin_user_pages_fast(addr, want, flags, spare.as_mut_ptr().cast())
            };
            if ret <= 0 {
                // Unpin what was pinned (through `this`'s drop), then report.
                this.pages = pages;
                return Err(if ret < 0 {
                    Error::from_errno(ret)
                } else {
                    EFAULT
                });
            }
            // SAFETY: `ret` (at most `want`) more entries were written with pinned pages.
            unsafe { pages.inc_len(ret as usize) };
        }
        // INVARIANT: Every page in `pages` was pinned above.
        this.pages = pages;
        Ok(this)
    }

    /// Returns the number of pages.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Returns whether no page is pinned.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Returns page `index`, or `None` past the end.
    pub fn page(&self, index: usize) -> Option<BorrowedPage<'_>> {
        let page = *self.pages.get(index)?;
        // SAFETY: The page is pinned, hence valid, while `self` lives.
        Some(unsafe { BorrowedPage::from_raw(page) })
    }
}

impl Drop for UserPages {
    fn drop(&mut self) {
        if self.pages.is_empty() {
            return;
        }
        // SAFETY: The pages were pinned by `self`, once each (type invariant). Marking them
        // dirty takes each page's lock: callers drop `UserPages` where that cannot deadlock.
        unsafe {
            bindings::unpin_user_pages_dirty_lock(
                self.pages.as_mut_ptr().cast(),
                self.pages.len(),
                self.writable,
            )
        };
    }
}

#[macros::kunit_tests(rust_mm_user_pages)]
mod tests {
    use super::*;
    use crate::{
        mm::interval_notifier::{
            Event,
            IntervalNotifier,
            Invalidate,
            Invalidation, //
        },
        page::shared::SharedMap,
        sync::atomic::{
            Atomic,
            Relaxed, //
        },
        uaccess::{
            UserPtr,
            UserSlice, //
        },
    };

    // <uapi/asm-generic/mman-common.h> and <uapi/linux/mman.h> on x86.
    const PROT_READ: usize = 1;
    const PROT_WRITE: usize = 2;
    const MAP_PRIVATE: usize = 2;
    const MAP_ANONYMOUS: usize = 0x20;

    /// Maps `pages` anonymous pages into an address space KUnit gives the test thread; KUnit
    /// unmaps them (and drops the address space) when the test ends.
    fn map(pages: usize) -> Result<usize> {
        // SAFETY: Called from a KUnit test thread, which has a current test.
        let addr = unsafe {
            bindings::kunit_vm_mmap(
                bindings::kunit_get_current_test(),
                core::ptr::null_mut(),
                0,
                pages * PAGE_SIZE,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
                0,
            )
        };
        // An error comes back as a negative errno in the address.
        if addr == 0 || addr > usize::MAX - 4095 {
            return Err(ENOMEM);
        }
        Ok(addr)
    }

    #[test]
    fn pins_what_userspace_sees() -> Result {
        let addr = map(2)?;
        UserSlice::new(UserPtr::from_addr(addr + 8), 4)
            .writer()
            .write(&0x1234_5678u32)?;
        let pages = UserPages::pin(addr, 2, true)?;
        assert_eq!(pages.len(), 2);
        let first = pages.page(0).ok_or(EINVAL)?;
        assert_eq!(SharedMap::with(&first, |m| m.read_u32(8))?, 0x1234_5678);
        let second = pages.page(1).ok_or(EINVAL)?;
        SharedMap::with(&second, |m| m.write_u32(4, 0xabcd))?;
        let seen: u32 = UserSlice::new(UserPtr::from_addr(addr + PAGE_SIZE + 4), 4)
            .reader()
            .read()?;
        assert_eq!(seen, 0xabcd);
        assert!(pages.page(2).is_none());
        // Unmapped, or not page aligned.
        assert_eq!(
            UserPages::pin(addr + 4 * PAGE_SIZE, 1, false).err(),
            Some(EFAULT)
        );
        assert_eq!(UserPages::pin(addr + 8, 1, false).err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn long_term_pins_what_userspace_sees() -> Result {
        let addr = map(1)?;
        UserSlice::new(UserPtr::from_addr(addr + 12), 4)
            .writer()
            .write(&0x600du32)?;
        let pages = UserPages::pin_longterm(addr, 1, true)?;
        let page = pages.page(0).ok_or(EINVAL)?;
        assert_eq!(SharedMap::with(&page, |m| m.read_u32(12))?, 0x600d);
        SharedMap::with(&page, |m| m.write_u32(16, 0xfeed))?;
        let seen: u32 = UserSlice::new(UserPtr::from_addr(addr + 16), 4)
            .reader()
            .read()?;
        assert_eq!(seen, 0xfeed);
        assert_eq!(
            UserPages::pin_longterm(addr + PAGE_SIZE, 1, false).err(),
            Some(EFAULT)
        );
        Ok(())
    }

    /// Counts invalidations and remembers whether one was an unmap.
    struct Watch {
        calls: Atomic<u32>,
        unmapped: Atomic<bool>,
    }

    impl Invalidate for Watch {
        fn invalidate(notifier: &IntervalNotifier<Self>, change: &Invalidation<'_>) -> bool {
            let w = notifier.data();
            change.set_seq();
            w.calls.fetch_add(1, Relaxed);
            if change.event() == Event::Unmap {
                w.unmapped.store(true, Relaxed);
            }
            true
        }
    }

    #[test]
    fn notifier_sees_munmap_of_its_range_only() -> Result {
        let addr = map(4)?;
        let task = crate::current!();
        let mm = task.mm().ok_or(EINVAL)?;
        let watch = Watch {
            calls: Atomic::new(0),
            unmapped: Atomic::new(false),
        };
        // Watch the middle two pages.
        let n = KBox::pin_init(
            IntervalNotifier::new(mm, addr + PAGE_SIZE, 2 * PAGE_SIZE, Ok::<_, Error>(watch)),
            GFP_KERNEL,
        )?;
        let seq = n.read_begin();
        assert!(!n.read_retry(seq));
        // Unmapping a page outside the interval does not call it.
        // SAFETY: Unmaps part of this test's own mapping.
        assert_eq!(unsafe { bindings::vm_munmap(addr, PAGE_SIZE) }, 0);
        assert_eq!(n.data().calls.load(Relaxed), 0);
        assert!(!n.check_retry(seq));
        // SAFETY: Unmaps part of this test's own mapping, inside the interval.
        let ret = unsafe { bindings::vm_munmap(addr + 2 * PAGE_SIZE, PAGE_SIZE) };
        assert_eq!(ret, 0);
        assert!(n.data().calls.load(Relaxed) >= 1);
        assert!(n.data().unmapped.load(Relaxed));
        assert!(n.read_retry(seq));
        let again = n.read_begin();
        assert!(!n.read_retry(again));
        Ok(())
    }
}
