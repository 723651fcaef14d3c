// SPDX-License-Identifier: GPL-2.0

//! The engines vi915 has, and how the uAPI names them.

use kernel::{
    dma_buf::fence::FenceNames,
    uapi, //
};

/// The engines vi915 has, in i915's uAPI order (class, then instance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EngineId {
    /// The render engine.
    Rcs0,
    /// The blitter.
    Bcs0,
}

impl EngineId {
    /// Every engine.
    pub(crate) const ALL: [EngineId; 2] = [EngineId::Rcs0, EngineId::Bcs0];

    /// The engine's uAPI class.
    pub(crate) fn class(self) -> u16 {
        (match self {
            EngineId::Rcs0 => uapi::drm_i915_gem_engine_class_I915_ENGINE_CLASS_RENDER,
            EngineId::Bcs0 => uapi::drm_i915_gem_engine_class_I915_ENGINE_CLASS_COPY,
        }) as u16
    }

    /// Where the engine's registers start, as on gen 8 (IGT's table of them, used when sysfs
    /// has no `mmio_base`).
    pub(crate) fn mmio_base(self) -> u32 {
        match self {
            EngineId::Rcs0 => 0x2000,
            EngineId::Bcs0 => 0x22000,
        }
    }

    /// The name of the engine's class in fdinfo (`drm-engine-<name>`), as i915 has it.
    pub(crate) fn class_name(self) -> &'static str {
        match self {
            EngineId::Rcs0 => "render",
            EngineId::Bcs0 => "copy",
        }
    }

    /// The engine's instance within its class.
    pub(crate) fn instance(self) -> u16 {
        0
    }

    /// Index into [`EngineId::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Finds an engine by uAPI class and instance.
    pub(crate) fn from_class_instance(class: u16, instance: u16) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.class() == class && e.instance() == instance)
    }

    /// The names of the engine's fences, shared by all its timelines.
    pub(crate) fn names(self) -> &'static FenceNames {
        static RCS0: FenceNames = FenceNames {
            driver: c"vi915",
            timeline: c"rcs0",
        };
        static BCS0: FenceNames = FenceNames {
            driver: c"vi915",
            timeline: c"bcs0",
        };
        match self {
            EngineId::Rcs0 => &RCS0,
            EngineId::Bcs0 => &BCS0,
        }
    }
}
