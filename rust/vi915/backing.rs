// SPDX-License-Identifier: GPL-2.0

//! Objects' pages as the engine reaches them: pinned (or mapped) for as long as a request or an
//! ioctl needs them, and placed in an address space.

use kernel::{
    page::shared::SharedMap,
    prelude::*,
    sync::{
        aref::ARef,
        Arc, //
    },
};

use crate::{
    gem::{
        self,
        Object,
        Pages,
        Vmap, //
    },
    userptr::PinnedSet, //
};

/// The pages behind an object, pinned (or, for an import, mapped) for as long as this lives.
pub(crate) enum Backing {
    /// A shmem object's pages.
    Shmem(Pages),
    /// The pages of another device's dma-buf, which are the exporter's to pin: mapped instead.
    Import(Vmap),
    /// A userptr object's pages.
    User {
        pages: Arc<PinnedSet>,
        /// Held so that the object's notifier watches the range while the request lives.
        _object: ARef<Object>,
    },
}

impl Backing {
    /// Pins the pages of `obj`, an object other than a userptr (see [`gem::pin_pages`]), or maps
    /// them if it imports another device's dma-buf.
    pub(crate) fn pin(obj: &Object) -> Result<Self> {
        if obj.is_imported() {
            Ok(Backing::Import(obj.owned_vmap()?))
        } else {
            Ok(Backing::Shmem(gem::pin_pages(obj)?))
        }
    }

    /// Runs `f` on page `index`, mapped for the current thread; `EFAULT` past the last page.
    pub(crate) fn with_page<R>(
        &self,
        index: usize,
        f: impl FnOnce(&SharedMap<'_>) -> Result<R>,
    ) -> Result<R> {
        match self {
            Backing::Shmem(p) => SharedMap::with(&*p.page(index).ok_or(EFAULT)?, f),
            Backing::Import(map) => map.with_page(index, f).ok_or(EFAULT)?,
            Backing::User { pages, .. } => SharedMap::with(&*pages.page(index).ok_or(EFAULT)?, f),
        }
    }
}

/// How an object appears in a request's address space.
pub(crate) struct Mapping {
    /// GPU address of the object's first byte.
    pub(crate) start: u64,
    /// Size in bytes.
    pub(crate) size: u64,
    /// The object's pages.
    pub(crate) pages: Backing,
    /// Whether commands may write it.
    pub(crate) writable: bool,
}
