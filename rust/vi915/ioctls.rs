// SPDX-License-Identifier: GPL-2.0

//! Commands of i915's ioctls.
//!
//! `DRM_IOCTL_I915_*` are C macros that `bindgen` cannot evaluate, so the ioctl table spells each
//! command out with these, as i915_drm.h does; the table macro checks every argument structure's
//! size against its command.

use kernel::{
    drm::ioctl,
    prelude::*,
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

#[kunit_tests(vi915_ioctls)]
mod tests {
    use super::*;
    use crate::driver::Vi915Driver;
    use kernel::{
        drm::Driver,
        ioctl::_IOC_NR, //
    };

    fn slot(nr: u32) -> &'static ioctl::DrmIoctlDescriptor {
        &Vi915Driver::IOCTLS[nr as usize]
    }

    #[test]
    fn table_is_indexed_by_number() {
        // The last i915 ioctl is GEM_CREATE_EXT (0x3c).
        assert_eq!(Vi915Driver::IOCTLS.len(), 0x3d);
        for (nr, desc) in Vi915Driver::IOCTLS.iter().enumerate() {
            if desc.func.is_some() {
                assert_eq!(
                    _IOC_NR(desc.cmd) as usize,
                    uapi::DRM_COMMAND_BASE as usize + nr
                );
            }
        }
    }

    #[test]
    fn holes_are_empty() {
        for nr in [0x10, 0x12] {
            assert!(slot(nr).func.is_none());
            assert_eq!(slot(nr).cmd, 0);
        }
    }

    #[test]
    fn commands_match_i915_drm_h() {
        let getparam = slot(uapi::DRM_I915_GETPARAM);
        assert_eq!(
            getparam.cmd,
            wr::<uapi::drm_i915_getparam>(uapi::DRM_I915_GETPARAM)
        );
        assert_eq!(getparam.cmd, 0xc010_6446);
        assert_eq!(getparam.flags, ioctl::RENDER_ALLOW);
        // DRM_IOCTL_I915_GEM_EXECBUFFER2_WR and DRM_IOCTL_I915_GEM_THROTTLE.
        assert_eq!(slot(uapi::DRM_I915_GEM_EXECBUFFER2_WR).cmd, 0xc040_6469);
        assert_eq!(slot(uapi::DRM_I915_GEM_THROTTLE).cmd, 0x6458);
        // MMAP_OFFSET took over MMAP_GTT's number with a larger structure.
        assert_eq!(slot(uapi::DRM_I915_GEM_MMAP_GTT).cmd, 0xc020_6464);
        assert_eq!(
            slot(uapi::DRM_I915_INIT).flags,
            ioctl::AUTH | ioctl::MASTER | ioctl::ROOT_ONLY
        );
    }
}
