// SPDX-License-Identifier: GPL-2.0

//! An in-place sort whose stack use does not depend on the input.
//!
//! `core`'s `sort_unstable` recurses, with frames that hold buffers of the element type: on a
//! user-sized slice of large elements that overflowed the 16 KiB kernel stack. Heapsort needs
//! neither recursion nor buffers, and is O(n log n) in the worst case.

use kernel::prelude::*;

/// Sorts `v` by `key`, ascending; equal keys end in no particular order.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    // Build a max-heap, then move its maximum to the end, one element at a time.
    for start in (0..v.len() / 2).rev() {
        sift_down(v, start, v.len(), &key);
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &key);
    }
}

/// Collects `items` and sorts them, ascending.
pub(crate) fn sorted<T: Ord + Copy>(items: impl ExactSizeIterator<Item = T>) -> Result<KVVec<T>> {
    let mut v = KVVec::with_capacity(items.len(), GFP_KERNEL)?;
    for x in items {
        v.push(x, GFP_KERNEL)?;
    }
    sort_by_key(&mut v, |x| *x);
    Ok(v)
}

/// Restores the heap property of `v[..end]` below `root`.
fn sift_down<T, K: Ord>(v: &mut [T], mut root: usize, end: usize, key: &impl Fn(&T) -> K) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && key(&v[child]) < key(&v[child + 1]) {
            child += 1;
        }
        if key(&v[root]) >= key(&v[child]) {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[kunit_tests(vi915_heapsort)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_sort_unstable() -> Result {
        for len in [0usize, 1, 2, 3, 10, 33, 1000] {
            let mut v = KVec::with_capacity(len, GFP_KERNEL)?;
            let mut want = KVec::with_capacity(len, GFP_KERNEL)?;
            // A scrambled sequence with repeats.
            for i in 0..len {
                v.push((i * 7919 + 13) % (len / 2 + 1), GFP_KERNEL)?;
                want.push((i * 7919 + 13) % (len / 2 + 1), GFP_KERNEL)?;
            }
            want.sort_unstable();
            sort_by_key(&mut v, |x| *x);
            assert_eq!(&v[..], &want[..]);
        }
        Ok(())
    }
}
