#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# build-helpers.sh DIR [DEP...]
#
# Builds the static s390x guest helper programs of a suite: each DIR/*.c
# becomes DIR/NAME next to its source. The helpers use no libc but
# nolibc.h (next to this script), so the project's clang (tools/lib.sh
# installs clang and lld with LLVM_SUFFIX, default -19) or any s390x
# compiler that takes these flags (CC, e.g. s390x-linux-gnu-gcc) builds
# them. Prints nothing on success; rebuilds a program only when its source,
# DIR/build.sh, nolibc.h, this script or a DEP (a path relative to DIR) is
# newer than it. Exits non-zero when a build fails; -Werror makes a warning
# one.
set -e
lib=$(cd "$(dirname "$0")" && pwd)
cd "$1"
shift
if [ -n "${CC:-}" ]; then
	cc="$CC"
else
	cc="clang${LLVM_SUFFIX:--19} --target=s390x-linux-gnu -fuse-ld=lld"
fi
for src in *.c; do
	prog=${src%.c}
	fresh=1
	for dep in "$src" build.sh "$lib/nolibc.h" "$lib/build-helpers.sh" "$@"; do
		[ "$prog" -nt "$dep" ] || fresh=0
	done
	[ $fresh = 1 ] && continue
	$cc -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
		-fno-asynchronous-unwind-tables -O2 -Wall -Werror -o "$prog.tmp" "$src"
	mv "$prog.tmp" "$prog"
done
