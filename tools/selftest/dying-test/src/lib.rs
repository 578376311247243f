// SPDX-License-Identifier: GPL-2.0

//! Nothing to build: the tests are under `tests/`.
