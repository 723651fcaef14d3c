// SPDX-License-Identifier: GPL-2.0

//! The engines' scheduling properties in sysfs, as i915 has them: `engine/<name>/` in the primary
//! node's directory, with `timeslice_duration_ms`, `preempt_timeout_ms`, `heartbeat_interval_ms`
//! and `max_busywait_duration_ns` (read-write, taking effect at once) and their defaults in
//! `.defaults/` (read-only), plus the engine's uAPI `class` and `instance`.

use kernel::{
    drm,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
    sysfs::{
        Dir,
        Value, //
    },
    time::msecs_to_jiffies,
};

use crate::{
    driver::Vi915Driver,
    engine::{
        Engine,
        Props, //
    },
};

/// Longest property i915 accepts, in milliseconds (its `jiffies_to_msecs(MAX_SCHEDULE_TIMEOUT)`
/// bound, rounded down to what fits an `u32` with room).
const MAX_MS: u64 = u32::MAX as u64 / 2;

/// Longest busy-wait i915 accepts, in nanoseconds: two jiffies.
fn max_busywait_ns() -> u64 {
    2_000_000_000 / msecs_to_jiffies(1000).max(1) as u64
}

/// Finds one property among an engine's.
type Field = fn(&Props) -> &Atomic<u32>;

/// One of an engine's properties.
struct Prop {
    engine: Arc<Engine>,
    get: Field,
    /// The largest value it takes.
    max: u64,
}

impl Value for Prop {
    fn get(&self) -> u64 {
        u64::from((self.get)(&self.engine.props).load(Relaxed))
    }

    fn set(&self, value: u64) -> Result {
        if value > self.max {
            return Err(EINVAL);
        }
        (self.get)(&self.engine.props).store(value as u32, Relaxed);
        // A running batch asks again at its next check; a waiting one is looked at now.
        self.engine.kick();
        Ok(())
    }
}

/// A number that does not change.
struct Fixed(u64);

impl Value for Fixed {
    fn get(&self) -> u64 {
        self.0
    }
}

/// Finds the largest value a property takes.
type Max = fn() -> u64;

/// The properties, with their largest values, in the order of [`Props::DEFAULTS`].
const PROPS: [(&CStr, Field, Max); 4] = [
    (
        c"timeslice_duration_ms",
        |p| &p.timeslice_duration_ms,
        || MAX_MS,
    ),
    (c"preempt_timeout_ms", |p| &p.preempt_timeout_ms, || MAX_MS),
    (
        c"heartbeat_interval_ms",
        |p| &p.heartbeat_interval_ms,
        || MAX_MS,
    ),
    (
        c"max_busywait_duration_ns",
        |p| &p.max_busywait_duration_ns,
        max_busywait_ns,
    ),
];

/// Creates `engine/` with a directory per engine; it must go before the registration does.
pub(crate) fn engines(reg: &drm::Registration<'_, Vi915Driver>) -> Result<Dir> {
    let mut top = reg.primary_sysfs_dir(c"engine")?;
    for engine in reg.device().engines.iter() {
        let dir = top.subdir(engine.id.names().timeline)?;
        dir.add(
            c"class",
            false,
            KBox::new(Fixed(engine.id.class().into()), GFP_KERNEL)?,
        )?;
        dir.add(
            c"instance",
            false,
            KBox::new(Fixed(engine.id.instance().into()), GFP_KERNEL)?,
        )?;
        for (name, get, max) in PROPS {
            let prop = Prop {
                engine: engine.clone(),
                get,
                max: max(),
            };
            dir.add(name, true, KBox::new(prop, GFP_KERNEL)?)?;
        }
        let defaults = dir.subdir(c".defaults")?;
        for ((name, _, _), value) in PROPS.into_iter().zip(Props::DEFAULTS) {
            defaults.add(name, false, KBox::new(Fixed(value.into()), GFP_KERNEL)?)?;
        }
    }
    Ok(top)
}
