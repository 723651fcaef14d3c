// SPDX-License-Identifier: GPL-2.0

//! The i915 debugfs files IGT uses, in the DRM device's debugfs directory
//! (`/sys/kernel/debug/dri/vi915/`, which `dri/<minor>` links to): `i915_gem_drop_caches`,
//! `i915_wedged` and `i915_params/`; `i915_gem_objects`, in vi915's own format; and vi915's
//! `vi915_userptr_force_retry`, `vi915_interrupts` and `vi915_interrupt_every`.

use core::fmt;
use kernel::{
    debugfs::{
        File,
        Reader,
        Writer, //
    },
    prelude::*,
    str::{
        parse_int::ParseInt,
        BStr, //
    },
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
    },
    uaccess::UserSliceReader,
};

use crate::{
    driver::Vi915Device,
    purge, //
};

/// `DROP_ALL` of i915_debugfs.c: every bit `i915_gem_drop_caches` knows.
pub(crate) const DROP_ALL: u64 = 0x3ff;

/// The debugfs files of one device.
#[pin_data]
pub(crate) struct DebugFs {
    #[pin]
    drop_caches: File<DropCaches>,
    #[pin]
    wedged: File<Wedged>,
    #[pin]
    reset: File<ResetParam>,
    #[pin]
    enable_hangcheck: File<HangcheckParam>,
    #[pin]
    force_retry: File<Knob>,
    #[pin]
    objects: File<Objects>,
    #[pin]
    interrupts: File<InterruptCounts>,
    #[pin]
    interrupt_every: File<Knob>,
}

impl DebugFs {
    /// Creates the files in `dev`'s debugfs directory.
    ///
    /// # Safety
    ///
    /// The [`DebugFs`] this initializes must be dropped before `dev` is unregistered.
    pub(crate) unsafe fn new(dev: ARef<Vi915Device>) -> impl PinInit<Self, Error> {
        // SAFETY: The caller drops the files before `dev` is unregistered.
        let root = unsafe { dev.debugfs_dir() };
        let params = root.subdir(c"i915_params");
        try_pin_init!(Self {
            drop_caches <- root.read_write_file(c"i915_gem_drop_caches", DropCaches(dev.clone())),
            wedged <- root.read_write_file(c"i915_wedged", Wedged(dev.clone())),
            reset <- params.read_write_file(c"reset", ResetParam(dev.clone())),
            enable_hangcheck <- params.read_write_file(c"enable_hangcheck", HangcheckParam(dev.clone())),
            force_retry <- root.read_write_file(c"vi915_userptr_force_retry", Knob {
                dev: dev.clone(),
                value: |dev| &dev.userptr_force_retry,
            }),
            objects <- root.read_only_file(c"i915_gem_objects", Objects(dev.clone())),
            interrupts <- root.read_only_file(c"vi915_interrupts", InterruptCounts(dev.clone())),
            interrupt_every <- root.read_write_file(c"vi915_interrupt_every", Knob {
                dev,
                value: |dev| &dev.interrupts.every,
            }),
        })
    }
}

/// Reads the whole write of a small debugfs file as trimmed text.
fn read_text<'b>(reader: &mut UserSliceReader, buf: &'b mut [u8; 32]) -> Result<&'b BStr> {
    let n = reader.len();
    if n > buf.len() {
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    Ok(BStr::from_bytes(buf[..n].trim_ascii()))
}

/// Parses an unsigned integer as `kstrtoull(s, 0)` does for what userspace writes here: decimal,
/// `0x` hex or `0` octal (it also takes `0o`, `0b` and `+`, which `kstrtoull()` does not).
fn parse_u64(text: &BStr) -> Result<u64> {
    u64::from_str(text)
}

