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

/// The placements of an address space.
///
/// # Invariants
///
/// `by_start` is sorted by address and its ranges never overlap (so their ends are sorted too);
/// `by_id` has exactly one entry per placement, its object's id and start, sorted by id.
pub(crate) struct Nodes {
    by_start: KVec<Node>,
    by_id: KVec<(u64, u64)>,
}

impl Nodes {
    /// Creates an empty set.
    pub(crate) fn new() -> Self {
        // INVARIANT: Both are empty.
        Self {
            by_start: KVec::new(),
            by_id: KVec::new(),
        }
    }

    /// Finds object `id`'s entry in `by_id`, or where it would go.
    fn id_index(&self, id: u64) -> core::result::Result<usize, usize> {
        self.by_id.binary_search_by_key(&id, |&(i, _)| i)
    }

    /// Finds the placement that starts at `start`.
    fn start_index(&self, start: u64) -> Option<usize> {
        self.by_start.binary_search_by_key(&start, |n| n.start).ok()
    }

    /// Returns the placement of object `id`.
    pub(crate) fn find(&self, id: u64) -> Option<Node> {
        let (_, start) = self.by_id[self.id_index(id).ok()?];
        self.start_index(start).map(|i| self.by_start[i])
    }

    /// Removes the placement of object `id`, if any.
    pub(crate) fn remove(&mut self, id: u64) {
        let Ok(at) = self.id_index(id) else {
            return;
        };
        if let Ok((_, start)) = self.by_id.remove(at) {
            if let Some(i) = self.start_index(start) {
                // INVARIANT: Both entries of the placement go.
                let _ = self.by_start.remove(i);
            }
        }
    }

    /// Returns the ids of the objects placed in `[start, end)`.
    pub(crate) fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = u64> + '_ {
        // The first placement that ends after `start`; the ends are sorted by the invariant.
        let first = self.by_start.partition_point(|n| n.end <= start);
        self.by_start[first..]
            .iter()
            .take_while(move |n| n.start < end)
            .map(|n| n.id)
    }

    /// Places object `id`, which has no placement, at `[start, end)`, which must be free.
    pub(crate) fn insert(&mut self, start: u64, end: u64, id: u64) -> Result {
        if self.overlapping(start, end).next().is_some() || end > VM_SIZE || start >= end {
            return Err(ENOSPC);
        }
        let at_id = self.id_index(id).err().ok_or(EEXIST)?;
        let at = self.by_start.partition_point(|n| n.start < start);
        // Room in both first: a failure changes nothing.
        self.by_start.reserve(1, GFP_KERNEL)?;
        self.by_id.reserve(1, GFP_KERNEL)?;
        // INVARIANT: `at` keeps `by_start` sorted, and the range overlaps no other; `at_id` keeps
        // `by_id` sorted.
        self.by_start
            .insert_within_capacity(at, Node { start, end, id })
            .map_err(|_| ENOMEM)?;
        self.by_id
            .insert_within_capacity(at_id, (id, start))
            .map_err(|_| ENOMEM)
    }

    /// Finds a free range of `size` bytes aligned to `align` (a power of two) below `limit`.
    pub(crate) fn find_free(&self, size: u64, align: u64, limit: u64) -> Result<u64> {
        let mut candidate = ALLOC_BASE;
        for n in self.by_start.iter() {
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
                nodes <- new_mutex!(Nodes::new()),
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
        let mut n = Nodes::new();
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
        // Found by id and by address through removals; one placement per object.
        n.insert(0x100_0000, 0x100_1000, 6)?;
        assert_eq!(n.insert(0x200_0000, 0x200_1000, 6), Err(EEXIST));
        n.remove(4);
        n.remove(4);
        assert_eq!(n.find(6).map(|x| x.start), Some(0x100_0000));
        assert_eq!(n.find(2).map(|x| x.start), Some(b));
        assert_eq!(n.overlapping(0, b).count(), 0);
        assert_eq!(n.overlapping(b + 0xfff, 0x100_0001).count(), 2);
        assert_eq!(n.overlapping(b + 0x1000, 0x100_0000).count(), 0);
        Ok(())
    }
}
