// SPDX-License-Identifier: GPL-2.0

//! `I915_QUERY`: engine and memory-region topology.

use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi, //
};

use crate::{
    engine::EngineId,
    file::{
        Device,
        File,
        Vi915File, //
    },
    user,
};

/// Size of a query result's header (`num_*` and three reserved dwords).
const HEADER: usize = 16;
/// Size of one `drm_i915_engine_info`.
const ENGINE_INFO: usize = 56;
/// Size of one `drm_i915_memory_region_info`.
const REGION_INFO: usize = 88;
/// `I915_ENGINE_INFO_HAS_LOGICAL_INSTANCE`.
const HAS_LOGICAL_INSTANCE: u64 = 1;

/// Builds a result: the header with `count` and the records `records` writes.
fn result(count: u32, records: &[u8]) -> Result<KVec<u8>> {
    let mut out = KVec::with_capacity(HEADER + records.len(), GFP_KERNEL)?;
    out.extend_from_slice(&count.to_le_bytes(), GFP_KERNEL)?;
    out.extend_from_slice(&[0; 12], GFP_KERNEL)?;
    out.extend_from_slice(records, GFP_KERNEL)?;
    Ok(out)
}

/// The `ENGINE_INFO` result.
fn engine_info() -> Result<KVec<u8>> {
    let mut records = KVec::new();
    for e in EngineId::ALL {
        let mut r = [0u8; ENGINE_INFO];
        r[0..2].copy_from_slice(&e.class().to_le_bytes());
        r[2..4].copy_from_slice(&e.instance().to_le_bytes());
        r[8..16].copy_from_slice(&HAS_LOGICAL_INSTANCE.to_le_bytes());
        r[24..26].copy_from_slice(&e.instance().to_le_bytes());
        records.extend_from_slice(&r, GFP_KERNEL)?;
    }
    result(EngineId::ALL.len() as u32, &records)
}

/// The `MEMORY_REGIONS` result: system memory, all of RAM, as i915 reports it.
fn memory_regions() -> Result<KVec<u8>> {
    let ram = kernel::mm::total_ram_bytes();
    let mut r = [0u8; REGION_INFO];
    // Class SYSTEM (0), instance 0.
    for at in [8, 16, 24, 32] {
        // probed, unallocated, probed CPU-visible, unallocated CPU-visible.
        r[at..at + 8].copy_from_slice(&ram.to_le_bytes());
    }
    result(1, &r)
}

impl Vi915File {
    /// IOCTL: query: Answer each item; an item's error goes into its `length`.
    pub(crate) fn query(
        _dev: &Device,
        _reg: &(),
        args: &mut uapi::drm_i915_query,
        _file: &File,
    ) -> Result<u32> {
        if args.flags != 0 {
            return Err(EINVAL);
        }
        let item_size = size_of::<uapi::drm_i915_query_item>() as u64;
        for i in 0..u64::from(args.num_items) {
            let at = args.items_ptr.checked_add(i * item_size).ok_or(EFAULT)?;
            let item: uapi::drm_i915_query_item = user::read(at)?;
            if item.query_id == 0 {
                return Err(EINVAL);
            }
            let ret = answer(&item)?;
            if ret != item.length {
                let length = at + core::mem::offset_of!(uapi::drm_i915_query_item, length) as u64;
                user::write(length, &ret)?;
            }
        }
        Ok(0)
    }
}

/// Answers one item: the length written or needed, or a negative errno.
fn answer(item: &uapi::drm_i915_query_item) -> Result<i32> {
    let data = match item.query_id as u32 {
        uapi::DRM_I915_QUERY_ENGINE_INFO if item.flags == 0 => engine_info()?,
        uapi::DRM_I915_QUERY_MEMORY_REGIONS if item.flags == 0 => memory_regions()?,
        // No topology, OA, hwconfig, geometry or GuC information on a software engine.
        uapi::DRM_I915_QUERY_TOPOLOGY_INFO
        | uapi::DRM_I915_QUERY_PERF_CONFIG
        | uapi::DRM_I915_QUERY_HWCONFIG_BLOB
        | uapi::DRM_I915_QUERY_GEOMETRY_SUBSLICES
        | uapi::DRM_I915_QUERY_GUC_SUBMISSION_VERSION
            if item.query_id <= 7 =>
        {
            return Ok(ENODEV.to_errno())
        }
        _ => return Ok(EINVAL.to_errno()),
    };
    let needed = data.len() as i32;
    if item.length == 0 {
        return Ok(needed);
    }
    // i915 compares as unsigned: a negative length passes.
    if (item.length as u32) < needed as u32 {
        return Ok(EINVAL.to_errno());
    }
    // The caller's header must be zero.
    let header: [u32; 4] = [
        user::read(item.data_ptr)?,
        user::read(item.data_ptr + 4)?,
        user::read(item.data_ptr + 8)?,
        user::read(item.data_ptr + 12)?,
    ];
    if header.iter().any(|&h| h != 0) {
        return Ok(EINVAL.to_errno());
    }
    UserSlice::new(UserPtr::from_addr(item.data_ptr as usize), data.len())
        .writer()
        .write_slice(&data)?;
    Ok(needed)
}
