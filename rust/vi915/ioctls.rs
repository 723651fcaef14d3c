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
        drm::{
            ioctl::{
                AUTH,
                MASTER,
                RENDER_ALLOW,
                ROOT_ONLY, //
            },
            Driver,
        },
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

    /// i915's table (i915_driver.c) by number: each command as i915_drm.h spells it (computed
    /// from the header by a C compiler) and its flags.
    const I915_TABLE: [(u32, u32); 59] = [
        (0x4044_6440, AUTH | MASTER | ROOT_ONLY), // I915_INIT
        (0x0000_6441, AUTH),                      // I915_FLUSH
        (0x0000_6442, AUTH),                      // I915_FLIP
        (0x4020_6443, AUTH),                      // I915_BATCHBUFFER
        (0xc008_6444, AUTH),                      // I915_IRQ_EMIT
        (0x4004_6445, AUTH),                      // I915_IRQ_WAIT
        (0xc010_6446, RENDER_ALLOW),              // I915_GETPARAM
        (0x4008_6447, AUTH | MASTER | ROOT_ONLY), // I915_SETPARAM
        (0xc018_6448, AUTH),                      // I915_ALLOC
        (0x4008_6449, AUTH),                      // I915_FREE
        (0x400c_644a, AUTH | MASTER | ROOT_ONLY), // I915_INIT_HEAP
        (0x4020_644b, AUTH),                      // I915_CMDBUFFER
        (0x4004_644c, AUTH | MASTER | ROOT_ONLY), // I915_DESTROY_HEAP
        (0x4004_644d, AUTH | MASTER | ROOT_ONLY), // I915_SET_VBLANK_PIPE
        (0x8004_644e, AUTH),                      // I915_GET_VBLANK_PIPE
        (0xc00c_644f, AUTH),                      // I915_VBLANK_SWAP
        (0x4010_6451, AUTH | MASTER | ROOT_ONLY), // I915_HWS_ADDR
        (0x4010_6453, AUTH | MASTER | ROOT_ONLY), // I915_GEM_INIT
        (0x4028_6454, AUTH),                      // I915_GEM_EXECBUFFER
        (0xc018_6455, AUTH | ROOT_ONLY),          // I915_GEM_PIN
        (0x4008_6456, AUTH | ROOT_ONLY),          // I915_GEM_UNPIN
        (0xc008_6457, RENDER_ALLOW),              // I915_GEM_BUSY
        (0x0000_6458, RENDER_ALLOW),              // I915_GEM_THROTTLE
        (0x0000_6459, AUTH | MASTER | ROOT_ONLY), // I915_GEM_ENTERVT
        (0x0000_645a, AUTH | MASTER | ROOT_ONLY), // I915_GEM_LEAVEVT
        (0xc010_645b, RENDER_ALLOW),              // I915_GEM_CREATE
        (0x4020_645c, RENDER_ALLOW),              // I915_GEM_PREAD
        (0x4020_645d, RENDER_ALLOW),              // I915_GEM_PWRITE
        (0xc028_645e, RENDER_ALLOW),              // I915_GEM_MMAP
        (0x400c_645f, RENDER_ALLOW),              // I915_GEM_SET_DOMAIN
        (0x4004_6460, RENDER_ALLOW),              // I915_GEM_SW_FINISH
        (0xc010_6461, RENDER_ALLOW),              // I915_GEM_SET_TILING
        (0xc010_6462, RENDER_ALLOW),              // I915_GEM_GET_TILING
        (0x8010_6463, RENDER_ALLOW),              // I915_GEM_GET_APERTURE
        (0xc020_6464, RENDER_ALLOW),              // I915_GEM_MMAP_OFFSET
        (0xc008_6465, 0),                         // I915_GET_PIPE_FROM_CRTC_ID
        (0xc00c_6466, RENDER_ALLOW),              // I915_GEM_MADVISE
        (0x402c_6467, MASTER),                    // I915_OVERLAY_PUT_IMAGE
        (0xc02c_6468, MASTER),                    // I915_OVERLAY_ATTRS
        (0xc040_6469, RENDER_ALLOW),              // I915_GEM_EXECBUFFER2_WR
        (0xc014_646a, MASTER),                    // I915_GET_SPRITE_COLORKEY
        (0xc014_646b, MASTER),                    // I915_SET_SPRITE_COLORKEY
        (0xc010_646c, RENDER_ALLOW),              // I915_GEM_WAIT
        (0xc010_646d, RENDER_ALLOW),              // I915_GEM_CONTEXT_CREATE_EXT
        (0x4008_646e, RENDER_ALLOW),              // I915_GEM_CONTEXT_DESTROY
        (0x4008_646f, RENDER_ALLOW),              // I915_GEM_SET_CACHING
        (0xc008_6470, RENDER_ALLOW),              // I915_GEM_GET_CACHING
        (0xc010_6471, RENDER_ALLOW),              // I915_REG_READ
        (0xc018_6472, RENDER_ALLOW),              // I915_GET_RESET_STATS
        (0xc018_6473, RENDER_ALLOW),              // I915_GEM_USERPTR
        (0xc018_6474, RENDER_ALLOW),              // I915_GEM_CONTEXT_GETPARAM
        (0xc018_6475, RENDER_ALLOW),              // I915_GEM_CONTEXT_SETPARAM
        (0x4010_6476, RENDER_ALLOW),              // I915_PERF_OPEN
        (0x4048_6477, RENDER_ALLOW),              // I915_PERF_ADD_CONFIG
        (0x4008_6478, RENDER_ALLOW),              // I915_PERF_REMOVE_CONFIG
        (0xc010_6479, RENDER_ALLOW),              // I915_QUERY
        (0xc010_647a, RENDER_ALLOW),              // I915_GEM_VM_CREATE
        (0x4010_647b, RENDER_ALLOW),              // I915_GEM_VM_DESTROY
        (0xc018_647c, RENDER_ALLOW),              // I915_GEM_CREATE_EXT
    ];

    #[test]
    fn table_is_i915s() {
        let entries = Vi915Driver::IOCTLS
            .iter()
            .filter(|desc| desc.func.is_some());
        assert_eq!(entries.clone().count(), I915_TABLE.len());
        for (desc, &(cmd, flags)) in entries.zip(I915_TABLE.iter()) {
            assert_eq!(desc.cmd, cmd);
            assert_eq!(desc.flags, flags);
        }
    }
}
