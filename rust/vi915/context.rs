// SPDX-License-Identifier: GPL-2.0

//! GEM contexts: an address space, an engine map, a timeline per engine and i915's
//! per-context parameters.

use kernel::{
    cred::{
        capable,
        Capability, //
    },
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi, //
};

use crate::{
    ban::{
        Client,
        Record, //
    },
    busy::Busy,
    engine::Engine,
    engine_id::EngineId,
    timeline::Timeline,
    user::walk_extensions,
    vm::Vm, //
};

/// i915's range of user priorities (`I915_CONTEXT_MIN/MAX_USER_PRIORITY`).
const PRIORITIES: core::ops::RangeInclusive<i64> =
    uapi::I915_CONTEXT_MIN_USER_PRIORITY as i64..=uapi::I915_CONTEXT_MAX_USER_PRIORITY as i64;

/// Context parameters that userspace can change.
#[derive(Clone)]
pub(crate) struct Params {
    pub(crate) bannable: bool,
    pub(crate) recoverable: bool,
    pub(crate) no_error_capture: bool,
    pub(crate) priority: i64,
    /// Whether its requests outlive it (`I915_CONTEXT_PARAM_PERSISTENCE`): with hang detection
    /// on, closing a persistent context leaves its requests running, as i915 does; the
    /// heartbeat still resets one that hangs.
    pub(crate) persistent: bool,
    /// Its address space: its own, or one of its file's (`I915_CONTEXT_PARAM_VM`, set before
    /// first use), which other contexts may share.
    pub(crate) vm: Arc<Vm>,
    /// The user engine map (`I915_CONTEXT_PARAM_ENGINES`), if one was set.
    pub(crate) engines: Option<Arc<EngineMap>>,
}

/// Most slots an engine map has (i915's limit).
pub(crate) const MAX_ENGINES: usize = 64;

/// A user engine map: up to [`MAX_ENGINES`] slots, `None` for an empty one. Each slot has a
/// timeline of its own, as in i915, even where two name the same engine: their requests are
/// ordered only by their dependencies.
pub(crate) struct EngineMap {
    pub(crate) slots: KVec<Option<Arc<Timeline>>>,
}

/// A GEM context.
#[pin_data]
pub(crate) struct Context {
    /// The id userspace names it by (0 for the file's default context).
    pub(crate) id: u32,
    #[pin]
    pub(crate) params: Mutex<Params>,
    /// Set on first use: the engine map cannot change afterwards.
    pub(crate) used: Atomic<bool>,
    /// Set when the context's requests must end with `EIO` (it was closed, and not persistent).
    pub(crate) cancelled: Atomic<bool>,
    /// Set when the context is destroyed (or its file closed). A persistent one's requests run
    /// on, but only while their engine has a heartbeat to reset them if they hang.
    pub(crate) closed: Atomic<bool>,
    /// Its queue on each engine, indexed by [`EngineId::index`].
    timelines: [Arc<Timeline>; EngineId::ALL.len()],
    /// Its hangs, and whether it is banned.
    #[pin]
    pub(crate) record: Record,
    /// Its client's time on the engines.
    pub(crate) busy: Arc<Busy>,
}

