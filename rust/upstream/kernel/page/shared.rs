// SPDX-License-Identifier: GPL-2.0

//! Access to pages whose contents others may change at any time.
//!
//! Buffer pages mapped into userspace, or read by a device, are shared memory: userspace can
//! write them while the kernel reads them. [`SharedMap`] maps such a page for the current thread
//! and accesses it only through copies with C semantics (`memcpy`, `copy_to_user`, volatile
//! loads and stores), never through Rust references, so a concurrent change yields unspecified
//! values but no undefined behaviour. Every access is bounds-checked against the page.

use crate::{
    page::{
        Page,
        PAGE_SIZE, //
    },
    prelude::*,
    types::NotThreadSafe,
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// A page mapped for the current thread: by `kmap_local_page` ([`SharedMap::with`]), or as part
/// of a longer-lived mapping such as an object's vmap ([`SharedMap::with_mapped`]).
///
/// # Invariants
///
/// `addr` is the kernel address of a mapping of a whole page that stays valid for `'a`.
pub struct SharedMap<'a> {
    addr: NonNull<u8>,
    _page: PhantomData<&'a Page>,
    _not_send: NotThreadSafe,
}

/// Returns `offset..offset + len` if it lies within a page.
fn in_page(offset: usize, len: usize) -> Result {
    match offset.checked_add(len) {
        Some(end) if end <= PAGE_SIZE => Ok(()),
        _ => Err(EINVAL),
    }
}

