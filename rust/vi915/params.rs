// SPDX-License-Identifier: GPL-2.0

//! `I915_GETPARAM` answers and i915's tunables (`i915_params`).
//!
//! vi915 presents itself as a gen-8 Broadwell GT2 (PCI id 0x1616): IGT then builds the same
//! batches as for every gen 8 to 12.0 part, and on gen 8 i915 has no command parser, so
//! `CMD_PARSER_VERSION` 0 is the real answer. Facts about that part are answered as i915 answers
//! them. A parameter that advertises a uAPI feature reads 0 until vi915 implements the feature,
//! so userspace never takes a path that is not there.

use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    uapi, //
};

/// The PCI device id reported by `I915_PARAM_CHIPSET_ID`: Broadwell ULT GT2.
pub(crate) const CHIPSET_ID: i32 = 0x1616;

/// The slices, subslices and EUs a Broadwell GT2 has, as i915 reads them from its fuses: one slice
/// of three subslices of eight EUs, out of gen 8's most (three slices of three subslices of eight).
pub(crate) mod topology {
    /// Most slices of a gen-8 part.
    pub(crate) const MAX_SLICES: usize = 3;
    /// Most subslices of a slice.
    pub(crate) const MAX_SUBSLICES: usize = 3;
    /// Most EUs of a subslice.
    pub(crate) const MAX_EUS_PER_SUBSLICE: usize = 8;
    /// The slices present.
    pub(crate) const SLICE_MASK: u8 = 0x1;
    /// The subslices present in each present slice.
    pub(crate) const SUBSLICE_MASK: u8 = 0x7;
    /// The EUs present in each present subslice.
    pub(crate) const EU_MASK: u8 = 0xff;
    /// Subslices present in all.
    pub(crate) const SUBSLICE_TOTAL: u32 = SLICE_MASK.count_ones() * SUBSLICE_MASK.count_ones();
    /// EUs present in all.
    pub(crate) const EU_TOTAL: u32 = SUBSLICE_TOTAL * EU_MASK.count_ones();
}

/// i915's tunables that IGT reads and writes through debugfs `i915_params/`.
///
/// They start with i915's defaults; the engine reads them to decide whether to cancel requests
/// that run too long.
pub(crate) struct Params {
    /// GPU reset mode: 0 off, 1 full reset, 2 or more engine reset (i915's default is 3).
    pub(crate) reset: Atomic<u32>,
    /// Whether hung requests are detected and cancelled.
    pub(crate) enable_hangcheck: Atomic<bool>,
}

impl Params {
    /// Whether hung requests are detected and cancelled.
    pub(crate) fn hangcheck(&self) -> bool {
        self.enable_hangcheck.load(Relaxed)
    }

    /// Whether a hung request may be reset (i915's `reset` is not 0).
    pub(crate) fn resets(&self) -> bool {
        self.reset.load(Relaxed) != 0
    }

    /// i915's defaults.
    pub(crate) fn new() -> Self {
        Self {
            reset: Atomic::new(3),
            enable_hangcheck: Atomic::new(true),
        }
    }
}

