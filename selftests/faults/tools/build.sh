#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the suite's static s390x helper programs next to their sources
# (see ../../lib/build-helpers.sh: no libc, CC overrides the compiler).
# Prints nothing on success.
exec "$(dirname "$0")/../../lib/build-helpers.sh" "$(dirname "$0")"