impl<'a> SharedMap<'a> {
    /// Maps `page` for the duration of `f`.
    ///
    /// Mappings nest (they are undone in reverse order, as `kunmap_local` requires).
    pub fn with<R>(page: &'a Page, f: impl FnOnce(&SharedMap<'_>) -> R) -> R {
        // SAFETY: `page` is a valid page for `'a`; the mapping is undone below, after every
        // mapping made inside `f` has been undone (they end within `f`).
        let addr = unsafe { bindings::kmap_local_page(page.as_ptr()) };
        // INVARIANT: `kmap_local_page` never fails; the mapping covers the page.
        let map = SharedMap {
            // SAFETY: `kmap_local_page` returns a non-NULL address.
            addr: unsafe { NonNull::new_unchecked(addr.cast()) },
            _page: PhantomData,
            _not_send: NotThreadSafe,
        };
        let r = f(&map);
        // SAFETY: `addr` came from `kmap_local_page` above and is no longer used.
        unsafe { bindings::kunmap_local(addr) };
        r
    }

    /// Runs `f` on the page already mapped at `addr`.
    ///
    /// # Safety
    ///
    /// `addr` is the kernel address of a mapping of a whole page that stays valid until `f`
    /// returns.
    pub unsafe fn with_mapped<R>(addr: NonNull<u8>, f: impl FnOnce(&SharedMap<'_>) -> R) -> R {
        // INVARIANT: The caller guarantees the mapping for the call, which outlives `map`.
        let map = SharedMap {
            addr,
            _page: PhantomData,
            _not_send: NotThreadSafe,
        };
        f(&map)
    }

    fn at(&self, offset: usize) -> *mut u8 {
        // The callers checked `offset` against the page.
        self.addr.as_ptr().wrapping_add(offset)
    }

    /// Reads the little-endian dword at `offset` (4-byte aligned).
    pub fn read_u32(&self, offset: usize) -> Result<u32> {
        in_page(offset, 4)?;
        if offset % 4 != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The dword is aligned and inside the mapped page (type invariant).
        Ok(u32::from_le(unsafe {
            self.at(offset).cast::<u32>().read_volatile()
        }))
    }

    /// Writes the little-endian dword at `offset` (4-byte aligned).
    pub fn write_u32(&self, offset: usize, value: u32) -> Result {
        in_page(offset, 4)?;
        if offset % 4 != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The dword is aligned and inside the mapped page (type invariant).
        unsafe { self.at(offset).cast::<u32>().write_volatile(value.to_le()) };
        Ok(())
    }

    /// Fills `len` bytes at `offset` with the little-endian dword `value`, repeated; `offset`
    /// and `len` are multiples of 4.
    pub fn fill_u32(&self, offset: usize, len: usize, value: u32) -> Result {
        in_page(offset, len)?;
        if offset % 4 != 0 || len % 4 != 0 {
            return Err(EINVAL);
        }
        for o in (offset..offset + len).step_by(4) {
            // SAFETY: Each dword is aligned and inside the mapped page (checked above).
            unsafe { self.at(o).cast::<u32>().write_volatile(value.to_le()) };
        }
        Ok(())
    }

    /// Copies `len` bytes from `src` at `src_offset` to this page at `offset`; the ranges may
    /// overlap.
    pub fn copy_from(
        &self,
        offset: usize,
        src: &SharedMap<'_>,
        src_offset: usize,
        len: usize,
    ) -> Result {
        in_page(offset, len)?;
        in_page(src_offset, len)?;
        // SAFETY: Both ranges are inside mapped pages (checked above); `memmove` handles overlap
        // and, being C, is not subject to Rust's aliasing rules on this shared memory.
        unsafe { bindings::memmove(self.at(offset).cast(), src.at(src_offset).cast(), len) };
        Ok(())
    }

    /// Copies `len` bytes at `offset` to userspace at `dst`; [`EFAULT`] if any byte faults.
    pub fn copy_to_user(&self, offset: usize, dst: UserPtr, len: usize) -> Result {
        in_page(offset, len)?;
        // SAFETY: The source range is inside the mapped page; `copy_to_user` checks `dst`.
        let left = unsafe { bindings::copy_to_user(dst.as_mut_ptr(), self.at(offset).cast(), len) };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Copies `len` bytes from userspace at `src` to `offset`; [`EFAULT`] if any byte faults
    /// (the bytes before the fault are copied).
    pub fn copy_from_user(&self, offset: usize, src: UserPtr, len: usize) -> Result {
        in_page(offset, len)?;
        let left =
            // SAFETY: The destination range is inside the mapped page; `copy_from_user` checks
            // `src`.
            unsafe { bindings::copy_from_user(self.at(offset).cast(), src.as_const_ptr(), len) };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }
}

#[macros::kunit_tests(rust_page_shared)]
mod tests {
    use super::*;

    #[test]
    fn dwords_and_copies() -> Result {
        let a = Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?;
        let b = Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?;
        SharedMap::with(&a, |ma| -> Result {
            ma.write_u32(0, 0xdead_beef)?;
            ma.write_u32(PAGE_SIZE - 4, 7)?;
            assert_eq!(ma.read_u32(0)?, 0xdead_beef);
            assert_eq!(ma.write_u32(PAGE_SIZE - 2, 0), Err(EINVAL));
            assert_eq!(ma.read_u32(PAGE_SIZE), Err(EINVAL));
            assert_eq!(ma.read_u32(2), Err(EINVAL));
            assert_eq!(ma.read_u32(usize::MAX - 1), Err(EINVAL));
            ma.fill_u32(8, 8, 0x0102_0304)?;
            assert_eq!(ma.fill_u32(PAGE_SIZE - 4, 8, 0), Err(EINVAL));
            SharedMap::with(&b, |mb| -> Result {
                mb.copy_from(0, ma, 0, PAGE_SIZE)?;
                assert_eq!(mb.read_u32(PAGE_SIZE - 4)?, 7);
                assert_eq!(mb.read_u32(12)?, 0x0102_0304);
                assert_eq!(mb.copy_from(1, ma, 0, PAGE_SIZE), Err(EINVAL));
                Ok(())
            })?;
            // Overlapping copy within one page.
            ma.copy_from(4, ma, 0, 8)?;
            assert_eq!(ma.read_u32(4)?, 0xdead_beef);
            Ok(())
        })
    }
}
