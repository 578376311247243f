#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the suite's static s390x helper programs next to their sources,
# with the project's clang (tools/lib.sh installs clang-19 and lld-19); the
# helpers use no libc. Prints nothing on success; rebuilds only when a
# source is newer than its program. CC overrides the compiler (any s390x
# compiler that takes these flags, e.g. s390x-linux-gnu-gcc).
set -e
cd "$(dirname "$0")"
if [ -n "$CC" ]; then
	cc="$CC"
else
	cc="clang-19 --target=s390x-linux-gnu -fuse-ld=lld"
fi
for src in *.c; do
	prog=${src%.c}
	[ "$prog" -nt "$src" ] && [ "$prog" -nt build.sh ] && continue
	$cc -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
		-fno-asynchronous-unwind-tables -O2 -Wall -Werror -o "$prog.tmp" "$src"
	mv "$prog.tmp" "$prog"
done
