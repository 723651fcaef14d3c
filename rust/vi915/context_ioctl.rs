// SPDX-License-Identifier: GPL-2.0

//! The context ioctls.

use kernel::{
    cred::{
        capable,
        Capability, //
    },
    prelude::*,
    sync::atomic::Relaxed,
    uapi, //
};

use crate::{
    context::Context,
    file::{
        RegisteredDevice,
        Vi915DrmFile,
        Vi915File, //
    },
    user::{
        self,
        walk_extensions, //
    },
};

/// `CONTEXT_CREATE_EXT` flags i915 knows.
const CREATE_FLAGS: u32 = uapi::I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS
    | uapi::I915_CONTEXT_CREATE_FLAGS_SINGLE_TIMELINE;

impl Vi915File {
    /// IOCTL: gem_context_create_ext: Create a context, with its own address space; extensions
    /// may set its parameters first.
    pub(crate) fn context_create(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_context_create_ext,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags & !CREATE_FLAGS != 0 {
            return Err(EINVAL);
        }
        let client = &file.inner().client;
        if client.banned() {
            return Err(EIO);
        }
        // A context's requests run in order on each engine; SINGLE_TIMELINE (one order across
        // engines) is accepted as i915 accepts it, and orders nothing more.
        let busy = &file.inner().busy;
        let ctx = Context::new(0, &dev.engines, client, busy, false)?;
        if args.flags & uapi::I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS != 0 {
            walk_extensions(args.extensions, |name, at| match name {
                uapi::I915_CONTEXT_CREATE_EXT_SETPARAM => {
                    let ext: uapi::drm_i915_gem_context_create_ext_setparam = user::read(at)?;
                    if ext.param.ctx_id != 0 {
                        return Err(EINVAL);
                    }
                    set_param(file, &ctx, &ext.param)
                }
                // CLONE was removed from i915; nothing else exists.
                _ => Err(EINVAL),
            })?;
        }
        let params = ctx.params.lock().clone();
        args.ctx_id = file.inner().add_context(|id| {
            let ctx = Context::new(id, &dev.engines, client, busy, false)?;
            *ctx.params.lock() = params.clone();
            Ok(ctx)
        })?;
        Ok(0)
    }

    /// IOCTL: gem_context_destroy: Destroy a context; its requests are cancelled.
    pub(crate) fn context_destroy(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_context_destroy,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.pad != 0 {
            return Err(EINVAL);
        }
        file.inner().remove_context(args.ctx_id)?;
        Ok(0)
    }

    /// IOCTL: get_reset_stats: How many of a context's requests were reset for hanging, and, for
    /// an administrator, how many resets the device has done.
    pub(crate) fn reset_stats(
        dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_reset_stats,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags != 0 || args.pad != 0 {
            return Err(EINVAL);
        }
        let ctx = file.inner().context(args.ctx_id)?;
        args.reset_count = if capable(Capability::SYS_ADMIN) {
            dev.engines.iter().map(|e| e.resets.load(Relaxed)).sum()
        } else {
            0
        };
        args.batch_active = ctx.record.guilty.load(Relaxed);
        // A reset stops only the guilty request: no innocent one is ever lost.
        args.batch_pending = 0;
        Ok(0)
    }

    /// IOCTL: gem_context_getparam: Read a context parameter.
    pub(crate) fn context_getparam(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_context_param,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let ctx = file.inner().context(args.ctx_id)?;
        if args.param == u64::from(uapi::I915_CONTEXT_PARAM_VM) {
            // A new id for the context's address space, each time (as i915 does).
            ctx.mark_used();
            args.value = u64::from(file.inner().add_vm(ctx.vm())?);
            args.size = 0;
            return Ok(0);
        }
        ctx.get_param(args)?;
        Ok(0)
    }

    /// IOCTL: gem_context_setparam: Change a context parameter.
    pub(crate) fn context_setparam(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_context_param,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        let ctx = file.inner().context(args.ctx_id)?;
        set_param(file, &ctx, args)?;
        Ok(0)
    }
}

/// Applies a `CONTEXT_SETPARAM` or a create-time setparam extension to `ctx`, a context of
/// `file`.
fn set_param(
    file: &Vi915DrmFile,
    ctx: &Context,
    args: &uapi::drm_i915_gem_context_param,
) -> Result {
    if args.param != u64::from(uapi::I915_CONTEXT_PARAM_VM) {
        return ctx.set_param(args);
    }
    // An address space of the file; looked up first, its error reported after set_vm's checks.
    let vm = u32::try_from(args.value)
        .map_err(|_| ENOENT)
        .and_then(|id| file.inner().vm(id));
    ctx.set_vm(args.size, vm)
}
