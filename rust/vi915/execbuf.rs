// SPDX-License-Identifier: GPL-2.0

//! `EXECBUFFER2`: checks the request in i915's order, places the objects in the context's
//! address space, applies relocations, and queues the batch with a fence published in every
//! object's reservation object.
//!
//! The order of work keeps user memory and locks apart: everything that reads or writes user
//! memory or may fault (the object list, relocations, page pinning, in-fences) happens before
//! any reservation lock is taken; offsets are written back after the locks are dropped. The
//! request's fence is published (reservation objects, out-fence) only once nothing can fail.

use kernel::{
    dma_buf::{
        fence::{
            Fence,
            FenceAllocation,
            FOREVER, //
        },
        resv::Usage,
        sync_file::{
            self,
            SyncFile, //
        },
    },
    drm::{
        exec::Exec,
        gem::BaseObject, //
    },
    mm::interval_notifier::Seq,
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::Relaxed,
        Arc, //
    },
    task::cond_resched,
    uapi, //
};

use crate::{
    backing::{
        Backing,
        Mapping, //
    },
    context::Context,
    engine_id::EngineId,
    exec_fences::Signals,
    file::{
        RegisteredDevice,
        Vi915DrmFile,
        Vi915File, //
    },
    gem::{
        self,
        Object, //
    },
    heapsort,
    interrupts::Site,
    purge,
    request::Request,
    timeline::Timeline,
    user, userptr,
    vm::{
        VM_SIZE,
        ZONE_4G, //
    },
};

/// Flags i915 does not know: bits 22 and up, the constants mask and the resource streamer.
const EXEC_UNKNOWN_FLAGS: u64 = !((1u64 << 22) - 1)
    | uapi::I915_EXEC_CONSTANTS_MASK as u64
    | uapi::I915_EXEC_RESOURCE_STREAMER as u64;
/// Object flags vi915 (a full-PPGTT gen 8 part) refuses: unknown bits and `NEEDS_GTT`.
const OBJECT_INVALID_FLAGS: u64 = !((1u64 << 8) - 1) | uapi::EXEC_OBJECT_NEEDS_GTT as u64;
/// Most objects one execbuffer may name (i915 allows more, limited only by memory).
const MAX_BUFFERS: usize = 1 << 16;
/// Largest relocation count i915 accepts per object.
const MAX_RELOCS: u32 = i32::MAX as u32 / size_of::<uapi::drm_i915_gem_relocation_entry>() as u32;
/// The GPU read/write domains a relocation may name.
const GPU_DOMAINS: u32 = 0x3e;

/// How many iterations of a loop over a user-sized array go between two [`checkpoint`]s.
const CHECKPOINT_EVERY: usize = 64;

/// Between iterations of a loop over a user-sized array: lets others run, and gives up (`EINTR`)
/// if the task is being killed.
fn checkpoint() -> Result {
    if kernel::current!().fatal_signal_pending() {
        return Err(EINTR);
    }
    cond_resched();
    Ok(())
}

/// Returns the canonical (sign-extended from bit 47) form of a GPU address.
pub(crate) fn canonical(addr: u64) -> u64 {
    (((addr << 16) as i64) >> 16) as u64
}

/// One distinct object of the execbuffer.
struct Entry {
    obj: ARef<Object>,
    /// The first index into the user's list naming it (usually the only one).
    first: usize,
    flags: u64,
    /// Final GPU address.
    offset: u64,
    pages: Option<Backing>,
    /// For a userptr, the notifier sequence its pages were pinned under.
    seq: Option<Seq>,
}

/// The arrays an execbuffer works in, kept by its file from one execbuffer to the next.
///
/// Most execbuffers then allocate none of them. That matters most in the debug kernel, where
/// KASAN and kmemleak save a stack trace at every allocation and every free.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The user's object list.
    list: KVVec<uapi::drm_i915_gem_exec_object2>,
    /// Its distinct objects.
    entries: KVVec<Entry>,
    /// For each index of the list, the entry it names.
    index_of: KVVec<usize>,
}

impl Scratch {
    /// The most objects whose room a file keeps between execbuffers.
    const KEPT: usize = 64;
}