/// Answers `I915_GETPARAM` for `param`, or i915's errno for it.
pub(crate) fn getparam(params: &Params, param: i32) -> Result<i32> {
    let Ok(param) = u32::try_from(param) else {
        return Err(EINVAL);
    };
    let value = match param {
        // Parameters of the old user-mode-setting interface.
        uapi::I915_PARAM_IRQ_ACTIVE
        | uapi::I915_PARAM_ALLOW_BATCHBUFFER
        | uapi::I915_PARAM_LAST_DISPATCH
        | uapi::I915_PARAM_HAS_EXEC_CONSTANTS => return Err(ENODEV),
        uapi::I915_PARAM_CHIPSET_ID => CHIPSET_ID,
        uapi::I915_PARAM_REVISION => 0,
        uapi::I915_PARAM_HAS_GEM => 1,
        uapi::I915_PARAM_HAS_LLC => 1,
        uapi::I915_PARAM_HAS_WT => 0,
        uapi::I915_PARAM_HAS_OVERLAY => 0,
        uapi::I915_PARAM_CMD_PARSER_VERSION => 0,
        uapi::I915_PARAM_HAS_RESOURCE_STREAMER => 0,
        uapi::I915_PARAM_HAS_POOLED_EU => 0,
        uapi::I915_PARAM_MIN_EU_IN_POOL => 0,
        uapi::I915_PARAM_HAS_CONTEXT_ISOLATION => 0,
        // Without GuC SLPC, i915 answers this one with EINVAL as its value.
        uapi::I915_PARAM_HAS_CONTEXT_FREQ_HINT => EINVAL.to_errno(),
        // Broadwell's command streamer and OA timestamps tick at 12.5 MHz; i915's perf
        // interface is at revision 7 whether or not the OA unit is usable.
        uapi::I915_PARAM_CS_TIMESTAMP_FREQUENCY | uapi::I915_PARAM_OA_TIMESTAMP_FREQUENCY => {
            12_500_000
        }
        uapi::I915_PARAM_PERF_REVISION => 7,
        uapi::I915_PARAM_SUBSLICE_TOTAL => topology::SUBSLICE_TOTAL as i32,
        uapi::I915_PARAM_EU_TOTAL => topology::EU_TOTAL as i32,
        uapi::I915_PARAM_SLICE_MASK => topology::SLICE_MASK.into(),
        uapi::I915_PARAM_SUBSLICE_MASK => topology::SUBSLICE_MASK.into(),
        // No HuC or PXP on a gen-8 part; i915 answers ENODEV where the hardware lacks them.
        uapi::I915_PARAM_HUC_STATUS | uapi::I915_PARAM_PXP_STATUS => return Err(ENODEV),
        // What the GEM/execbuffer implementation provides, as i915 reports it on gen 8.
        uapi::I915_PARAM_HAS_EXECBUF2
        | uapi::I915_PARAM_HAS_BLT
        | uapi::I915_PARAM_HAS_RELAXED_FENCING
        | uapi::I915_PARAM_HAS_COHERENT_RINGS
        | uapi::I915_PARAM_HAS_RELAXED_DELTA
        | uapi::I915_PARAM_HAS_WAIT_TIMEOUT
        | uapi::I915_PARAM_HAS_PRIME_VMAP_FLUSH
        | uapi::I915_PARAM_HAS_PINNED_BATCHES
        | uapi::I915_PARAM_HAS_EXEC_NO_RELOC
        | uapi::I915_PARAM_HAS_EXEC_HANDLE_LUT
        | uapi::I915_PARAM_HAS_COHERENT_PHYS_GTT
        | uapi::I915_PARAM_HAS_EXEC_SOFTPIN
        | uapi::I915_PARAM_HAS_EXEC_ASYNC
        | uapi::I915_PARAM_HAS_EXEC_FENCE
        | uapi::I915_PARAM_HAS_EXEC_CAPTURE
        | uapi::I915_PARAM_HAS_EXEC_BATCH_FIRST
        | uapi::I915_PARAM_HAS_EXEC_FENCE_ARRAY
        | uapi::I915_PARAM_HAS_EXEC_TIMELINE_FENCES
        | uapi::I915_PARAM_HAS_USERPTR_PROBE => 1,
        // Full 48-bit per-context address spaces.
        uapi::I915_PARAM_HAS_ALIASING_PPGTT => 2,
        // Tiling is bookkeeping only, but i915 refuses SET_TILING without fences.
        uapi::I915_PARAM_NUM_FENCES_AVAIL => 32,
        // Partial mappings through MMAP_OFFSET; no GTT (aperture) mapping.
        uapi::I915_PARAM_MMAP_GTT_VERSION => 5,
        // The legacy CPU mmap ioctl, with I915_MMAP_WC.
        uapi::I915_PARAM_MMAP_VERSION => 1,
        // Requests can be cancelled one by one: "engine reset", when hang detection is on.
        uapi::I915_PARAM_HAS_GPU_RESET => {
            let reset = params.reset.load(Relaxed);
            if !params.hangcheck() || reset == 0 {
                0
            } else if reset == 1 {
                1
            } else {
                2
            }
        }
        // The scheduler orders by priority and preempts at arbitration points (and timeslices
        // there, which has no bit of its own). No busy statistics. Batches may wait on
        // semaphores (`MI_SEMAPHORE_WAIT`), but SEMAPHORES also tells IGT that submit fences
        // work (its gem_exec_fence@submit does not check HAS_EXEC_SUBMIT_FENCE), and they do
        // not yet: a submit fence is waited for until it signals.
        uapi::I915_PARAM_HAS_SCHEDULER => {
            (uapi::I915_SCHEDULER_CAP_ENABLED
                | uapi::I915_SCHEDULER_CAP_PRIORITY
                | uapi::I915_SCHEDULER_CAP_PREEMPTION) as i32
        }
        // Not implemented (so not advertised): video engines, semaphores between engines,
        // SOL reset (gen 7), submit fences, a GTT aperture, secure batches.
        uapi::I915_PARAM_HAS_PAGEFLIPPING
        | uapi::I915_PARAM_HAS_BSD
        | uapi::I915_PARAM_HAS_BSD2
        | uapi::I915_PARAM_HAS_VEBOX
        | uapi::I915_PARAM_HAS_SEMAPHORES
        | uapi::I915_PARAM_HAS_GEN7_SOL_RESET
        | uapi::I915_PARAM_HAS_EXEC_SUBMIT_FENCE
        | uapi::I915_PARAM_MMAP_GTT_COHERENT
        | uapi::I915_PARAM_HAS_SECURE_BATCHES => 0,
        _ => return Err(EINVAL),
    };
    Ok(value)
}