impl Context {
    /// Creates a context of `client` with i915's defaults, with a timeline on each of `engines`;
    /// its requests' time on the engines counts in `busy`. A context created `used` is whole from
    /// the start: its engine map and address space can no longer change.
    pub(crate) fn new(
        id: u32,
        engines: &[Arc<Engine>],
        client: &Arc<Client>,
        busy: &Arc<Busy>,
        used: bool,
    ) -> Result<Arc<Self>> {
        let timeline = |id: EngineId| -> Result<Arc<Timeline>> {
            Timeline::new(engines.get(id.index()).ok_or(EINVAL)?)
        };
        // i915 makes contexts persistent by default only with hang detection on.
        let hangcheck = engines.first().is_some_and(|e| e.params.hangcheck());
        Arc::pin_init(
            try_pin_init!(Context {
                id,
                timelines: [timeline(EngineId::Rcs0)?, timeline(EngineId::Bcs0)?],
                record <- Record::new(client.clone()),
                busy: busy.clone(),
                params <- new_mutex!(Params {
                    vm: Vm::new()?,
                    bannable: true,
                    recoverable: true,
                    no_error_capture: false,
                    priority: 0,
                    persistent: hangcheck,
                    engines: None,
                }),
                used: Atomic::new(used),
                cancelled: Atomic::new(false),
                closed: Atomic::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns the context's timeline on engine `id`.
    pub(crate) fn timeline(&self, id: EngineId) -> &Arc<Timeline> {
        &self.timelines[id.index()]
    }

    /// Closes the context (it was destroyed, or its file closed): its requests are cancelled,
    /// unless it is persistent and hang detection is on (i915's `kill_context` rule).
    pub(crate) fn close(&self) {
        self.closed.store(true, Relaxed);
        let persistent = self.params.lock().persistent;
        if !persistent || !self.hangcheck() {
            self.cancel();
        }
    }

    /// Whether hang detection is on (a device-wide parameter, which every engine shares).
    fn hangcheck(&self) -> bool {
        self.timelines[0].engine.params.hangcheck()
    }

    /// Has the engines look at the context's requests again: something they check changed.
    fn kick_engines(&self) {
        for t in self.timelines.iter() {
            t.engine.kick();
        }
    }

    /// Cancels the context's requests: the engines stop them with `EIO`.
    fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
        self.kick_engines();
    }

    /// Records that one of its requests hung and was reset; a banned context's requests are
    /// stopped.
    pub(crate) fn mark_guilty(&self) {
        let (bannable, recoverable) = {
            let p = self.params.lock();
            (p.bannable, p.recoverable)
        };
        if self.record.mark_guilty(bannable, recoverable) {
            self.kick_engines();
        }
    }

    /// Returns the context's address space.
    pub(crate) fn vm(&self) -> Arc<Vm> {
        self.params.lock().vm.clone()
    }

    /// Gives the context address space `vm` (`I915_CONTEXT_PARAM_VM`, of `size`), found by id
    /// (an error if none was), with i915's checks in its order: [`EINVAL`] once the context was
    /// used (i915 allows it only before) or for a nonzero `size`, then the lookup's error.
    pub(crate) fn set_vm(&self, size: u32, vm: Result<Arc<Vm>>) -> Result {
        // Checked under the lock: a first use marks the context used before it reads the
        // address space under the lock, so it either sees `vm` or makes this fail.
        let mut p = self.params.lock();
        if self.used.load(Relaxed) || size != 0 {
            return Err(EINVAL);
        }
        p.vm = vm?;
        Ok(())
    }

    /// Marks the context used: its engine map and address space can no longer change.
    pub(crate) fn mark_used(&self) {
        self.used.store(true, Relaxed);
    }

    /// Marks the context used and returns its engine map.
    pub(crate) fn engines(&self) -> Option<Arc<EngineMap>> {
        self.mark_used();
        self.params.lock().engines.clone()
    }

    /// Answers `CONTEXT_GETPARAM`.
    pub(crate) fn get_param(&self, args: &mut uapi::drm_i915_gem_context_param) -> Result {
        self.mark_used();
        let p = self.params.lock();
        let value = match args.param as u32 {
            uapi::I915_CONTEXT_PARAM_GTT_SIZE => crate::vm::VM_SIZE,
            uapi::I915_CONTEXT_PARAM_NO_ERROR_CAPTURE => u64::from(p.no_error_capture),
            uapi::I915_CONTEXT_PARAM_BANNABLE => u64::from(p.bannable),
            uapi::I915_CONTEXT_PARAM_RECOVERABLE => u64::from(p.recoverable),
            uapi::I915_CONTEXT_PARAM_PRIORITY => p.priority as u64,
            uapi::I915_CONTEXT_PARAM_PERSISTENCE => u64::from(p.persistent),
            uapi::I915_CONTEXT_PARAM_PROTECTED_CONTENT => 0,
            _ => return Err(EINVAL),
        };
        if u64::from(args.param as u32) != args.param {
            return Err(EINVAL);
        }
        args.size = 0;
        args.value = value;
        Ok(())
    }

    /// Applies `CONTEXT_SETPARAM` (or a create-time setparam extension).
    pub(crate) fn set_param(&self, args: &uapi::drm_i915_gem_context_param) -> Result {
        let param = u32::try_from(args.param).map_err(|_| EINVAL)?;
        let mut p = self.params.lock();
        let flag = |p: &mut bool| -> Result {
            if args.size != 0 {
                return Err(EINVAL);
            }
            *p = args.value != 0;
            Ok(())
        };
        match param {
            uapi::I915_CONTEXT_PARAM_NO_ERROR_CAPTURE => flag(&mut p.no_error_capture),
            uapi::I915_CONTEXT_PARAM_BANNABLE => {
                if args.size != 0 {
                    return Err(EINVAL);
                }
                // Only an administrator may exempt a context from bans.
                if args.value == 0 && !capable(Capability::SYS_ADMIN) {
                    return Err(EPERM);
                }
                flag(&mut p.bannable)
            }
            uapi::I915_CONTEXT_PARAM_RECOVERABLE => flag(&mut p.recoverable),
            uapi::I915_CONTEXT_PARAM_PRIORITY => {
                if args.size != 0 {
                    return Err(EINVAL);
                }
                let prio = args.value as i64;
                if !PRIORITIES.contains(&prio) {
                    return Err(EINVAL);
                }
                // Raising a priority above the default needs CAP_SYS_NICE, as in i915.
                if prio > i64::from(uapi::I915_CONTEXT_DEFAULT_PRIORITY)
                    && !capable(Capability::SYS_NICE)
                {
                    return Err(EPERM);
                }
                p.priority = prio;
                Ok(())
            }
            uapi::I915_CONTEXT_PARAM_SSEU => {
                if (args.size as usize) < size_of::<uapi::drm_i915_gem_context_param_sseu>() {
                    return Err(EINVAL);
                }
                Err(ENODEV)
            }
            uapi::I915_CONTEXT_PARAM_PERSISTENCE => {
                if args.size != 0 {
                    return Err(EINVAL);
                }
                if args.value != 0 {
                    // Only what the heartbeat can reset may outlive its context.
                    if !self.hangcheck() {
                        return Err(EINVAL);
                    }
                    p.persistent = true;
                } else {
                    // Cancelling needs preemption, which the scheduler has.
                    p.persistent = false;
                }
                Ok(())
            }
            uapi::I915_CONTEXT_PARAM_PROTECTED_CONTENT if !self.used.load(Relaxed) => {
                if args.value != 0 {
                    Err(ENODEV)
                } else {
                    Ok(())
                }
            }
            uapi::I915_CONTEXT_PARAM_ENGINES if !self.used.load(Relaxed) => {
                if p.engines.is_some() {
                    return Err(EINVAL);
                }
                // Read without the lock: a fault on the map may wait for as long as
                // userspace likes (userfaultfd), and other parameter calls must not.
                drop(p);
                let ids = read_engine_map(args)?;
                let mut slots = KVec::with_capacity(ids.len(), GFP_KERNEL)?;
                for id in ids {
                    let timeline = match id {
                        Some(id) => Some(Timeline::new(&self.timeline(id).engine)?),
                        None => None,
                    };
                    slots.push(timeline, GFP_KERNEL)?;
                }
                let map = Arc::new(EngineMap { slots }, GFP_KERNEL)?;
                let mut p = self.params.lock();
                if p.engines.is_some() {
                    return Err(EINVAL);
                }
                p.engines = Some(map);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

/// Reads an `i915_context_param_engines` map from userspace: the engine of each slot.
fn read_engine_map(args: &uapi::drm_i915_gem_context_param) -> Result<KVec<Option<EngineId>>> {
    let size = args.size as usize;
    let header = size_of::<u64>();
    let slot = size_of::<uapi::i915_engine_class_instance>();
    if size < header || (size - header) % slot != 0 {
        return Err(EINVAL);
    }
    let len = (size - header) / slot;
    if len > MAX_ENGINES {
        return Err(EINVAL);
    }
    let mut reader = UserSlice::new(UserPtr::from_addr(args.value as usize), size).reader();
    let extensions: u64 = reader.read()?;
    let mut map = KVec::with_capacity(len, GFP_KERNEL)?;
    for _ in 0..len {
        let class: u16 = reader.read()?;
        let instance: u16 = reader.read()?;
        // `{I915_ENGINE_CLASS_INVALID, I915_ENGINE_CLASS_INVALID_NONE}`: an empty slot.
        let id = if class == u16::MAX && instance == u16::MAX {
            None
        } else {
            Some(EngineId::from_class_instance(class, instance).ok_or(ENOENT)?)
        };
        map.push(id, GFP_KERNEL)?;
    }
    // Load balancing, bonds and parallel submission need more than one engine of a class: every
    // extension is refused, once the chain is readable (EFAULT otherwise, as in i915).
    walk_extensions(extensions, |_, _| Err(EINVAL))?;
    Ok(map)
}
