// SPDX-License-Identifier: GPL-2.0

//! GEM buffer objects: shmem-backed, with i915's per-object bookkeeping.

use kernel::{
    dma_buf::resv::{
        DmaResv,
        Locked, //
    },
    drm::{
        self,
        gem::{
            self,
            shmem,
            BaseObject, //
        },
        Device, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex, //
    },
    uapi, //
};

use crate::{
    driver::{
        Vi915Device,
        Vi915Driver, //
    },
    file::{
        Vi915DrmFile,
        Vi915File, //
    },
    stats::Stats,
    userptr,
};

/// A vi915 GEM object.
pub(crate) type Object = shmem::Object<Bo>;
/// A vi915 GEM object's pinned pages.
pub(crate) type Pages = shmem::PinnedPages<Bo>;
/// A kernel mapping of a whole vi915 GEM object.
pub(crate) type Vmap = shmem::VMapOwned<Bo>;

/// Tiling bookkeeping (`SET_TILING`/`GET_TILING`); the engine always sees linear memory.
#[derive(Clone, Copy, Default)]
pub(crate) struct Tiling {
    /// `I915_TILING_*`.
    pub(crate) mode: u32,
    /// Row pitch in bytes; 0 when linear.
    pub(crate) stride: u32,
}

/// What `I915_GEM_MADVISE` last said about an object, or that its pages were purged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Madv {
    /// `I915_MADV_WILLNEED`: the contents must be kept.
    WillNeed,
    /// `I915_MADV_DONTNEED`: the pages may be purged when idle.
    DontNeed,
    /// The pages were purged; the object stays so for good.
    Purged,
}

impl Madv {
    fn from_raw(raw: u32) -> Self {
        match raw {
            0 => Madv::WillNeed,
            1 => Madv::DontNeed,
            _ => Madv::Purged,
        }
    }
}

/// Where a new object's pages come from: the arguments of [`Bo`]'s initializer.
pub(crate) enum Source {
    /// Its own shmem file.
    Shmem,
    /// A user address range, watched by this notifier.
    Userptr(Pin<KBox<userptr::Range>>),
    /// Another device's dma-buf.
    Import,
}

/// Driver data of a vi915 GEM object.
#[pin_data(PinnedDrop)]
pub(crate) struct Bo {
    /// Unique for the device's life: names the object in address spaces without a reference.
    pub(crate) id: u64,
    /// Size in bytes.
    size: u64,
    /// A [`Madv`]; changed only under the object's reservation lock.
    madv: Atomic<u32>,
    /// Whether i915 would hold the object's pages: the engine used it, or `SET_DOMAIN` moved it
    /// to the CPU, since it was created. `DONTNEED` purges an object without pages at once.
    attached: Atomic<bool>,
    /// The device's object statistics.
    stats: Arc<Stats>,
    /// `I915_CACHING_*` as `GET_CACHING` reports it.
    pub(crate) caching: Atomic<u32>,
    #[pin]
    pub(crate) tiling: Mutex<Tiling>,
    /// For a userptr object, its range, notifier and pinned pages.
    pub(crate) userptr: Option<Pin<KBox<userptr::Range>>>,
    /// Whether the object imports another device's dma-buf, whose pages are the exporter's.
    imported: bool,
}

impl gem::DriverObject for Bo {
    type Driver = Vi915Driver;
    type Args = Source;

    fn new(dev: &Vi915Device, size: usize, source: Self::Args) -> impl PinInit<Self, Error> {
        let bytes = size as u64;
        let (userptr, imported) = match source {
            Source::Shmem => (None, false),
            Source::Userptr(range) => (Some(range), false),
            Source::Import => (None, true),
        };
        try_pin_init!(Bo {
            id: dev.next_object_id.fetch_add(1, Relaxed),
            size: bytes,
            madv: Atomic::new(Madv::WillNeed as u32),
            attached: Atomic::new(false),
            // Counted as the initializer runs: from here on the drop un-counts it.
            stats: {
                dev.stats.created(bytes);
                dev.stats.clone()
            },
            caching: Atomic::new(uapi::I915_CACHING_CACHED),
            tiling <- kernel::new_mutex!(Tiling::default()),
            userptr,
            imported,
        })
    }