impl Vi915File {
    /// IOCTL: gem_execbuffer2: Submit a batch (`EXECBUFFER2` and `EXECBUFFER2_WR`).
    pub(crate) fn gem_execbuffer2(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_execbuffer2,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        // A concurrent execbuffer of the same file finds the scratch taken and starts empty.
        let mut scratch = core::mem::take(&mut *file.inner().scratch.lock());
        let result = submit(dev, args, file, &mut scratch);
        // The entries' references and pins go here, with no lock held.
        scratch.entries.clear();
        // The other arrays grew only as far as the list did (one entry and one index at most per
        // listed object): its capacity bounds what is kept.
        if scratch.list.capacity() <= Scratch::KEPT {
            let previous = core::mem::replace(&mut *file.inner().scratch.lock(), scratch);
            // Freed outside the lock: another execbuffer's scratch, given back first.
            drop(previous);
        }
        result
    }
}

/// Checks and submits one execbuffer, working in `scratch`'s arrays: the steps that
/// `Documentation/vi915/engine.rst` names, in its order.
fn submit(
    dev: &RegisteredDevice,
    args: &mut uapi::drm_i915_gem_execbuffer2,
    file: &Vi915DrmFile,
    scratch: &mut Scratch,
) -> Result<u32> {
    let Scratch {
        list,
        entries,
        index_of,
    } = scratch;
    let flags = args.flags;
    // 1. The arguments, and the object list.
    check_args(args)?;
    user::read_array(list, args.buffers_ptr, args.buffer_count as usize)?;
    if flags & u64::from(uapi::I915_EXEC_SECURE) != 0 {
        return Err(EPERM);
    }

    // 2. Sync-object fences, the in-fence, the context and the engine.
    let mut deps = KVec::new();
    let signals = Signals::read(file, args, &mut deps)?;
    let in_fence = in_fence(args)?;
    let ctx = file.inner().context((args.rsvd1 & 0xffff_ffff) as u32)?;
    let timeline = select_timeline(&ctx, flags)?;
    if ctx.record.is_banned() {
        return Err(EIO);
    }

    // 3. The objects, merged where named more than once.
    let batch_index = look_up(file, args, list, entries)?;
    dedupe(entries, index_of)?;

    // 4. Their pages.
    pin(entries)?;

    // 5. and 6. Placement and relocations.
    let moved = place(&ctx, list, entries)?;
    if flags & u64::from(uapi::I915_EXEC_NO_RELOC) == 0 || moved {
        relocate(dev, list, index_of, entries, flags)?;
    }

    // 7. The fence, a place in the ring, the request.
    if let Some(f) = in_fence {
        deps.push(f, GFP_KERNEL)?;
    }
    let allocation = FenceAllocation::new(GFP_KERNEL)?;
    // Throttle: wait for room in the context's ring (EAGAIN if non-blocking), now that the
    // request holds nothing other clients wait for.
    let slot = dev
        .interrupts
        .wait(Site::Ring, || timeline.reserve(file.is_nonblocking()))?;
    let batch = entries[index_of[batch_index]].offset + u64::from(args.batch_start_offset);
    // Built before the reservation locks are taken and dropped (if never queued) after they are
    // released: dropping its page pins may take those locks.
    let mut request = Some(Request::new(
        slot,
        ctx.clone(),
        maps(entries)?,
        batch,
        deps,
    )?);
    let queued = request.clone().ok_or(EINVAL)?;

    // 8. and 9. Lock, then publish.
    let published = {
        let locking = Exec::lock_all(true, entries.len() as u32, |p| {
            for e in entries.iter() {
                p.prepare(&*e.obj, 1)?;
            }
            Ok(())
        });
        pin_init::stack_try_pin_init!(let exec =? locking);
        let fence_out = flags & u64::from(uapi::I915_EXEC_FENCE_OUT) != 0;
        publish(
            dev,
            &exec,
            entries,
            &timeline,
            allocation,
            &mut request,
            fence_out,
        )
        // Unlocked here.
    };
    drop(request);
    let (out, published) = published?;

    // 10. Run it; signal the sync objects; tell userspace.
    // The request is published and runs whatever happens here: failing to allocate only leaves
    // what it waits for at their own priorities.
    let _ = dev.inherit(&queued);
    timeline.engine.activate(&timeline, queued.priority());
    // Released here if it is done already, with no lock held.
    drop(queued);
    signals.signal(&published);
    if let Some(out) = out {
        let fd = out.install();
        args.rsvd2 = (args.rsvd2 & 0xffff_ffff) | (u64::from(fd) << 32);
    }
    write_back(args, list, entries, index_of);
    args.flags &= (1 << 22) - 1;
    Ok(0)
}

