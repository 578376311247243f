#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the s390x test VM under QEMU TCG and run test scripts inside it.

Builds an initramfs (busybox, the guest kernel's modules with the vfio_ap
module under test, the selftests), boots it, answers the guest's host
requests (QMP commands) and collects TAP output, transcripts and dmesg.

Exit status: 0 when every test passed, the guest ran to the end and its log
has no oops, BUG, WARNING or lockdep report; 1 otherwise.
"""

import argparse
import base64
import gzip
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("VFIO_AP_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vfio-ap-rs")

# Guest log lines that fail a run however the tests went.
SPLATS = re.compile(
    r"(WARNING:|BUG:|Oops|Kernel panic|kernel BUG|general protection|"
    r"possible recursive locking|possible circular locking|"
    r"inconsistent lock state|suspicious RCU usage|"
    r"INFO: task .* blocked|Unable to handle kernel|UBSAN:|"
    r"KASAN:|kmemleak: [0-9]+ new suspected memory leak|unreferenced object 0x|Call Trace:|refcount_t:|list_add corruption|"
    r"list_del corruption|stack-protector)")

# kmemleak's line in the kernel log after a scan that found leaks.
KMEMLEAK_SUMMARY = re.compile(r"kmemleak: [0-9]+ new suspected memory leak")

TAP_LINE = re.compile(r"^(not ok|ok) (\d+)\b(.*)$")
# TAP's TODO directive: a test point for a known, not yet done behaviour.
TODO = re.compile(r"#\s*TODO\b", re.IGNORECASE)
# TAP's SKIP directive: a test point that did not run; never a pass.
SKIP = re.compile(r"#\s*SKIP\b", re.IGNORECASE)
# TAP's bail-out: the script gave up (e.g. the wrong module is loaded).
BAIL_OUT = re.compile(r"^Bail out!")


def log(msg):
    print(f"[vm] {msg}", file=sys.stderr, flush=True)


def kernel_release(kdir):
    with open(os.path.join(kdir, "include/config/kernel.release")) as f:
        return f.read().strip()


def kmake(kdir, *args):
    env = dict(os.environ)
    # The LLVM toolchain the kernel was built with (as tools/lib.sh).
    llvm = os.environ.get("LLVM_SUFFIX", "-19")
    cmd = ["make", "-C", kdir, "ARCH=s390", f"LLVM={llvm}", "-s"] + list(args)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def build_initramfs(args, work):
    """Lays out the guest's root file system and packs it; returns the path."""
    root = os.path.join(work, "root")
    krel = kernel_release(args.kdir)
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy2(args.busybox, os.path.join(root, "bin/busybox"))
    shutil.copy2(os.path.join(TOP, "tools/vm/init.sh"), os.path.join(root, "init"))
    os.chmod(os.path.join(root, "init"), 0o755)

    # The kernel's own modules, then the module under test.
    kmake(args.kdir, f"INSTALL_MOD_PATH={root}", "INSTALL_MOD_STRIP=1", "modules_install")
    moddir = os.path.join(root, "lib/modules", krel)
    intree = os.path.join(moddir, "kernel/drivers/s390/crypto/vfio_ap.ko")
    if args.module == "ours":
        # Installed as an administrator does (make install: modules_install
        # into updates/, depmod), by the install script of the tree the
        # module was built in; the kernel's own vfio_ap.ko stays, and
        # modprobe must prefer ours (lib/vm.sh checks which it resolves).
        env = dict(os.environ, KDIR=args.kdir, INSTALL_MOD_PATH=root)
        tree = os.path.dirname(os.path.abspath(args.ko))
        r = subprocess.run([os.path.join(tree, "tools/install.sh"), "install", "--no-build"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            raise SystemExit(f"installing {args.ko} (tools/install.sh) failed")
    elif args.module == "none":
        if os.path.exists(intree):
            os.unlink(intree)
    subprocess.run(["depmod", "-b", root, krel], check=True)
    # Extra files (e.g. a second vfio_ap.ko for insmod by path), outside the
    # module tree so that modprobe does not see them.
    for spec in args.stage:
        src, _, dest = spec.partition(":")
        target = os.path.join(root, dest.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target)

    # The test scripts and the list of those to run.
    shutil.copytree(os.path.join(TOP, "selftests"), os.path.join(root, "selftests"),
                    ignore=shutil.ignore_patterns("*.o", "__pycache__", "*.tmp", "*.old"))
    with open(os.path.join(root, "selftests/run-list"), "w") as f:
        for t in args.tests:
            f.write(t + "\n")

    img = os.path.join(work, "initramfs.cpio.gz")
    names = subprocess.run(["find", "."], cwd=root, check=True, capture_output=True).stdout
    cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "--owner=0:0"], cwd=root,
                          input=names, check=True, capture_output=True).stdout
    with gzip.open(img, "wb", compresslevel=1) as f:
        f.write(cpio)
    return img


