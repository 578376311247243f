// SPDX-License-Identifier: GPL-2.0
/*
 * failnth: one operation with the N-th fault-injectable call of this task
 * made to fail (the kernel's /proc/self/fail-nth; which calls count is set
 * in debugfs: failslab, fail_page_alloc, their stack trace filters).
 *
 *   failnth N write FILE VALUE   write VALUE (as given) to FILE
 *   failnth N load KO            finit_module of KO with no parameters
 *
 * FILE or KO is opened before the count starts, so that only the write or
 * the load itself counts. Prints one line, "RESULT LEFT": RESULT is "ok"
 * or the errno's name (see out_err), LEFT what remained of the count: 0
 * when the N-th call came and failed, more when the operation made fewer
 * calls (nothing was injected). The count is reset to 0 before exiting.
 * Exits 0 when the line was printed, 2 on a setup error.
 */
#include "../../lib/nolibc.h"

#define NR_lseek	19
#define NR_finit_module	344
#define MODULE_INIT_COMPRESSED_FILE 4

static long num(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int ends(const char *s, const char *tail)
{
	unsigned long a = len(s), b = len(tail);

	return a >= b && same(s + a - b, tail);
}

static int run(int argc, char **argv)
{
	char buf[32];
	long n, fd, nth, rc, got;
	int load;

	if (argc < 4 || (n = num(argv[1])) <= 0)
		goto usage;
	load = same(argv[2], "load");
	if (!load && !(same(argv[2], "write") && argc == 5))
		goto usage;
	fd = sys3(NR_open, (long)argv[3], load ? 0 : O_WRONLY, 0);
	nth = sys3(NR_open, (long)"/proc/self/fail-nth", O_RDWR, 0);
	if (fd < 0 || nth < 0) {
		out("failnth: cannot open ");
		out(fd < 0 ? argv[3] : "/proc/self/fail-nth");
		out("\n");
		return 2;
	}
	if (sys3(NR_write, nth, (long)argv[1], len(argv[1])) < 0) {
		out("failnth: cannot set fail-nth\n");
		return 2;
	}
	if (load)
		rc = sys3(NR_finit_module, fd, (long)"",
			  ends(argv[3], ".ko") ? 0 : MODULE_INIT_COMPRESSED_FILE);
	else
		rc = sys3(NR_write, fd, (long)argv[4], len(argv[4]));
	sys3(NR_lseek, nth, 0, 0);
	got = sys3(NR_read, nth, (long)buf, sizeof(buf) - 1);
	/* Nothing else in this task may fail, the output included. */
	sys3(NR_lseek, nth, 0, 0);
	sys3(NR_write, nth, (long)"0", 1);
	if (got <= 0) {
		out("failnth: cannot read fail-nth\n");
		return 2;
	}
	buf[got] = 0;
	out_rc(rc);
	out(" ");
	out(buf);
	if (buf[got - 1] != '\n')
		out("\n");
	return 0;

usage:
	out("usage: failnth N write FILE VALUE | failnth N load KO\n");
	return 2;
}
