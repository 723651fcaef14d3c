// SPDX-License-Identifier: GPL-2.0

//! Buffer sharing and synchronization: fences, fence chains, reservation objects and sync files.

pub mod fence;
pub mod fence_chain;
pub mod resv;
#[cfg(CONFIG_SYNC_FILE)]
pub mod sync_file;