    fn dumb_args() -> Option<Self::Args> {
        // i915 has dumb buffers: objects like GEM_CREATE's.
        Some(Source::Shmem)
    }

    fn import_args() -> Option<Self::Args> {
        // i915 imports other devices' dma-bufs as objects of their own.
        Some(Source::Import)
    }

    fn export(obj: &Object) -> Result {
        // i915 refuses to export userptr objects.
        if obj.userptr.is_some() {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn close(obj: &Object, file: &drm::File<Vi915File>) {
        // i915 unbinds the object from the file's address spaces when a handle is closed.
        file.inner().unbind(obj.id);
    }
}

impl Bo {
    /// Returns what `MADVISE` last said, or [`Madv::Purged`].
    pub(crate) fn madv(&self) -> Madv {
        Madv::from_raw(self.madv.load(Relaxed))
    }

    /// Whether the object counts as purgeable in [`Stats`] when its state is `madv`.
    fn purgeable(&self, madv: Madv) -> bool {
        madv == Madv::DontNeed && self.userptr.is_none() && !self.imported
    }

    /// Sets the state; the caller holds the object's reservation lock (`_resv`).
    pub(crate) fn set_madv(&self, _resv: &Locked<'_>, madv: Madv) {
        let old = Madv::from_raw(self.madv.xchg(madv as u32, Relaxed));
        match (self.purgeable(old), self.purgeable(madv)) {
            (false, true) => self.stats.purgeable(self.size, true),
            (true, false) if madv == Madv::Purged => self.stats.purged(self.size),
            (true, false) => self.stats.purgeable(self.size, false),
            _ => {}
        }
    }

    /// Whether the object's pages are attached (see [`Bo::attach`]).
    pub(crate) fn attached(&self) -> bool {
        self.attached.load(Relaxed)
    }

    /// Records that the engine or the CPU domain needed the pages, as i915 would keep them.
    pub(crate) fn attach(&self) {
        self.attached.store(true, Relaxed);
    }
}

#[pinned_drop]
impl PinnedDrop for Bo {
    fn drop(self: Pin<&mut Self>) {
        self.stats.freed(self.size, self.purgeable(self.madv()));
        if let Some(range) = self.project().userptr.take() {
            userptr::Range::release(range);
        }
    }
}

/// Creates an object of `size` bytes (rounded up to pages) and a handle for it in `file`.
///
/// Returns the handle and the rounded size. Sizes are checked as i915 checks them: 0 (or one that
/// rounds past `u64::MAX`) is `EINVAL`, one beyond the largest shmem file `E2BIG`.
pub(crate) fn create(
    dev: &Device<Vi915Driver>,
    file: &Vi915DrmFile,
    size: u64,
) -> Result<(u32, u64)> {
    let size = match size.checked_add(kernel::page::PAGE_SIZE as u64 - 1) {
        Some(s) => s & !(kernel::page::PAGE_SIZE as u64 - 1),
        None => 0,
    };
    if size == 0 {
        return Err(EINVAL);
    }
    // i915 refuses objects larger than their memory region: system memory, all of the RAM.
    if size > kernel::mm::total_ram_bytes() {
        return Err(E2BIG);
    }
    let size = usize::try_from(size).map_err(|_| E2BIG)?;
    let obj = Object::new(dev, size, shmem::ObjectConfig::default(), Source::Shmem)?;
    let handle = obj.create_handle(file)?;
    Ok((handle, size as u64))
}

/// Looks up `handle` in `file`: `ENOENT` if it names nothing, as i915 answers.
pub(crate) fn lookup(file: &Vi915DrmFile, handle: u32) -> Result<ARef<Object>> {
    Object::lookup_handle(file, handle)
}

/// Pins a shmem object's pages. Like i915, reports shmem's `ENOSPC` (no memory to charge the
/// pages to) as `ENOMEM`: `ENOSPC` means no room in an address space.
pub(crate) fn pin_pages(obj: &Object) -> Result<Pages> {
    obj.pin_pages()
        .map_err(|e| if e == ENOSPC { ENOMEM } else { e })
}

/// Returns the object's reservation object.
pub(crate) fn resv(obj: &Object) -> &DmaResv {
    obj.resv()
}
