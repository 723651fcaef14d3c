// SPDX-License-Identifier: GPL-2.0 OR MIT

//! DRM printers: where the DRM core and drivers print their reports.
//!
//! C header: [`include/drm/drm_print.h`](srctree/include/drm/drm_print.h)

use crate::{
    bindings,
    fmt, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// A `struct drm_printer` borrowed for `'a`: output to an fdinfo file, the kernel log or debugfs,
/// whichever the caller set it up for.
///
/// Writing goes through [`fmt::Write`], so `write!` and `writeln!` print to it.
///
/// # Invariants
///
/// `self.0` points to a valid, initialized `struct drm_printer` that nothing else uses for `'a`.
pub struct Printer<'a>(NonNull<bindings::drm_printer>, PhantomData<&'a mut ()>);

impl Printer<'_> {
    /// Creates a `Printer` from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid, initialized `struct drm_printer` that nothing else uses
    /// while the returned `Printer` lives.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: NonNull<bindings::drm_printer>) -> Printer<'a> {
        // INVARIANT: By the safety requirements.
        Printer(ptr, PhantomData)
    }
}

impl fmt::Write for Printer<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_fmt(format_args!("{s}"))
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        // SAFETY: The printer is valid (type invariant); `%pA` formats the `fmt::Arguments` the
        // pointer points to, which lives across the call.
        unsafe {
            bindings::drm_printf(
                self.0.as_ptr(),
                crate::str::as_char_ptr_in_const_context(c"%pA"),
                core::ptr::from_ref(&args).cast::<core::ffi::c_void>(),
            )
        };
        Ok(())
    }
}
