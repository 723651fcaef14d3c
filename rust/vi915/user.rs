// SPDX-License-Identifier: GPL-2.0

//! Copies of i915 uAPI structures to and from userspace.

use core::mem::MaybeUninit;
use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi, //
};

/// A uAPI structure that can be copied from and to userspace as bytes.
///
/// # Safety
///
/// The type is `#[repr(C)]`, consists of integer fields only and has no padding: every bit
/// pattern is a valid value and every byte of a value is initialized.
pub(crate) unsafe trait Pod: Copy {}

// SAFETY: `u32`, `u64` and four `u64`-sized fields; 56 bytes without padding (uAPI layout).
unsafe impl Pod for uapi::drm_i915_gem_exec_object2 {}
// SAFETY: Two `u32`, two `u64`, two `u32`: 32 bytes without padding (uAPI layout).
unsafe impl Pod for uapi::drm_i915_gem_relocation_entry {}
// SAFETY: `u64`, two `u32`, `[u32; 4]`: 32 bytes without padding (uAPI layout).
unsafe impl Pod for uapi::i915_user_extension {}
// SAFETY: A 32-byte extension header, two `u32`, one `u64`: 48 bytes without padding.
unsafe impl Pod for uapi::drm_i915_gem_create_ext_memory_regions {}
// SAFETY: Two `u16`.
unsafe impl Pod for uapi::drm_i915_gem_memory_class_instance {}
// SAFETY: A 32-byte extension header and a 24-byte parameter of integers: 56 bytes, no padding.
unsafe impl Pod for uapi::drm_i915_gem_context_create_ext_setparam {}
// SAFETY: `u64`, `s32`, `u32`, `u64`: 24 bytes without padding (uAPI layout).
unsafe impl Pod for uapi::drm_i915_query_item {}
// SAFETY: Two `u32`.
unsafe impl Pod for uapi::drm_i915_gem_exec_fence {}
// SAFETY: A 32-byte extension header and three `u64`: 56 bytes without padding (uAPI layout).
unsafe impl Pod for uapi::drm_i915_gem_execbuffer_ext_timeline_fences {}
// SAFETY: Integers.
unsafe impl Pod for i32 {}
// SAFETY: Integers.
unsafe impl Pod for u32 {}
// SAFETY: Integers.
unsafe impl Pod for u64 {}
// SAFETY: Elements without padding, laid out one after the other with no padding between them.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// Reads `count` values of `T` from userspace at `ptr` into `v`, replacing what it held.
///
/// The caller bounds `count`: `v` grows to hold `count` values.
pub(crate) fn read_array<T: Pod>(v: &mut KVVec<T>, ptr: u64, count: usize) -> Result {
    let bytes = count.checked_mul(size_of::<T>()).ok_or(EINVAL)?;
    v.clear();
    v.reserve(count, GFP_KERNEL)?;
    let mut reader = UserSlice::new(UserPtr::from_addr(ptr as usize), bytes).reader();
    let spare = v.spare_capacity_mut();
    // SAFETY: `v` is empty with room for `count` values, so `spare` is at least `count`
    // uninitialized `T`s, that is at least `bytes` uninitialized bytes, which `read_raw` may
    // overwrite with any bytes.
    let raw = unsafe {
        core::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), bytes)
    };
    reader.read_raw(raw)?;
    // SAFETY: `read_raw` initialized the first `bytes` bytes of the empty `v`'s room, and any
    // bytes form valid `T`s (`Pod`).
    unsafe { v.inc_len(count) };
    Ok(())
}

/// Reads one `T` from userspace at `ptr`.
pub(crate) fn read<T: Pod>(ptr: u64) -> Result<T> {
    let mut value = MaybeUninit::<T>::uninit();
    // SAFETY: `value` is `size_of::<T>()` bytes that `read_raw` may overwrite with any bytes.
    let raw = unsafe {
        core::slice::from_raw_parts_mut(
            value.as_mut_ptr().cast::<MaybeUninit<u8>>(),
            size_of::<T>(),
        )
    };
    UserSlice::new(UserPtr::from_addr(ptr as usize), size_of::<T>())
        .reader()
        .read_raw(raw)?;
    // SAFETY: Fully initialized by `read_raw`; any bytes form a valid `T` (`Pod`).
    Ok(unsafe { value.assume_init() })
}

/// Reads the `T` at index `index` of an array in userspace at `ptr`: [`EFAULT`] if its address
/// does not fit in 64 bits.
pub(crate) fn read_nth<T: Pod>(ptr: u64, index: u64) -> Result<T> {
    let at = index
        .checked_mul(size_of::<T>() as u64)
        .and_then(|offset| ptr.checked_add(offset))
        .ok_or(EFAULT)?;
    read(at)
}

/// Writes `value` to userspace at `ptr`.
pub(crate) fn write<T: Pod>(ptr: u64, value: &T) -> Result {
    // SAFETY: `T` is `Pod`: its `size_of::<T>()` bytes are all initialized.
    let bytes = unsafe {
        core::slice::from_raw_parts(core::ptr::from_ref(value).cast::<u8>(), size_of::<T>())
    };
    UserSlice::new(UserPtr::from_addr(ptr as usize), size_of::<T>())
        .writer()
        .write_slice(bytes)
}

/// Most extensions i915 walks in one chain.
const MAX_EXTENSIONS: u32 = 512;

/// Walks an i915 extension chain, calling `f(name, node address)` for each node.
pub(crate) fn walk_extensions(mut next: u64, mut f: impl FnMut(u32, u64) -> Result) -> Result {
    let mut left = MAX_EXTENSIONS;
    while next != 0 {
        if left == 0 {
            return Err(E2BIG);
        }
        left -= 1;
        let ext: uapi::i915_user_extension = read(next)?;
        if ext.flags != 0 || ext.rsvd.iter().any(|&r| r != 0) {
            return Err(EINVAL);
        }
        f(ext.name, next)?;
        next = ext.next_extension;
    }
    Ok(())
}