class Qmp:
    """A minimal QMP client over the VM's UNIX socket."""

    def __init__(self, path, deadline, proc):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                # QEMU that exited (a bad option, say) never opens it.
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self._read()  # greeting
        self.command({"execute": "qmp_capabilities"})

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, cmd):
        """Sends one command; returns (ok, reply) skipping events."""
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self._read()
            if "return" in msg:
                return True, msg["return"]
            if "error" in msg:
                return False, msg["error"]


class Run:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.console = open(os.path.join(args.out, "console.log"), "w")
        self.tap = []          # (script, line)
        self.transcript = []
        self.dmesg = []
        self.in_dmesg = False
        self.kmemleak = None   # [[line, ...], ...] once a report was read
        self.in_kmemleak_done = False
        self.script = None
        self.script_exit = {}
        self.began = False
        self.ended = False
        self.qmp = None
        self.proc = None

    def handle_host(self, proc, seq, req):
        verb, _, rest = req.partition(" ")
        ok, reply = False, {"desc": f"unknown host request {verb!r}"}
        if verb == "qmp":
            try:
                ok, reply = self.qmp.command(json.loads(rest))
            except (ValueError, OSError, EOFError) as e:
                ok, reply = False, {"desc": str(e)}
        elif verb == "sleep":
            time.sleep(float(rest))
            ok, reply = True, {}
        self.console.write(f"@@HOST-REPLY@@ {seq} {ok} {json.dumps(reply)}\n")
        ack = f"@@ACK@@ {seq} {0 if ok else 1} {json.dumps(reply, separators=(',', ':'))}\n"
        proc.stdin.write(ack.encode())
        proc.stdin.flush()

    def line(self, proc, text):
        self.console.write(text + "\n")
        self.console.flush()
        if self.args.verbose:
            print(text, file=sys.stderr)
        if text.startswith("@@BEGIN@@"):
            self.began = True
            return
        if text == "@@END@@":
            self.ended = True
            return
        if text == "@@DMESG-BEGIN@@":
            self.in_dmesg = True
            return
        if text == "@@DMESG-END@@":
            self.in_dmesg = False
            return
        if self.in_dmesg:
            self.dmesg.append(text)
            return
        # kmemleak's report (debug kernel): one entry per unreferenced
        # object, its lines up to the next one.
        if text == "@@KMEMLEAK-BEGIN@@":
            self.kmemleak = []
            return
        if text == "@@KMEMLEAK-END@@":
            self.in_kmemleak_done = True
            return
        if self.kmemleak is not None and not self.in_kmemleak_done:
            if text.startswith("unreferenced object "):
                self.kmemleak.append([text])
            elif self.kmemleak:
                self.kmemleak[-1].append(text)
            return
        m = re.match(r"^@@HOST@@ (\d+) (.*)$", text)
        if m:
            self.handle_host(proc, m.group(1), m.group(2))
            return
        if text.startswith("@@TEST@@ "):
            self.script = text.split(" ", 1)[1]
            return
        if text.startswith("@@TEST-EXIT@@ "):
            _, name, code = text.split(" ")
            self.script_exit[name] = int(code)
            self.script = None
            return
        if text.startswith("@@T@@ "):
            self.transcript.append(f"{self.script}: {text[6:]}")
            return
        if self.script:
            self.tap.append((self.script, text))

    def boot(self, initrd):
        a = self.args
        qmp_path = os.path.join(self.work, "qmp.sock")
        # KUnit is built in but off by default (the kernel config's
        # defaults): on, test-only modules with KUnit suites (the kunit
        # suite's) run them when they load. The kernel has no suites of
        # its own, so other runs are unchanged.
        append = (f"console=ttysclp0 panic=-1 vmtest.module={a.module} "
                  "kunit.enable=1 kunit.autorun=1 kunit.filter_glob=vfio_ap_model_* " + " ".join(a.append))
        cmd = [a.qemu, "-M", "s390-ccw-virtio", "-cpu", "max", "-smp", "2", "-m", "1024",
               "-nodefaults", "-display", "none", "-no-reboot",
               "-chardev", "stdio,id=con0,signal=off", "-device", "sclpconsole,chardev=con0",
               "-qmp", f"unix:{qmp_path},server=on,wait=off",
               "-kernel", os.path.join(a.kdir, "arch/s390/boot/bzImage"),
               "-initrd", initrd, "-append", append]
        if os.path.isdir("/usr/share/qemu"):
            cmd += ["-L", "/usr/share/qemu"]
        cmd += a.qemu_arg
        with open(os.path.join(a.out, "qemu-cmdline.txt"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        log(f"booting {os.path.basename(a.qemu)} ({a.module} module): {' '.join(a.tests)}")
        start = time.time()
        deadline = start + a.timeout
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=open(os.path.join(a.out, "qemu-stderr.log"), "w"))
        self.proc = proc
        try:
            self.qmp = Qmp(qmp_path, deadline, proc)
        except OSError as e:
            log(f"cannot connect to QMP: {e}")
        pending = b""
        timed_out = False
        while True:
            left = deadline - time.time()
            if left <= 0:
                timed_out = True
                break
            r, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
            if r:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                while b"\n" in pending:
                    raw, pending = pending.split(b"\n", 1)
                    self.line(proc, raw.decode("utf-8", "replace").rstrip("\r"))
            elif proc.poll() is not None:
                break
            if self.ended:
                break
        if pending:
            self.line(proc, pending.decode("utf-8", "replace"))
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.console.close()
        log(f"VM ran {time.time() - start:.1f} s")
        return timed_out

    def report(self, timed_out):
        a = self.args
        failed = 0
        passed = 0
        problems = []
        todo = []
        with open(os.path.join(a.out, "tap.txt"), "w") as f:
            for script, text in self.tap:
                f.write(f"{script}: {text}\n")
        with open(os.path.join(a.out, "transcript.txt"), "w") as f:
            f.write("".join(t + "\n" for t in self.transcript))
        with open(os.path.join(a.out, "dmesg.txt"), "w") as f:
            f.write("".join(t + "\n" for t in self.dmesg))
        skipped = 0
        scripts = {}
        for script in a.tests:
            lines = [t for s, t in self.tap if s == script]
            sc = {"passed": 0, "failed": 0, "skipped": 0, "todo": 0, "problems": []}
            scripts[script] = sc

            def fail(why, sc=sc, script=script):
                sc["failed"] += 1
                sc["problems"].append(why)
                problems.append(f"{script}: {why}")

            plan = None
            seen = 0
            bailed = False
            for t in lines:
                m = re.match(r"^1\.\.(\d+)", t)
                if m:
                    plan = int(m.group(1))
                if BAIL_OUT.match(t):
                    bailed = True
                    fail(t)
                m = TAP_LINE.match(t)
                if not m:
                    continue
                seen += 1
                if TODO.search(t):
                    if m.group(1) == "ok":
                        # A listed known gap that passes: the list is stale,
                        # and a stale entry would hide a later regression.
                        fail(f"{t} (a TODO point that passes: remove it from the list)")
                    else:
                        # A known gap, reported but not failing the run.
                        sc["todo"] += 1
                        todo.append(f"{script}: {t}")
                elif m.group(1) == "ok" and SKIP.search(t):
                    sc["skipped"] += 1
                elif m.group(1) == "ok":
                    sc["passed"] += 1
                else:
                    fail(t)
            if sc["skipped"] and sc["skipped"] == seen:
                fail("every test point skipped")
            if script not in self.script_exit:
                fail("did not finish")
            elif self.script_exit[script] != 0 and not sc["failed"]:
                fail(f"exited {self.script_exit[script]}")
            if bailed:
                pass  # the bail-out says why the plan was not run
            elif plan is None:
                fail("no TAP plan")
            elif plan != seen:
                fail(f"planned {plan} tests, ran {seen}")
            passed += sc["passed"]
            failed += sc["failed"]
            skipped += sc["skipped"]
        if not passed and not failed:
            # Nothing ran, or everything skipped: the run tested nothing.
            problems.append("no test point passed")
            failed += 1
        if timed_out:
            problems.append(f"timeout after {a.timeout} s")
        if not self.began:
            problems.append("the guest never reached /init")
        elif not self.ended:
            problems.append("the guest did not run to the end")
        splats = [t for t in self.dmesg if SPLATS.search(t)]
        if self.kmemleak is not None:
            # The report is checked object by object (below), so the
            # kernel's summary line of it is not a splat by itself.
            splats = [t for t in splats if not KMEMLEAK_SUMMARY.search(t)]
            known = [re.compile(k) for k in a.known_leak]
            for obj in self.kmemleak:
                text = "\n".join(obj)
                match = [k.pattern for k in known if k.search(text)]
                if match:
                    log(f"known leak ({match[0]}): {obj[0]}")
                else:
                    trace = [t.strip() for t in obj if "+0x" in t][:6]
                    problems.append(f"kmemleak: {obj[0]} {' < '.join(trace)}")
        if not self.ended:
            # No dmesg dump: look for what the console caught.
            with open(os.path.join(a.out, "console.log")) as f:
                splats += [t.rstrip() for t in f if SPLATS.search(t)]
        for t in splats[:20]:
            problems.append(f"guest log: {t}")
        for t in todo:
            log(f"TODO: {t}")
        for p in problems:
            log(f"FAIL: {p}")
        ok = not problems
        log(f"{passed} passed, {failed} failed, {skipped} skipped, {len(todo)} todo"
            + ("" if ok else " (run failed)") + f"; logs in {a.out}")
        with open(os.path.join(a.out, "result.json"), "w") as f:
            json.dump({"passed": passed, "failed": failed, "skipped": skipped, "todo": todo,
                       "ok": ok, "problems": problems, "scripts": scripts}, f)
        return ok


def default_qemu():
    script = os.path.join(TOP, "tools/qemu/build.sh")
    out = subprocess.run(["bash", script], check=True, stdout=subprocess.PIPE,
                         text=True).stdout.strip().splitlines()
    return out[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tests", nargs="+", help="test scripts, relative to selftests/")
    p.add_argument("--kdir", default=os.path.join(CACHE, "kernel/current"),
                   help="guest kernel build directory")
    p.add_argument("--qemu", help="qemu-system-s390x (default: built by tools/qemu/build.sh)")
    p.add_argument("--busybox", help="static s390x busybox")
    p.add_argument("--module", choices=["ours", "upstream", "none"], default="ours",
                   help="which vfio_ap.ko the guest gets")
    p.add_argument("--ko", default=os.path.join(TOP, "vfio_ap.ko"), help="our vfio_ap.ko, built in a tree of this project (whose "
                        "tools/install.sh installs it)")
    p.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument")
    p.add_argument("--append", action="append", default=[], help="extra kernel argument")
    p.add_argument("--known-leak", action="append", default=[], metavar="REGEX",
                   help="a kmemleak object whose report matches REGEX is a known leak of "
                   "the module under test (listed, not a failure)")
    p.add_argument("--stage", action="append", default=[], metavar="FILE:PATH",
                   help="copy FILE into the guest at PATH")
    p.add_argument("--timeout", type=float, default=300, help="seconds for the whole run")
    p.add_argument("--out", help="directory for logs (default: a new one under the cache)")
    p.add_argument("-v", "--verbose", action="store_true", help="echo the console")
    a = p.parse_args()

    for t in a.tests:
        if not os.path.isfile(os.path.join(TOP, "selftests", t)):
            p.error(f"no test script selftests/{t}")
    if not a.busybox:
        found = sorted(d for d in os.listdir(CACHE) if d.startswith("busybox-s390x-"))
        if not found:
            p.error("no busybox: run tools/bootstrap.sh")
        a.busybox = os.path.join(CACHE, found[-1], "bin/busybox")
    if a.module == "ours" and not os.path.isfile(a.ko):
        p.error(f"no module at {a.ko}: build it first (tools/build-module.sh)")
    a.kdir = os.path.realpath(a.kdir)
    if not a.qemu:
        a.qemu = default_qemu()
    if not a.out:
        os.makedirs(os.path.join(CACHE, "runs"), exist_ok=True)
        a.out = tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"),
                                 dir=os.path.join(CACHE, "runs"))
    os.makedirs(a.out, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="vfio-ap-vm-") as work:
        initrd = build_initramfs(a, work)
        run = Run(a, work)
        # A runner that is stopped (SIGTERM) takes its QEMU with it.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            timed_out = run.boot(initrd)
        finally:
            if run.proc and run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
        ok = run.report(timed_out)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