/// Parses a boolean the way `kstrtobool()` does.
fn parse_bool(text: &BStr) -> Result<bool> {
    match text.first().map(u8::to_ascii_lowercase) {
        Some(b'1' | b'y' | b't') => Ok(true),
        Some(b'0' | b'n' | b'f') => Ok(false),
        Some(b'o') => match text.get(1).map(u8::to_ascii_lowercase) {
            Some(b'n') => Ok(true),
            Some(b'f') => Ok(false),
            _ => Err(EINVAL),
        },
        _ => Err(EINVAL),
    }
}

/// `i915_gem_drop_caches`: reads `DROP_ALL`; a write does what its bits ask, in i915's order:
/// cancel what runs (`DROP_RESET_ACTIVE`), wait for the engines to be idle (`DROP_ACTIVE`,
/// `DROP_IDLE`), reclaim every idle reclaimable object (`DROP_BOUND`, `DROP_UNBOUND`,
/// `DROP_SHRINK_ALL`: purge idle `DONTNEED` objects, unpin idle userptrs), then wait for the
/// deferred unpinning (`DROP_FREED`). `DROP_RETIRE` has nothing to do: requests release what they
/// hold as they finish.
struct DropCaches(ARef<Vi915Device>);

/// The bits of i915_debugfs.c vi915 acts on.
const DROP_UNBOUND: u64 = 1 << 0;
const DROP_BOUND: u64 = 1 << 1;
const DROP_ACTIVE: u64 = 1 << 3;
const DROP_FREED: u64 = 1 << 4;
const DROP_SHRINK_ALL: u64 = 1 << 5;
const DROP_IDLE: u64 = 1 << 6;
const DROP_RESET_ACTIVE: u64 = 1 << 7;

impl Writer for DropCaches {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "0x{DROP_ALL:08x}")
    }
}

impl Reader for DropCaches {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0; 32];
        let bits = parse_u64(read_text(reader, &mut buf)?)?;
        let dev = &self.0;
        if bits & DROP_RESET_ACTIVE != 0 {
            dev.engines.iter().for_each(|e| e.reset());
        }
        if bits & (DROP_ACTIVE | DROP_IDLE | DROP_RESET_ACTIVE) != 0 {
            for e in dev.engines.iter() {
                e.wait_idle_interruptible()?;
            }
        }
        if bits & (DROP_BOUND | DROP_UNBOUND | DROP_SHRINK_ALL) != 0 {
            purge::shrink_all(dev);
        }
        if bits & DROP_FREED != 0 {
            dev.reclaim.flush();
        }
        Ok(())
    }
}

/// `i915_wedged`: reads 0, as vi915 is never wedged; writing an engine mask (a `u64` with i915's
/// engine id bits: 0 for rcs0, 1 for bcs0; `-1` as `%llu` for all) resets the request running on
/// each engine named, as a hang would: it ends with `EIO` and its context is found guilty. The
/// write returns once that is done.
struct Wedged(ARef<Vi915Device>);

impl Writer for Wedged {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "0")
    }
}

impl Reader for Wedged {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0; 32];
        let mask = parse_u64(read_text(reader, &mut buf)?)?;
        for e in self.0.engines.iter() {
            if mask & engine_mask(e.id) != 0 {
                e.reset_running()?;
            }
        }
        Ok(())
    }
}

/// The bits of i915's engine mask (`intel_engine_mask_t`, by `enum intel_engine_id`) that name
/// vi915's engine `id`: `RCS0` is bit 0 and `BCS0` bit 1 in i915's id order.
fn engine_mask(id: crate::engine_id::EngineId) -> u64 {
    1 << id.index()
}

/// `i915_gem_objects`: the device's object statistics ([`crate::stats::Counts`]).
struct Objects(ARef<Vi915Device>);

impl Writer for Objects {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.stats.counts())
    }
}

/// `vi915_interrupts`: for each interruptible wait of the driver, how many waits a signal
/// interrupted and how many `vi915_interrupt_every` did ([`crate::interrupts`]).
struct InterruptCounts(ARef<Vi915Device>);

impl Writer for InterruptCounts {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.interrupts)
    }
}

