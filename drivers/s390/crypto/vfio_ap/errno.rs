// SPDX-License-Identifier: GPL-2.0

//! The model's errors as the kernel's: the one conversion, so that `?`
//! carries a model error out of any kernel function.

#![deny(unsafe_code)]

use kernel::prelude::*;

use crate::model::error::Error as ModelError;

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Self {
        Error::from_errno(-e.errno())
    }
}
