// SPDX-License-Identifier: GPL-2.0

//! Sync files: a fence handed to userspace as a file descriptor.
//!
//! C header: [`include/linux/sync_file.h`](srctree/include/linux/sync_file.h)

use super::fence::Fence;
use crate::{
    fs::{
        file::FileDescriptorReservation,
        File, //
    },
    prelude::*,
    sync::aref::ARef,
};
use core::ptr::NonNull;

/// A sync file ready to be given a file descriptor.
///
/// Creating it may fail; installing it cannot, so it can be done once nothing else can fail.
pub struct SyncFile {
    file: ARef<File>,
    fd: FileDescriptorReservation,
}

impl SyncFile {
    /// Creates a sync file for `fence` and reserves a close-on-exec descriptor for it.
    pub fn new(fence: &Fence) -> Result<Self> {
        let fd = FileDescriptorReservation::get_unused_fd_flags(bindings::O_CLOEXEC)?;
        // SAFETY: `fence` is valid; `sync_file_create` takes its own reference.
        let sync_file = unsafe { bindings::sync_file_create(fence.as_raw()) };
        if sync_file.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `sync_file` is valid and its `file` holds the only reference, which we take
        // over: the file's release frees the sync file.
        let file = unsafe { (*sync_file).file };
        // SAFETY: `file` is a valid file whose reference we own (see above); the file is new, so
        // no `fdget_pos` user exists.
        let file = unsafe { ARef::from_raw(NonNull::new_unchecked(file.cast::<File>())) };
        Ok(Self { file, fd })
    }

    /// Returns the descriptor number [`SyncFile::install`] will install.
    pub fn fd(&self) -> u32 {
        self.fd.reserved_fd()
    }

    /// Installs the descriptor in the current task's table: userspace can now use it.
    pub fn install(self) -> u32 {
        let fd = self.fd.reserved_fd();
        self.fd.fd_install(self.file);
        fd
    }
}

/// Returns the fence of the sync file open as `fd` in the current task.
///
/// Fails with [`EINVAL`] if `fd` is not a sync file.
pub fn fence_from_fd(fd: i32) -> Result<ARef<Fence>> {
    // SAFETY: Always safe to call; returns a new reference or NULL.
    let fence = unsafe { bindings::sync_file_get_fence(fd) };
    let fence = NonNull::new(fence).ok_or(EINVAL)?;
    // SAFETY: `sync_file_get_fence` returned a reference we own.
    Ok(unsafe { Fence::from_raw_owned(fence) })
}

#[macros::kunit_tests(rust_sync_file)]
mod tests {
    use super::*;
    use crate::dma_buf::fence::{
        FenceAllocation,
        FenceContext,
        FenceNames, //
    };

    static NAMES: FenceNames = FenceNames {
        driver: c"kunit",
        timeline: c"kunit-sync-file",
    };

    #[test]
    fn round_trip() -> Result {
        let ctx = FenceContext::new(&NAMES);
        let f = FenceAllocation::new(GFP_KERNEL)?.init(&ctx);
        let sf = SyncFile::new(f.fence())?;
        let fd = sf.install();
        let back = fence_from_fd(fd as i32)?;
        assert_eq!(back.context(), ctx.context());
        assert_eq!(back.seqno(), f.fence().seqno());
        f.signal(None);
        assert!(back.is_signaled());
        // SAFETY: `fd` was installed above and is closed once.
        unsafe { bindings::close_fd(fd) };
        assert_eq!(fence_from_fd(fd as i32).err(), Some(EINVAL));
        assert_eq!(fence_from_fd(-1).err(), Some(EINVAL));
        Ok(())
    }
}
