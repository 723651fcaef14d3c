// SPDX-License-Identifier: GPL-2.0

//! Object statistics, shown in debugfs as `i915_gem_objects`.

use core::fmt;
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        Arc,
        SpinLock, //
    },
};

/// A number of objects and their bytes.
///
/// The bytes are counted in 128 bits: objects may be as large as `i64::MAX` bytes (i915's limit,
/// with pages allocated only when used), so a few of them overflow 64 bits, and `created` grows
/// with every object ever made. 128 bits cannot overflow: that would take 2^64 objects.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) objects: u64,
    pub(crate) bytes: u128,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.objects += 1;
        self.bytes += u128::from(bytes);
    }

    fn sub(&mut self, bytes: u64) {
        // Never below zero (type invariant of `Stats`); saturate rather than trust it blindly.
        self.objects = self.objects.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(u128::from(bytes));
    }
}

/// The device's object counts.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Objects alive now.
    pub(crate) allocated: Tally,
    /// Objects marked `DONTNEED` whose pages still exist (userptrs are never purgeable).
    pub(crate) purgeable: Tally,
    /// Objects created since the driver was loaded.
    pub(crate) created: Tally,
    /// Objects purged since the driver was loaded.
    pub(crate) purged: Tally,
}

/// The device's object counts, kept by the objects themselves.
///
/// # Invariants
///
/// Every tally that is subtracted from was added to first for the same object, so none wraps.
#[pin_data]
pub(crate) struct Stats {
    #[pin]
    counts: SpinLock<Counts>,
}

impl Stats {
    /// Creates all-zero statistics.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Stats {
                counts <- new_spinlock!(Counts::default()),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns a snapshot of the counts.
    pub(crate) fn counts(&self) -> Counts {
        *self.counts.lock()
    }

    /// An object of `bytes` was created.
    pub(crate) fn created(&self, bytes: u64) {
        let mut c = self.counts.lock();
        c.allocated.add(bytes);
        c.created.add(bytes);
    }

    /// An object of `bytes` was freed, purgeable or not.
    pub(crate) fn freed(&self, bytes: u64, purgeable: bool) {
        let mut c = self.counts.lock();
        c.allocated.sub(bytes);
        if purgeable {
            c.purgeable.sub(bytes);
        }
    }

    /// An object of `bytes` became purgeable (`true`) or stopped being so (`false`).
    pub(crate) fn purgeable(&self, bytes: u64, purgeable: bool) {
        let mut c = self.counts.lock();
        if purgeable {
            c.purgeable.add(bytes);
        } else {
            c.purgeable.sub(bytes);
        }
    }

    /// A purgeable object of `bytes` was purged.
    pub(crate) fn purged(&self, bytes: u64) {
        let mut c = self.counts.lock();
        c.purgeable.sub(bytes);
        c.purged.add(bytes);
    }
}

impl fmt::Display for Counts {
    /// First i915's line, `N objects, B bytes` for the allocated objects (IGT reads it with
    /// `"%i objects"`), then one `name objects bytes` line per tally.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} objects, {} bytes",
            self.allocated.objects, self.allocated.bytes
        )?;
        for (name, t) in [
            ("allocated", self.allocated),
            ("purgeable", self.purgeable),
            ("created", self.created),
            ("purged", self.purged),
        ] {
            writeln!(f, "{name} {} {}", t.objects, t.bytes)?;
        }
        Ok(())
    }
}

#[kunit_tests(vi915_stats)]
mod tests {
    use super::*;

    #[test]
    fn tallies_count_past_64_bits() {
        // Two userptrs of 2^47 bytes, 2^16 times over, or a few RAM-sized objects many times.
        let mut t = Tally::default();
        for _ in 0..3 {
            t.add(1 << 63);
        }
        assert_eq!(t.bytes, 3 << 63);
        t.sub(1 << 63);
        assert_eq!(
            t,
            Tally {
                objects: 2,
                bytes: 2 << 63
            }
        );
    }
}
