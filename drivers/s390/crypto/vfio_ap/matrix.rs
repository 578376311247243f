// SPDX-License-Identifier: GPL-2.0

//! The `matrix` device: the parent of all vfio_ap mediated devices.
//!
//! It sits at `/sys/devices/vfio_ap/matrix`, on its own bus `matrix`, bound
//! to a driver named `vfio_ap` (the mdev type directory is named after that
//! driver: `vfio_ap-passthrough`).

#![deny(unsafe_code)]

use core::fmt::Write;
use kernel::{device::Device, prelude::*};

use crate::abstractions::{
    device::{BusRegistration, DriverRegistration, RootDevice},
    mdev::ParentDevice,
    sysfs::{attribute_groups, DeviceAttribute, Show, ShowBuffer},
};

/// The capabilities user space can detect, as the upstream driver lists them.
const FEATURES: &str = "guest_matrix hotplug ap_config\n";

struct Features;

impl Show for Features {
    fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        buf.write_str(FEATURES).map_err(|_| EINVAL)
    }
}

static FEATURES_ATTR: DeviceAttribute = DeviceAttribute::read_only::<Features>(c"features");

attribute_groups! {
    static MATRIX_GROUPS = [FEATURES_ATTR];
}

/// The registered root device, bus, matrix device and matrix driver.
///
/// Fields drop in declaration order, which is the reverse of registration.
/// The matrix device's allocation also holds the mdev driver, parent and
/// type (upstream embeds them in its matrix device too), freed when the
/// last mdev and the type let go of it.
pub(crate) struct MatrixDevice {
    _driver: DriverRegistration,
    device: ParentDevice,
    _bus: BusRegistration,
    _root: RootDevice,
}

impl MatrixDevice {
    /// The `matrix` device (the parent of the mdevs).
    pub(crate) fn device(&self) -> &ParentDevice {
        &self.device
    }

    /// Registers the whole structure; on error, undoes what was done.
    pub(crate) fn create(module: &'static ThisModule) -> Result<Self> {
        let root = RootDevice::register(c"vfio_ap", module)?;
        let bus = BusRegistration::register(c"matrix")?;
        let device = ParentDevice::register(c"matrix", &root, &bus)?;
        let driver = DriverRegistration::register(c"vfio_ap", &bus, &MATRIX_GROUPS)?;
        Ok(Self {
            _driver: driver,
            device,
            _bus: bus,
            _root: root,
        })
    }
}
