# SPDX-License-Identifier: GPL-2.0
# The Rust vfio_ap module, out of tree. Kbuild reads ./Kbuild; this Makefile
# is the front door for people:
#
#   make              build vfio_ap.ko (against KDIR, default: our guest kernel)
#   make demo         build everything, boot the s390x VM, walk the worked example
#   make test         the full test suite (host and VM tests)
#   make bench        C-vs-Rust benchmark table (one VM, both modules)
#   make soak         the long runs: 100 load/unload cycles on both modules
#                     (SOAK_CYCLES=N for another length), and the robustness
#                     suite's long form (ROBUSTNESS_WRITES, ROBUSTNESS_SECONDS)
#   make check        rustfmt and clippy on the host crate
#   make docs         the HTML documentation (pinned Sphinx, warnings fail)
#   make clean
#   make check-kernel KDIR=...  can that kernel tree take the module? (why not)
#   make install [KDIR=...]     build, install into lib/modules/RELEASE/updates,
#                               depmod (INSTALL_MOD_PATH: a staging root)
#   make uninstall [KDIR=...]   remove it again
#
# KDIR=/path/to/kernel/build builds against your own kernel tree; it needs
# CONFIG_RUST=y and CONFIG_VFIO_AP=m, built with the same rustc.

.PHONY: modules demo test check docs clean check-kernel install uninstall bench soak soak-lifecycle soak-robustness

modules:
	tools/build-module.sh

demo:
	tools/demo.sh

test:
	tools/test.sh

bench:
	tools/bench/run.sh

check:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings

docs:
	tools/docs/build.sh

clean:
	tools/build-module.sh clean
	rm -rf target

check-kernel:
	tools/check-kernel.sh "$(KDIR)"

install:
	tools/install.sh install

uninstall:
	tools/install.sh uninstall

# The long runs, each behind its own target.
soak: soak-lifecycle soak-robustness

soak-lifecycle:
	tools/soak-lifecycle.sh

soak-robustness:
	tools/soak-robustness.sh
