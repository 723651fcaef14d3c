// SPDX-License-Identifier: GPL-2.0

//! GEM buffer objects.

use kernel::{
    drm::gem,
    prelude::*, //
};

use crate::driver::{
    Vi915Device,
    Vi915Driver, //
};

/// Driver data of a vi915 GEM object.
#[pin_data]
pub(crate) struct Bo {}

impl gem::DriverObject for Bo {
    type Driver = Vi915Driver;
    type Args = ();

    fn new(_dev: &Vi915Device, _size: usize, _args: ()) -> impl PinInit<Self, Error> {
        try_pin_init!(Bo {})
    }
}
