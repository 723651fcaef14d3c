// SPDX-License-Identifier: GPL-2.0

//! Commands of i915's ioctls.
//!
//! `DRM_IOCTL_I915_*` are C macros that `bindgen` cannot evaluate, so the ioctl table spells each
//! command out with these, as i915_drm.h does; the table macro checks every argument structure's
//! size against its command.

use kernel::{
    drm::ioctl,
    uapi, //
};

/// The command of a `DRM_IO` ioctl: no argument.
#[inline(always)]
pub(crate) const fn none(nr: u32) -> u32 {
    ioctl::IO(uapi::DRM_COMMAND_BASE + nr)
}

/// The command of a `DRM_IOR` ioctl: the kernel writes a `T`.
#[inline(always)]
pub(crate) const fn r<T>(nr: u32) -> u32 {
    ioctl::IOR::<T>(uapi::DRM_COMMAND_BASE + nr)
}

/// The command of a `DRM_IOW` ioctl: the kernel reads a `T`.
#[inline(always)]
pub(crate) const fn w<T>(nr: u32) -> u32 {
    ioctl::IOW::<T>(uapi::DRM_COMMAND_BASE + nr)
}

/// The command of a `DRM_IOWR` ioctl: the kernel reads and writes a `T`.
#[inline(always)]
pub(crate) const fn wr<T>(nr: u32) -> u32 {
    ioctl::IOWR::<T>(uapi::DRM_COMMAND_BASE + nr)
}