/// Step 1: i915's checks of the arguments, in its order, up to the object list's copy.
fn check_args(args: &mut uapi::drm_i915_gem_execbuffer2) -> Result {
    if !(1..=MAX_BUFFERS).contains(&(args.buffer_count as usize)) {
        return Err(EINVAL);
    }
    let flags = args.flags;
    if flags & EXEC_UNKNOWN_FLAGS != 0 {
        return Err(EINVAL);
    }
    // With either flag, num_cliprects and cliprects_ptr describe fences.
    let fence_array = u64::from(uapi::I915_EXEC_FENCE_ARRAY | uapi::I915_EXEC_USE_EXTENSIONS);
    if flags & fence_array == 0 && (args.num_cliprects != 0 || args.cliprects_ptr != 0) {
        return Err(EINVAL);
    }
    if args.DR4 == 0xffff_ffff {
        args.DR4 = 0;
    }
    if args.DR1 != 0 || args.DR4 != 0 {
        return Err(EINVAL);
    }
    if (args.batch_start_offset | args.batch_len) & 7 != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// Step 2: the in-fence or submit fence of `I915_EXEC_FENCE_IN` or `I915_EXEC_FENCE_SUBMIT`.
fn in_fence(args: &uapi::drm_i915_gem_execbuffer2) -> Result<Option<ARef<Fence>>> {
    let fence_in = u64::from(uapi::I915_EXEC_FENCE_IN);
    let fence_submit = u64::from(uapi::I915_EXEC_FENCE_SUBMIT);
    if args.flags & fence_in != 0 && args.flags & fence_submit != 0 {
        return Err(EINVAL);
    }
    // A submit fence is waited for until it signals, as i915 does for foreign fences.
    if args.flags & (fence_in | fence_submit) != 0 {
        Ok(Some(sync_file::fence_from_fd(args.rsvd2 as i32)?))
    } else {
        Ok(None)
    }
}

/// Step 3: looks up and checks every object of `list`, one entry each, in `entries` (empty:
/// `gem_execbuffer2` clears it after every submission). Returns the batch's index in `list`.
fn look_up(
    file: &Vi915DrmFile,
    args: &uapi::drm_i915_gem_execbuffer2,
    list: &mut [uapi::drm_i915_gem_exec_object2],
    entries: &mut KVVec<Entry>,
) -> Result<usize> {
    let batch_index = if args.flags & u64::from(uapi::I915_EXEC_BATCH_FIRST) != 0 {
        0
    } else {
        list.len() - 1
    };
    entries.reserve(list.len(), GFP_KERNEL)?;
    for (i, e) in list.iter_mut().enumerate() {
        if i % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
            checkpoint()?;
        }
        let obj = gem::lookup(file, e.handle)?;
        if e.flags & OBJECT_INVALID_FLAGS != 0 {
            return Err(EINVAL);
        }
        if e.alignment != 0 && !e.alignment.is_power_of_two() {
            return Err(EINVAL);
        }
        if e.flags & u64::from(uapi::EXEC_OBJECT_PINNED) != 0
            && e.offset != canonical(e.offset & !(PAGE_SIZE as u64 - 1))
        {
            return Err(EINVAL);
        }
        // SAFETY: Both union members are `u64`s.
        let pad = unsafe { e.__bindgen_anon_1.pad_to_size };
        if e.flags & u64::from(uapi::EXEC_OBJECT_PAD_TO_SIZE) != 0 {
            if pad % PAGE_SIZE as u64 != 0 {
                return Err(EINVAL);
            }
        } else {
            e.__bindgen_anon_1.pad_to_size = 0;
        }
        e.offset &= VM_SIZE - 1;
        if i == batch_index {
            if e.flags & u64::from(uapi::EXEC_OBJECT_WRITE) != 0 {
                return Err(EINVAL);
            }
            let size = obj.size() as u64;
            let start = u64::from(args.batch_start_offset);
            if start >= size || u64::from(args.batch_len) > size - start {
                return Err(EINVAL);
            }
        }
        entries.push(
            Entry {
                obj,
                first: i,
                flags: e.flags,
                offset: 0,
                pages: None,
                seq: None,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(batch_index)
}

/// Step 4: pins every object's pages, outside all locks (for a userptr, in the caller's address
/// space, which must be the one that created it).
fn pin(entries: &mut [Entry]) -> Result {
    for e in entries.iter_mut() {
        e.pages = Some(match &e.obj.userptr {
            Some(n) => {
                let (set, seq) = userptr::pages(&e.obj, n)?;
                e.seq = Some(seq);
                Backing::User {
                    pages: set,
                    _object: e.obj.clone(),
                }
            }
            None => {
                let pages = Backing::pin(&e.obj)?;
                // i915 now holds the pages: a later DONTNEED keeps them until the shrinker runs.
                e.obj.attach();
                pages
            }
        });
    }
    Ok(())
}

/// Step 7: the request's address space, sorted by address: the entries' places and their pages,
/// whose pins it takes.
fn maps(entries: &mut [Entry]) -> Result<KVec<Mapping>> {
    let mut maps = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
    for e in entries.iter_mut() {
        let pages = e.pages.take().ok_or(EINVAL)?;
        let size = e.obj.size() as u64;
        let read_only = e.obj.userptr.as_ref().is_some_and(|n| n.data().read_only);
        maps.push(
            Mapping {
                start: e.offset,
                size,
                pages,
                writable: !read_only,
            },
            GFP_KERNEL,
        )?;
    }
    heapsort::sort_by_key(&mut maps, |m| m.start);
    Ok(maps)
}

/// Step 10: tells userspace where the objects ended up; like i915, ignores faults here.
fn write_back(
    args: &uapi::drm_i915_gem_execbuffer2,
    list: &[uapi::drm_i915_gem_exec_object2],
    entries: &[Entry],
    index_of: &[usize],
) {
    for (i, l) in list.iter().enumerate() {
        let offset = canonical(entries[index_of[i]].offset);
        if offset != canonical(l.offset) || l.flags & u64::from(uapi::EXEC_OBJECT_PINNED) == 0 {
            let at = args.buffers_ptr
                + (i * size_of::<uapi::drm_i915_gem_exec_object2>()) as u64
                + core::mem::offset_of!(uapi::drm_i915_gem_exec_object2, offset) as u64;
            let _ = user::write(at, &offset);
        }
    }
}

/// Merges the entries that name the same object (i915 does not reject duplicates) into the first
/// of them, keeping the list's order, in O(n log n). Takes one entry per index of the user's list;
/// sets `index_of` to, for each index, the entry it refers to.
fn dedupe(entries: &mut KVVec<Entry>, index_of: &mut KVVec<usize>) -> Result {
    let n = entries.len();
    index_of.clear();
    index_of.reserve(n, GFP_KERNEL)?;
    for i in 0..n {
        index_of.push(i, GFP_KERNEL)?;
    }
    // By object, then by index: each object's first entry leads the run of its duplicates.
    heapsort::sort_by_key(index_of, |&i| (entries[i].obj.id, i));
    let mut lead = 0;
    for k in 0..n {
        let i = index_of[k];
        if k > 0 && entries[i].obj.id == entries[lead].obj.id {
            let flags = entries[i].flags;
            entries[lead].flags |= flags;
            entries[i].first = lead;
        } else {
            lead = i;
        }
    }
    // Keep the leads, in order: `entries[..kept]` holds those seen so far, and a duplicate's lead
    // comes before it, so its place is known.
    let mut kept = 0;
    for i in 0..n {
        let first = entries[i].first;
        if first == i {
            entries.swap(kept, i);
            index_of[i] = kept;
            kept += 1;
        } else {
            index_of[i] = index_of[first];
        }
    }
    entries.truncate(kept);
    Ok(())
}

/// Publishes the request under `exec`'s locks: collects its implicit dependencies (writers wait
/// for everyone, readers for writers), gives it its fence and the out-fence file, and, under
/// the notifier lock, if no userptr changed, adds the fence to every object and queues it
/// (taking it out of `request`). On error nothing was published.
fn publish(
    dev: &RegisteredDevice,
    exec: &Exec,
    entries: &[Entry],
    timeline: &Timeline,
    allocation: FenceAllocation,
    request: &mut Option<Arc<Request>>,
    fence_out: bool,
) -> Result<(Option<SyncFile>, ARef<Fence>)> {
    let mut implicit = KVec::new();
    for e in entries.iter() {
        if e.flags & u64::from(uapi::EXEC_OBJECT_ASYNC) != 0 {
            continue;
        }
        let usage = if e.flags & u64::from(uapi::EXEC_OBJECT_WRITE) != 0 {
            Usage::Read
        } else {
            Usage::Write
        };
        for f in gem::resv(&e.obj).fences(usage)? {
            // The timeline's own requests run in order anyway.
            if f.context() != timeline.fences.context() {
                implicit.push(f, GFP_KERNEL)?;
            }
        }
        if let Some(n) = &e.obj.userptr {
            userptr::reserve_active(n)?;
            // Once the request is done, the shrinker may drop the pins.
            purge::make_reclaimable(dev, &e.obj, &exec.locked(&*e.obj).ok_or(EINVAL)?)?;
        }
    }
    let req = request.as_ref().ok_or(EINVAL)?;
    req.add_deps(implicit);

    let _order = timeline.submission();
    let fence = allocation.init(&timeline.fences);
    // The sync file is the last thing that can fail; a fence dropped here was never seen.
    let out = if fence_out {
        Some(SyncFile::new(fence.fence())?)
    } else {
        None
    };
    let published: ARef<Fence> = fence.fence().into();
    // Nothing below allocates or waits: the notifier lock is taken in reclaim.
    let _notifier = dev.notifier_lock.lock();
    if userptrs_changed(dev, entries) {
        // Dropped unpublished: the fence and the out-fence file were never seen.
        return Err(EAGAIN);
    }
    for e in entries.iter() {
        let usage = if e.flags & u64::from(uapi::EXEC_OBJECT_WRITE) != 0 {
            Usage::Write
        } else {
            Usage::Read
        };
        // Slots were reserved while locking: this cannot fail.
        exec.locked(&*e.obj)
            .ok_or(EINVAL)?
            .add_fence(fence.fence(), usage)?;
        if let Some(n) = &e.obj.userptr {
            userptr::set_active(n, fence.fence());
        }
    }
    request.take().ok_or(EINVAL)?.queue(fence);
    Ok((out, published))
}

/// Returns whether a userptr's range changed since its pages were pinned (or the debug knob
/// says to pretend one did). Call with the notifier lock held.
fn userptrs_changed(dev: &RegisteredDevice, entries: &[Entry]) -> bool {
    let mut any = false;
    for e in entries.iter() {
        if let (Some(n), Some(seq)) = (&e.obj.userptr, e.seq) {
            any = true;
            if n.read_retry(seq) {
                return true;
            }
        }
    }
    if !any {
        return false;
    }
    let knob = &dev.userptr_force_retry;
    let mut n = knob.load(Relaxed);
    while n > 0 {
        match knob.cmpxchg(n, n - 1, Relaxed) {
            Ok(_) => return true,
            Err(now) => n = now,
        }
    }
    false
}

/// Picks the timeline for the ring selector in `flags`: the engine map slot's if the context
/// has a map, else its timeline on the engine of i915's legacy ring number.
fn select_timeline(ctx: &Context, flags: u64) -> Result<Arc<Timeline>> {
    let ring = (flags & u64::from(uapi::I915_EXEC_RING_MASK)) as usize;
    if let Some(map) = ctx.engines() {
        return map.slots.get(ring).cloned().flatten().ok_or(EINVAL);
    }
    if ring != uapi::I915_EXEC_BSD as usize && flags & u64::from(uapi::I915_EXEC_BSD_MASK) != 0 {
        return Err(EINVAL);
    }
    let id = match ring as u32 {
        uapi::I915_EXEC_DEFAULT | uapi::I915_EXEC_RENDER => EngineId::Rcs0,
        uapi::I915_EXEC_BLT => EngineId::Bcs0,
        // No video engines.
        _ => return Err(EINVAL),
    };
    Ok(ctx.timeline(id).clone())
}

/// Places every object in the context's address space; returns whether any object is not
/// where the user's list said.
fn place(
    ctx: &Context,
    list: &[uapi::drm_i915_gem_exec_object2],
    entries: &mut [Entry],
) -> Result<bool> {
    // The execbuffer's objects (id, entry), sorted by id, made the first time a soft-pinned
    // object is in the way of another.
    let mut mine: Option<KVVec<(u64, usize)>> = None;
    let vm = ctx.vm();
    let mut nodes = vm.nodes.lock();
    let pinned = u64::from(uapi::EXEC_OBJECT_PINNED);
    let mut moved = false;
    // Soft-pinned objects first, so that the others go around them.
    for pass_pinned in [true, false] {
        for k in 0..entries.len() {
            let e = &entries[k];
            if (e.flags & pinned != 0) != pass_pinned {
                continue;
            }
            let id = e.obj.id;
            let l = &list[e.first];
            // SAFETY: Both union members are `u64`s.
            let pad = unsafe { l.__bindgen_anon_1.pad_to_size };
            let size = (e.obj.size() as u64).max(pad);
            let align = l.alignment.max(PAGE_SIZE as u64);
            let limit = if e.flags & u64::from(uapi::EXEC_OBJECT_SUPPORTS_48B_ADDRESS) != 0 {
                VM_SIZE
            } else {
                ZONE_4G - PAGE_SIZE as u64
            };
            let current = nodes.find(id);
            let fits =
                |start: u64, end: u64| start % align == 0 && end - start >= size && end <= limit;
            let offset = if pass_pinned {
                let start = l.offset;
                let end = start.checked_add(size).ok_or(EINVAL)?;
                if start % align != 0 || end > limit {
                    return Err(EINVAL);
                }
                if !matches!(current, Some(n) if n.start == start && n.end >= end) {
                    nodes.remove(id);
                    let mut evict = KVec::new();
                    for other in nodes.overlapping(start, end) {
                        evict.push(other, GFP_KERNEL)?;
                    }
                    for other in evict {
                        let mine = match &mut mine {
                            Some(mine) => mine,
                            None => mine.insert(heapsort::sorted(
                                entries.iter().enumerate().map(|(k, e)| (e.obj.id, k)),
                            )?),
                        };
                        // An object of this execbuffer soft-pinned before this one cannot be
                        // moved out of the way; any other is placed after this one.
                        if let Ok(at) = mine.binary_search_by_key(&other, |&(id, _)| id) {
                            let j = mine[at].1;
                            if j < k && entries[j].flags & pinned != 0 {
                                return Err(ENOSPC);
                            }
                        }
                        nodes.remove(other);
                    }
                    nodes.insert(start, end, id)?;
                }
                start
            } else {
                match current {
                    Some(n) if fits(n.start, n.end) => n.start,
                    _ => {
                        nodes.remove(id);
                        let hint = l.offset;
                        let start = match hint.checked_add(size) {
                            Some(end)
                                if fits(hint, end)
                                    && nodes.overlapping(hint, end).next().is_none() =>
                            {
                                hint
                            }
                            _ => nodes.find_free(size, align, limit)?,
                        };
                        nodes.insert(start, start + size, id)?;
                        start
                    }
                }
            };
            if offset != l.offset {
                moved = true;
            }
            entries[k].offset = offset;
        }
    }
    Ok(moved)
}

/// Applies the relocations of every object: patches the target's address into the object and
/// tells userspace the address it used.
fn relocate(
    dev: &RegisteredDevice,
    list: &[uapi::drm_i915_gem_exec_object2],
    index_of: &[usize],
    entries: &mut [Entry],
    flags: u64,
) -> Result {
    let lut = flags & u64::from(uapi::I915_EXEC_HANDLE_LUT) != 0;
    // The list sorted by handle, made for the first relocation that names its target by handle.
    let mut by_handle: Option<KVVec<(u32, usize)>> = None;
    for (i, l) in list.iter().enumerate() {
        if l.relocation_count == 0 {
            continue;
        }
        if l.relocation_count > MAX_RELOCS {
            return Err(EINVAL);
        }
        let me = index_of[i];
        // Whether the object was found idle for the CPU to write it.
        let mut idle = false;
        let entry_size = size_of::<uapi::drm_i915_gem_relocation_entry>() as u64;
        for r in 0..u64::from(l.relocation_count) {
            if r % CHECKPOINT_EVERY as u64 == 0 {
                checkpoint()?;
            }
            let at = l.relocs_ptr + r * entry_size;
            let reloc: uapi::drm_i915_gem_relocation_entry = user::read(at)?;
            let target = if lut {
                *index_of.get(reloc.target_handle as usize).ok_or(ENOENT)?
            } else {
                let sorted = match &mut by_handle {
                    Some(sorted) => sorted,
                    None => by_handle.insert(heapsort::sorted(
                        list.iter().enumerate().map(|(i, l)| (l.handle, i)),
                    )?),
                };
                // The first index naming the handle, as a linear search would find.
                let at = sorted.partition_point(|&(h, _)| h < reloc.target_handle);
                match sorted.get(at) {
                    Some(&(h, j)) if h == reloc.target_handle => index_of[j],
                    _ => return Err(ENOENT),
                }
            };
            if reloc.write_domain & reloc.write_domain.wrapping_sub(1) != 0 {
                return Err(EINVAL);
            }
            if (reloc.read_domains | reloc.write_domain) & !GPU_DOMAINS != 0 {
                return Err(EINVAL);
            }
            if reloc.write_domain != 0 {
                entries[target].flags |= u64::from(uapi::EXEC_OBJECT_WRITE);
            }
            let target_offset = canonical(entries[target].offset);
            if target_offset == reloc.presumed_offset {
                continue;
            }
            let size = entries[me].obj.size() as u64;
            if size < 8 || reloc.offset > size - 8 || reloc.offset & 3 != 0 {
                return Err(EINVAL);
            }
            let value = canonical(target_offset.wrapping_add(i64::from(reloc.delta as i32) as u64));
            let e = &mut entries[me];
            // Nothing writes a read-only userptr.
            if e.obj.userptr.as_ref().is_some_and(|n| n.data().read_only) {
                return Err(EINVAL);
            }
            // A relocated object is written by the CPU: wait (once, as i915 does) until the
            // engine is done with it.
            e.flags &= !u64::from(uapi::EXEC_OBJECT_ASYNC);
            if !idle {
                dev.interrupts.wait(Site::Relocation, || {
                    gem::resv(&e.obj).wait(Usage::Read, true, FOREVER)
                })?;
                idle = true;
            }
            let pages = e.pages.as_ref().ok_or(EINVAL)?;
            for (k, half) in [value as u32, (value >> 32) as u32].into_iter().enumerate() {
                let offset = reloc.offset + 4 * k as u64;
                pages.with_page((offset / PAGE_SIZE as u64) as usize, |m| {
                    m.write_u32((offset % PAGE_SIZE as u64) as usize, half)
                })?;
            }
            let presumed = at
                + core::mem::offset_of!(uapi::drm_i915_gem_relocation_entry, presumed_offset)
                    as u64;
            // As in i915, a failed write-back is ignored: the relocation is already applied, and
            // failing now would leave the object patched while userspace believes it is not.
            let _ = user::write(presumed, &target_offset);
        }
    }
    Ok(())
}
