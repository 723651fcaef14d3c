// SPDX-License-Identifier: GPL-2.0

//! Sysfs directories of numbers, for drivers' tunables.
//!
//! A [`Dir`] is a kobject-backed directory below another directory (for example a device's), with
//! files that each show, and may store, one unsigned number through a [`Value`]. Dropping the
//! directory removes its files, then its subdirectories, then itself; removing a file waits for
//! the reads and writes in progress, so a [`Value`] is never used after that.
//!
//! C headers: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h),
//! [`include/linux/kobject.h`](srctree/include/linux/kobject.h)

use crate::{
    bindings,
    error::to_result,
    ffi::c_char,
    prelude::*,
    types::Opaque, //
};
use core::ptr::NonNull;

/// A number a sysfs file shows and stores.
pub trait Value: Send + Sync {
    /// Returns the number to show.
    fn get(&self) -> u64;

    /// Stores a number written to the file; its error is the write's. Only called for files
    /// added as writable, so a read-only value need not provide it.
    fn set(&self, _value: u64) -> Result {
        Err(EPERM)
    }
}

/// One file: the attribute sysfs calls back with, and the value behind it.
#[pin_data]
struct File {
    #[pin]
    attr: Opaque<bindings::kobj_attribute>,
    value: KBox<dyn Value>,
}

/// A sysfs directory.
///
/// # Invariants
///
/// `kobj` came from `kobject_create_and_add` and is put only on drop; every file of `files` was
/// added to it with `sysfs_create_file_ns` and is removed on drop, before `kobj` is put.
pub struct Dir {
    kobj: NonNull<bindings::kobject>,
    files: KVec<Pin<KBox<File>>>,
    children: KVec<Dir>,
}

// SAFETY: kobjects and sysfs files may be used and removed from any thread.
unsafe impl Send for Dir {}
// SAFETY: Shared references allow nothing but reading the pointer.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates directory `name` below the kobject `parent`.
    ///
    /// # Safety
    ///
    /// `parent` is a valid kobject whose directory outlives the returned `Dir`.
    pub unsafe fn new_raw(parent: *mut bindings::kobject, name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid string, copied by the callee; `parent` is valid (caller).
        let kobj = unsafe { bindings::kobject_create_and_add(name.as_char_ptr(), parent) };
        Ok(Self {
            kobj: NonNull::new(kobj).ok_or(ENOMEM)?,
            files: KVec::new(),
            children: KVec::new(),
        })
    }

    /// Creates subdirectory `name`; it goes with this directory.
    pub fn subdir(&mut self, name: &CStr) -> Result<&mut Dir> {
        // SAFETY: `self.kobj` is valid (type invariant) and outlives the child, which is dropped
        // first (`drop`).
        let child = unsafe { Dir::new_raw(self.kobj.as_ptr(), name) }?;
        self.children.push(child, GFP_KERNEL)?;
        let last = self.children.len() - 1;
        Ok(&mut self.children[last])
    }

    /// Adds file `name`, showing `value` (mode 0444), or showing and storing it (0644) if
    /// `writable`.
    pub fn add(&mut self, name: &'static CStr, writable: bool, value: KBox<dyn Value>) -> Result {
        let file = KBox::pin_init(
            pin_init!(File {
                attr: Opaque::zeroed(),
                value,
            }),
            GFP_KERNEL,
        )?;
        let attr = file.attr.get();
        // SAFETY: `attr` is valid, pinned and not yet shared; `name` is static. The callbacks
        // are the ones written for `File`.
        unsafe {
            (*attr).attr.name = name.as_char_ptr();
            (*attr).attr.mode = if writable { 0o644 } else { 0o444 };
            (*attr).__bindgen_anon_1.show = Some(show);
            if writable {
                (*attr).__bindgen_anon_2.store = Some(store);
            }
            bindings::sysfs_attr_init(&raw mut (*attr).attr);
        }
        self.files.reserve(1, GFP_KERNEL)?;
        // SAFETY: `self.kobj` is valid; the attribute lives until it is removed in `drop`.
        let ret = unsafe {
            bindings::sysfs_create_file_ns(self.kobj.as_ptr(), &raw const (*attr).attr, null())
        };
        to_result(ret)?;
        // INVARIANT: added above, so removed on drop. Room was reserved: this cannot fail.
        self.files.push(file, GFP_KERNEL)?;
        Ok(())
    }
}

fn null() -> *const bindings::ns_common {
    core::ptr::null()
}

impl Drop for Dir {
    fn drop(&mut self) {
        for f in self.files.iter() {
            // SAFETY: The file was added to `kobj` (type invariant); removing it waits for the
            // callbacks running on it.
            unsafe {
                bindings::sysfs_remove_file_ns(
                    self.kobj.as_ptr(),
                    &raw const (*f.attr.get()).attr,
                    null(),
                )
            };
        }
        self.children.clear();
        // SAFETY: Our reference, from `kobject_create_and_add` (type invariant).
        unsafe { bindings::kobject_put(self.kobj.as_ptr()) };
    }
}

/// Returns the file an attribute belongs to.
///
/// # Safety
///
/// `attr` is the `attr` field of a live [`File`].
unsafe fn file<'a>(attr: *mut bindings::kobj_attribute) -> &'a File {
    let attr = attr.cast::<Opaque<bindings::kobj_attribute>>();
    // SAFETY: Per the caller, `attr` is in a `File`, alive while sysfs calls back.
    unsafe { &*crate::container_of!(attr, File, attr) }
}

/// Shows a file's number.
///
/// # Safety
///
/// Called by sysfs with an attribute [`Dir::add`] registered and its page-sized buffer.
unsafe extern "C" fn show(
    _kobj: *mut bindings::kobject,
    attr: *mut bindings::kobj_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs calls back with the attribute `add` registered, which is in a `File` that
    // stays alive until the attribute is removed, which waits for this call.
    let value = unsafe { file(attr) }.value.get();
    // SAFETY: `buf` is sysfs's page-sized buffer; the format takes one `u64`.
    unsafe { bindings::sysfs_emit(buf, c"%llu\n".as_char_ptr(), value) as isize }
}

/// Stores a number written to a file.
///
/// # Safety
///
/// Called by sysfs with an attribute [`Dir::add`] registered and a NUL-terminated buffer.
unsafe extern "C" fn store(
    _kobj: *mut bindings::kobject,
    attr: *mut bindings::kobj_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    let mut value = 0u64;
    // SAFETY: sysfs passes a NUL-terminated copy of what was written.
    let ret = unsafe { bindings::kstrtoull(buf, 0, &mut value) };
    if ret != 0 {
        return ret as isize;
    }
    // SAFETY: As in `show`.
    match unsafe { file(attr) }.value.set(value) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
