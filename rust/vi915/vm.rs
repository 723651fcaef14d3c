// SPDX-License-Identifier: GPL-2.0

//! Per-context GPU address spaces (full 48-bit PPGTT, as on Broadwell).
//!
//! An address space only records where each object is placed; it holds no reference to the
//! objects (an object is named by its id), so there is no reference cycle between address spaces
//! and objects. The engine never looks addresses up here: each request carries its own
//! translation, made from the placements when it was submitted, together with references to
//! the objects' pages.

use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
};

/// Size of an address space: 48 bits.
pub(crate) const VM_SIZE: u64 = 1 << 48;
/// The 32-bit zone for objects without `EXEC_OBJECT_SUPPORTS_48B_ADDRESS`.
pub(crate) const ZONE_4G: u64 = 1 << 32;
/// Lowest address the allocator hands out: keeps small (NULL-like) addresses unmapped.
const ALLOC_BASE: u64 = 1 << 20;

/// One placement.
#[derive(Clone, Copy)]
pub(crate) struct Node {
    /// First address.
    pub(crate) start: u64,
    /// One past the last address.
    pub(crate) end: u64,
    /// The object's id ([`crate::gem::Bo::id`]).
    pub(crate) id: u64,
}

/// The placements of an address space, sorted by address, never overlapping.
pub(crate) struct Nodes(KVec<Node>);

impl Nodes {
    /// Returns the placement of object `id`.
    pub(crate) fn find(&self, id: u64) -> Option<Node> {
        self.0.iter().find(|n| n.id == id).copied()
    }

    /// Removes the placement of object `id`, if any.
    pub(crate) fn remove(&mut self, id: u64) {
        self.0.retain(|n| n.id != id);
    }

    /// Returns the ids of the objects placed in `[start, end)`.
    pub(crate) fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = u64> + '_ {
        self.0
            .iter()
            .filter(move |n| n.start < end && start < n.end)
            .map(|n| n.id)
    }

    /// Places object `id` at `[start, end)`, which must be free.
    pub(crate) fn insert(&mut self, start: u64, end: u64, id: u64) -> Result {
        if self.overlapping(start, end).next().is_some() || end > VM_SIZE || start >= end {
            return Err(ENOSPC);
        }
        let at = self
            .0
            .iter()
            .position(|n| n.start > start)
            .unwrap_or(self.0.len());
        self.0.reserve(1, GFP_KERNEL)?;
        self.0
            .insert_within_capacity(at, Node { start, end, id })
            .map_err(|_| ENOMEM)
    }

    /// Finds a free range of `size` bytes aligned to `align` (a power of two) below `limit`.
    pub(crate) fn find_free(&self, size: u64, align: u64, limit: u64) -> Result<u64> {
        let mut candidate = ALLOC_BASE;
        for n in self.0.iter() {
            let start = candidate.checked_next_multiple_of(align).ok_or(ENOSPC)?;
            let end = start.checked_add(size).ok_or(ENOSPC)?;
            if end <= n.start {
                break;
            }
            candidate = candidate.max(n.end);
        }
        let start = candidate.checked_next_multiple_of(align).ok_or(ENOSPC)?;
        match start.checked_add(size) {
            Some(end) if end <= limit => Ok(start),
            _ => Err(ENOSPC),
        }
    }
}

/// A GPU address space.
#[pin_data]
pub(crate) struct Vm {
    #[pin]
    pub(crate) nodes: Mutex<Nodes>,
}

impl Vm {
    /// Creates an empty address space.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Vm {
                nodes <- new_mutex!(Nodes(KVec::new())),
            }),
            GFP_KERNEL,
        )
    }
}

#[kunit_tests(vi915_vm)]
mod tests {
    use super::*;

    #[test]
    fn placement() -> Result {
        let mut n = Nodes(KVec::new());
        let a = n.find_free(0x3000, 0x1000, VM_SIZE)?;
        assert_eq!(a, ALLOC_BASE);
        n.insert(a, a + 0x3000, 1)?;
        let b = n.find_free(0x1000, 0x10000, VM_SIZE)?;
        assert_eq!(b, ALLOC_BASE + 0x10000);
        n.insert(b, b + 0x1000, 2)?;
        // The hole between the two is used when it fits.
        let c = n.find_free(0x2000, 0x1000, VM_SIZE)?;
        assert_eq!(c, ALLOC_BASE + 0x3000);
        assert_eq!(n.insert(a + 0x1000, a + 0x2000, 3), Err(ENOSPC));
        assert_eq!(n.overlapping(a, b + 1).count(), 2);
        n.insert(0, 0x1000, 4)?;
        assert_eq!(n.find(4).map(|x| x.end), Some(0x1000));
        n.remove(1);
        assert!(n.find(1).is_none());
        assert_eq!(n.find_free(VM_SIZE, 0x1000, VM_SIZE), Err(ENOSPC));
        assert_eq!(n.find_free(0x1000, 0x1000, ALLOC_BASE), Err(ENOSPC));
        assert_eq!(n.insert(VM_SIZE - 0x1000, VM_SIZE + 0x1000, 5), Err(ENOSPC));
        Ok(())
    }
}