/// A vi915 knob (uint): `vi915_userptr_force_retry`, the next this-many execbuffers with
/// userptrs find a userptr's range changed at their last check and return `EAGAIN`, publishing
/// nothing; `vi915_interrupt_every`, every this-many interruptible waits one is interrupted as a
/// signal would interrupt it, and its system call restarted (0, the default, interrupts none).
struct Knob {
    dev: ARef<Vi915Device>,
    value: fn(&Vi915Device) -> &Atomic<u32>,
}

impl Writer for Knob {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", (self.value)(&self.dev).load(Relaxed))
    }
}

impl Reader for Knob {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0; 32];
        let value = u32::try_from(parse_u64(read_text(reader, &mut buf)?)?).map_err(|_| EINVAL)?;
        (self.value)(&self.dev).store(value, Relaxed);
        Ok(())
    }
}

/// `i915_params/reset` (uint).
struct ResetParam(ARef<Vi915Device>);

impl Writer for ResetParam {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.0.params.reset.load(Relaxed))
    }
}

impl Reader for ResetParam {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0; 32];
        let value = parse_uint(read_text(reader, &mut buf)?)?;
        self.0.params.reset.store(value, Relaxed);
        Ok(())
    }
}

/// Parses a uint parameter as i915 does: a number, or else a boolean as 0 or 1.
fn parse_uint(text: &BStr) -> Result<u32> {
    match parse_u64(text).map(u32::try_from) {
        Ok(Ok(value)) => Ok(value),
        _ => parse_bool(text).map(u32::from),
    }
}

/// `i915_params/enable_hangcheck` (bool).
struct HangcheckParam(ARef<Vi915Device>);

impl Writer for HangcheckParam {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = self.0.params.enable_hangcheck.load(Relaxed);
        writeln!(f, "{}", if on { 'Y' } else { 'N' })
    }
}

impl Reader for HangcheckParam {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0; 32];
        let value = parse_bool(read_text(reader, &mut buf)?)?;
        self.0.params.enable_hangcheck.store(value, Relaxed);
        Ok(())
    }
}

#[kunit_tests(vi915_debugfs)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_kstrtoull() -> Result {
        assert_eq!(parse_u64(BStr::from_bytes(b"0x1dc"))?, 0x1dc);
        assert_eq!(parse_u64(BStr::from_bytes(b"92"))?, 92);
        assert_eq!(
            parse_u64(BStr::from_bytes(b"4294967295"))?,
            u64::from(u32::MAX)
        );
        assert!(parse_u64(BStr::from_bytes(b"-1")).is_err());
        assert!(parse_u64(BStr::from_bytes(b"0x")).is_err());
        assert!(parse_u64(BStr::from_bytes(b"12abc")).is_err());
        Ok(())
    }

    #[test]
    fn parses_uint_params_like_i915() -> Result {
        assert_eq!(parse_uint(BStr::from_bytes(b"4294967295"))?, u32::MAX);
        assert_eq!(parse_uint(BStr::from_bytes(b"0x10"))?, 16);
        assert_eq!(parse_uint(BStr::from_bytes(b"Y"))?, 1);
        assert_eq!(parse_uint(BStr::from_bytes(b"off"))?, 0);
        assert_eq!(parse_uint(BStr::from_bytes(b"4294967296")), Err(EINVAL));
        assert_eq!(parse_uint(BStr::from_bytes(b"x")), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn parses_like_kstrtobool() -> Result {
        for yes in [&b"1"[..], b"Y", b"y", b"on", b"true"] {
            assert_eq!(parse_bool(BStr::from_bytes(yes))?, true);
        }
        for no in [&b"0"[..], b"N", b"n", b"off", b"false"] {
            assert_eq!(parse_bool(BStr::from_bytes(no))?, false);
        }
        assert!(parse_bool(BStr::from_bytes(b"")).is_err());
        assert!(parse_bool(BStr::from_bytes(b"2")).is_err());
        assert!(parse_bool(BStr::from_bytes(b"ox")).is_err());
        Ok(())
    }
}
