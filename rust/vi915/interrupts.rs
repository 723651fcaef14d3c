// SPDX-License-Identifier: GPL-2.0

//! Interruptible waits: where a signal may end an ioctl early.
//!
//! Every wait of the driver that a signal interrupts goes through [`Interrupts::wait`], which
//! counts the interruptions per site (debugfs `vi915_interrupts`) and, for fault injection,
//! interrupts every Nth wait itself (debugfs `vi915_interrupt_every`): the task then sees a
//! signal pending, the wait fails with `ERESTARTSYS` without waiting, and the system call is
//! restarted on its way back to userspace, so that every error path of an interrupted wait runs
//! under an unmodified client.

use core::fmt;
use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// The driver's interruptible waits.
#[derive(Clone, Copy)]
pub(crate) enum Site {
    /// For a place in a timeline's ring (execbuffer).
    Ring,
    /// For a relocated object to be idle (execbuffer).
    Relocation,
    /// `GEM_WAIT`.
    GemWait,
    /// `GEM_SET_DOMAIN`.
    SetDomain,
    /// `GEM_PREAD` and `GEM_PWRITE`.
    ReadWrite,
    /// `GEM_SET_CACHING`.
    SetCaching,
}

impl Site {
    /// Every site, in the order debugfs lists them.
    const ALL: [Site; 6] = [
        Site::Ring,
        Site::Relocation,
        Site::GemWait,
        Site::SetDomain,
        Site::ReadWrite,
        Site::SetCaching,
    ];

    /// The site's name in debugfs.
    fn name(self) -> &'static str {
        match self {
            Site::Ring => "ring",
            Site::Relocation => "relocation",
            Site::GemWait => "gem_wait",
            Site::SetDomain => "set_domain",
            Site::ReadWrite => "pread_pwrite",
            Site::SetCaching => "set_caching",
        }
    }
}

/// The device's interruptible waits: counts and the injection knob.
pub(crate) struct Interrupts {
    /// Waits a signal interrupted, by [`Site`].
    interrupted: [Atomic<u64>; Site::ALL.len()],
    /// Waits interrupted by injection, by [`Site`].
    injected: [Atomic<u64>; Site::ALL.len()],
    /// Interrupt every this-many waits; 0 injects nothing.
    pub(crate) every: Atomic<u32>,
    /// Waits since the last injection.
    since: Atomic<u32>,
}

impl Interrupts {
    /// No wait counted, nothing injected.
    pub(crate) fn new() -> Self {
        Self {
            interrupted: [const { Atomic::new(0) }; Site::ALL.len()],
            injected: [const { Atomic::new(0) }; Site::ALL.len()],
            every: Atomic::new(0),
            since: Atomic::new(0),
        }
    }

    /// Whether this wait is the one in `every` to interrupt.
    fn inject(&self) -> bool {
        let every = self.every.load(Relaxed);
        if every == 0 {
            return false;
        }
        // Approximate under concurrent waits, which is all injection needs.
        let n = self.since.fetch_add(1, Relaxed).wrapping_add(1);
        if n < every {
            return false;
        }
        self.since.store(0, Relaxed);
        true
    }

    /// Runs `wait`, an interruptible wait at `site`, and counts it if a signal interrupted it
    /// (`EINTR` or `ERESTARTSYS`); or, if the knob says so, interrupts it instead, as a signal
    /// would, with the system call restarted.
    pub(crate) fn wait<T>(&self, site: Site, wait: impl FnOnce() -> Result<T>) -> Result<T> {
        let i = site as usize;
        if self.inject() {
            self.injected[i].fetch_add(1, Relaxed);
            kernel::current!().set_notify_signal();
            return Err(ERESTARTSYS);
        }
        let result = wait();
        if matches!(&result, Err(e) if *e == EINTR || *e == ERESTARTSYS) {
            self.interrupted[i].fetch_add(1, Relaxed);
        }
        result
    }
}

impl fmt::Display for Interrupts {
    /// One line a site: its name, the waits a signal interrupted, those injection did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for site in Site::ALL {
            let i = site as usize;
            writeln!(
                f,
                "{}: {} interrupted, {} injected",
                site.name(),
                self.interrupted[i].load(Relaxed),
                self.injected[i].load(Relaxed)
            )?;
        }
        Ok(())
    }
}