#[kunit_tests(vi915_params)]
mod tests {
    use super::*;

    fn param(p: u32) -> Result<i32> {
        getparam(&Params::new(), p as i32)
    }

    #[test]
    fn chipset_is_broadwell_gt2() -> Result {
        assert_eq!(param(uapi::I915_PARAM_CHIPSET_ID)?, 0x1616);
        assert_eq!(param(uapi::I915_PARAM_HAS_LLC)?, 1);
        assert_eq!(param(uapi::I915_PARAM_CMD_PARSER_VERSION)?, 0);
        assert_eq!(param(uapi::I915_PARAM_CS_TIMESTAMP_FREQUENCY)?, 12_500_000);
        assert_eq!(param(uapi::I915_PARAM_PERF_REVISION)?, 7);
        assert_eq!(param(uapi::I915_PARAM_SLICE_MASK)?, 0x1);
        assert_eq!(param(uapi::I915_PARAM_SUBSLICE_MASK)?, 0x7);
        assert_eq!(param(uapi::I915_PARAM_SUBSLICE_TOTAL)?, 3);
        assert_eq!(param(uapi::I915_PARAM_EU_TOTAL)?, 24);
        Ok(())
    }

    #[test]
    fn features() -> Result {
        assert_eq!(param(uapi::I915_PARAM_HAS_EXECBUF2)?, 1);
        assert_eq!(param(uapi::I915_PARAM_HAS_EXEC_SOFTPIN)?, 1);
        assert_eq!(param(uapi::I915_PARAM_MMAP_GTT_VERSION)?, 5);
        assert_eq!(param(uapi::I915_PARAM_MMAP_VERSION)?, 1);
        assert_eq!(param(uapi::I915_PARAM_HAS_USERPTR_PROBE)?, 1);
        assert_eq!(param(uapi::I915_PARAM_HAS_EXEC_FENCE_ARRAY)?, 1);
        assert_eq!(param(uapi::I915_PARAM_HAS_EXEC_TIMELINE_FENCES)?, 1);
        Ok(())
    }

    #[test]
    fn gpu_reset_follows_the_tunables() -> Result {
        let p = Params::new();
        assert_eq!(getparam(&p, uapi::I915_PARAM_HAS_GPU_RESET as i32)?, 2);
        p.reset.store(1, Relaxed);
        assert_eq!(getparam(&p, uapi::I915_PARAM_HAS_GPU_RESET as i32)?, 1);
        p.enable_hangcheck.store(false, Relaxed);
        assert_eq!(getparam(&p, uapi::I915_PARAM_HAS_GPU_RESET as i32)?, 0);
        Ok(())
    }

    #[test]
    fn errnos_match_i915() {
        let p = Params::new();
        assert_eq!(getparam(&p, -1), Err(EINVAL));
        assert_eq!(getparam(&p, 0), Err(EINVAL));
        assert_eq!(getparam(&p, 10_000), Err(EINVAL));
        assert_eq!(param(uapi::I915_PARAM_IRQ_ACTIVE), Err(ENODEV));
        assert_eq!(param(uapi::I915_PARAM_HUC_STATUS), Err(ENODEV));
        assert_eq!(param(uapi::I915_PARAM_HAS_CONTEXT_FREQ_HINT), Ok(-22));
    }
}
