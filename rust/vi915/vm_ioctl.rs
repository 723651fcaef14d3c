// SPDX-License-Identifier: GPL-2.0

//! The address-space ioctls: `VM_CREATE` and `VM_DESTROY`, in i915's order with i915's errors.
//! A context takes an address space through `I915_CONTEXT_PARAM_VM` (`context_ioctl.rs`).

use kernel::{
    prelude::*,
    uapi, //
};

use crate::{
    file::{
        RegisteredDevice,
        Vi915DrmFile,
        Vi915File, //
    },
    user::walk_extensions,
    vm::Vm, //
};

impl Vi915File {
    /// IOCTL: gem_vm_create: Create an address space and name it in the file.
    pub(crate) fn vm_create(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_vm_control,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags != 0 {
            return Err(EINVAL);
        }
        let vm = Vm::new()?;
        // No extension exists: the first is refused, once it is readable.
        walk_extensions(args.extensions, |_, _| Err(EINVAL))?;
        args.vm_id = file.inner().add_vm(vm)?;
        Ok(0)
    }

    /// IOCTL: gem_vm_destroy: Forget an address space's id; the contexts using it keep it.
    pub(crate) fn vm_destroy(
        _dev: &RegisteredDevice,
        _reg: &(),
        args: &mut uapi::drm_i915_gem_vm_control,
        file: &Vi915DrmFile,
    ) -> Result<u32> {
        if args.flags != 0 || args.extensions != 0 {
            return Err(EINVAL);
        }
        file.inner().remove_vm(args.vm_id)?;
        Ok(0)
    }
}
