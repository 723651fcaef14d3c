// SPDX-License-Identifier: GPL-2.0

//! `I915_QUERY`: engines, memory regions and the slice/subslice/EU topology.

use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi, //
};

use crate::{
    engine_id::EngineId,
    file::{
        RegisteredDevice,
        Vi915DrmFile,
        Vi915File, //
    },
    params::topology::*,
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

/// The `TOPOLOGY_INFO` result, laid out as i915 lays it out: the header (flags, the most slices,
/// subslices and EUs, and where the subslice and EU masks start and how far apart they are), the
/// slice mask, each slice's subslice mask, then each subslice's EU mask.
fn topology() -> Result<KVec<u8>> {
    // One byte per mask: none of gen 8's counts exceeds eight.
    let subslice_offset = 1;
    let eu_offset = subslice_offset + MAX_SLICES;
    let header = [
        0,
        MAX_SLICES,
        MAX_SUBSLICES,
        MAX_EUS_PER_SUBSLICE,
        subslice_offset,
        1,
        eu_offset,
        1,
    ];
    let mut out = KVec::with_capacity(HEADER + eu_offset + MAX_SLICES * MAX_SUBSLICES, GFP_KERNEL)?;
    for field in header {
        out.extend_from_slice(&(field as u16).to_le_bytes(), GFP_KERNEL)?;
    }
    out.push(SLICE_MASK, GFP_KERNEL)?;
    let slice = |s: usize| SLICE_MASK & (1 << s) != 0;
    for s in 0..MAX_SLICES {
        out.push(if slice(s) { SUBSLICE_MASK } else { 0 }, GFP_KERNEL)?;
    }
    for s in 0..MAX_SLICES {
        for ss in 0..MAX_SUBSLICES {
            let present = slice(s) && SUBSLICE_MASK & (1 << ss) != 0;
            out.push(if present { EU_MASK } else { 0 }, GFP_KERNEL)?;
        }
    }
    Ok(out)
}

impl Vi915File {
    /// IOCTL: query: Answer each item; an item's error goes into its `length`.
    pub(crate) fn query(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_query,
        _file: &Vi915DrmFile,
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
            // As in i915, an item's error, a fault on its data included, is its answer.
            let ret = answer(&item).unwrap_or_else(|e| e.to_errno());
            if ret != item.length {
                let length = at + core::mem::offset_of!(uapi::drm_i915_query_item, length) as u64;
                user::write(length, &ret)?;
            }
        }
        Ok(0)
    }
}

/// Answers one item: the length written or needed, a negative errno, or an error to report as its
/// answer.
fn answer(item: &uapi::drm_i915_query_item) -> Result<i32> {
    // The result, and whether the caller's copy of its header must be zero (i915 does not check
    // the topology's).
    let (data, zero_header) = match item.query_id as u32 {
        uapi::DRM_I915_QUERY_ENGINE_INFO if item.flags == 0 => (engine_info()?, true),
        uapi::DRM_I915_QUERY_MEMORY_REGIONS if item.flags == 0 => (memory_regions()?, true),
        uapi::DRM_I915_QUERY_TOPOLOGY_INFO if item.flags == 0 => (topology()?, false),
        // No OA, hwconfig, geometry or GuC information on a gen-8 part.
        uapi::DRM_I915_QUERY_PERF_CONFIG
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
    let header: [u32; 4] = user::read(item.data_ptr)?;
    if zero_header && header.iter().any(|&h| h != 0) {
        return Ok(EINVAL.to_errno());
    }
    UserSlice::new(UserPtr::from_addr(item.data_ptr as usize), data.len())
        .writer()
        .write_slice(&data)?;
    Ok(needed)
}

#[kunit_tests(vi915_query)]
mod tests {
    use super::*;

    #[test]
    fn topology_is_read_back_as_the_getparam_totals() -> Result {
        let t = topology()?;
        let field = |i: usize| usize::from(u16::from_le_bytes([t[2 * i], t[2 * i + 1]]));
        let (slices, subslices, eus) = (field(1), field(2), field(3));
        let (ss_offset, ss_stride, eu_offset, eu_stride) = (field(4), field(5), field(6), field(7));
        let data = &t[HEADER..];
        assert_eq!(data.len(), eu_offset + slices * subslices * eu_stride);
        let bit = |at: usize, n: usize| data[at + n / 8] & (1 << (n % 8)) != 0;
        let (mut n_subslices, mut n_eus) = (0, 0);
        for s in (0..slices).filter(|&s| bit(0, s)) {
            for ss in (0..subslices).filter(|&ss| bit(ss_offset + s * ss_stride, ss)) {
                n_subslices += 1;
                let at = eu_offset + (s * subslices + ss) * eu_stride;
                n_eus += (0..eus).filter(|&eu| bit(at, eu)).count();
            }
        }
        assert_eq!(n_subslices, SUBSLICE_TOTAL as usize);
        assert_eq!(n_eus, EU_TOTAL as usize);
        Ok(())
    }
}
