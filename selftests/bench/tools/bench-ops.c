// SPDX-License-Identifier: GPL-2.0
/*
 * bench-ops: times sysfs writes and reads and module loads for the vfio_ap
 * benchmark (selftests/bench), without a shell fork between the calls.
 *
 *   bench-ops now
 *	prints CLOCK_MONOTONIC in ns.
 *   bench-ops run N STEP...
 *	runs the steps N times; prints the median, minimum and maximum time
 *	of one pass over all steps, in ns. A step is
 *	  w FILE VALUE        write VALUE (one write), which must succeed
 *	  e FILE VALUE ERRNO  write VALUE, which must fail with ERRNO (a number)
 *	  r FILE              read the whole file, which must succeed
 *	  i FILE              finit_module of the module FILE
 *	  d NAME              delete_module NAME
 *	A step with another outcome stops the program (exit 1) naming it.
 *   bench-ops poll FILE has|lacks TEXT T0 TIMEOUT_MS
 *	reads FILE until it contains (has) or no longer contains (lacks)
 *	TEXT; prints the ns since T0 (a value of "now") when it does, exits
 *	1 after TIMEOUT_MS.
 */
#include "../../lib/nolibc.h"

#define NR_nanosleep		162
#define NR_delete_module	129
#define NR_clock_gettime	260
#define NR_finit_module		344
#define CLOCK_MONOTONIC		1
#define O_RDONLY		0
#define O_TRUNC			01000
#define MAX_RUNS		1024

struct timespec {
	long tv_sec;
	long tv_nsec;
};

static unsigned long now_ns(void)
{
	struct timespec ts;

	sys3(NR_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
	return (unsigned long)ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

static unsigned long parse_num(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

static void fail(const char *what, const char *arg, long rc)
{
	out("bench-ops: ");
	out(what);
	out(" ");
	out(arg);
	out(": ");
	out_rc(rc);
	out("\n");
	sys3(NR_exit_group, 1, 0, 0);
}

static char buf[65536];

/* Reads FILE into buf (NUL-terminated); returns the length or -errno. */
static long read_file(const char *file)
{
	long fd = sys3(NR_open, (long)file, O_RDONLY, 0);
	long n = 0, r;

	if (fd < 0)
		return fd;
	while ((r = sys3(NR_read, fd, (long)buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	sys3(NR_close, fd, 0, 0);
	if (r < 0)
		return r;
	buf[n] = 0;
	return n;
}

static long write_file(const char *file, const char *value)
{
	long fd = sys3(NR_open, (long)file, O_WRONLY | O_TRUNC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = sys3(NR_write, fd, (long)value, len(value));
	sys3(NR_close, fd, 0, 0);
	return r;
}

/* Runs the steps in argv[0..argc) once. */
static void pass(int argc, char **argv)
{
	int i = 0;
	long r, fd;

	while (i < argc) {
		char op = argv[i][0];

		switch (op) {
		case 'w':
			r = write_file(argv[i + 1], argv[i + 2]);
			if (r < 0)
				fail("write", argv[i + 1], r);
			i += 3;
			break;
		case 'e':
			r = write_file(argv[i + 1], argv[i + 2]);
			if (r != -(long)parse_num(argv[i + 3]))
				fail("write (expected to fail)", argv[i + 1], r);
			i += 4;
			break;
		case 'r':
			r = read_file(argv[i + 1]);
			if (r < 0)
				fail("read", argv[i + 1], r);
			i += 2;
			break;
		case 'i':
			fd = sys3(NR_open, (long)argv[i + 1], O_RDONLY, 0);
			if (fd < 0)
				fail("open", argv[i + 1], fd);
			r = sys3(NR_finit_module, fd, (long)"", 0);
			sys3(NR_close, fd, 0, 0);
			if (r < 0)
				fail("finit_module", argv[i + 1], r);
			i += 2;
			break;
		case 'd':
			r = sys3(NR_delete_module, (long)argv[i + 1], O_NONBLOCK, 0);
			if (r < 0)
				fail("delete_module", argv[i + 1], r);
			i += 2;
			break;
		default:
			fail("unknown step", argv[i], 0);
		}
	}
}

static unsigned long times[MAX_RUNS];

static int run_steps(int n, int argc, char **argv)
{
	int i, j;

	if (n < 1 || n > MAX_RUNS)
		fail("run count", "N", -22);
	for (i = 0; i < n; i++) {
		unsigned long t0 = now_ns();

		pass(argc, argv);
		times[i] = now_ns() - t0;
	}
	/* Insertion sort: n is small. */
	for (i = 1; i < n; i++) {
		unsigned long v = times[i];

		for (j = i; j > 0 && times[j - 1] > v; j--)
			times[j] = times[j - 1];
		times[j] = v;
	}
	out_num(n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2);
	out(" ");
	out_num(times[0]);
	out(" ");
	out_num(times[n - 1]);
	out("\n");
	return 0;
}

/* Whether buf contains text. */
static int contains(const char *text)
{
	unsigned long n = len(text), i, k;

	for (i = 0; buf[i]; i++) {
		for (k = 0; k < n && buf[i + k] == text[k]; k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

static int poll(char **argv)
{
	static const struct timespec pause = { 0, 200000 };
	int want = same(argv[1], "has");
	unsigned long t0 = parse_num(argv[3]);
	unsigned long limit = now_ns() + parse_num(argv[4]) * 1000000UL;

	for (;;) {
		long r = read_file(argv[0]);

		if (r < 0)
			fail("read", argv[0], r);
		if (contains(argv[2]) == want) {
			out_num(now_ns() - t0);
			out("\n");
			return 0;
		}
		if (now_ns() > limit)
			fail("timeout waiting on", argv[0], 0);
		/* Leave the CPU to the kernel work being waited for. */
		sys3(NR_nanosleep, (long)&pause, 0, 0);
	}
}

static int run(int argc, char **argv)
{
	if (argc == 2 && same(argv[1], "now")) {
		out_num(now_ns());
		out("\n");
		return 0;
	}
	if (argc >= 4 && same(argv[1], "run"))
		return run_steps((int)parse_num(argv[2]), argc - 3, argv + 3);
	if (argc == 7 && same(argv[1], "poll"))
		return poll(argv + 2);
	out("usage: bench-ops now | run N STEP... | poll FILE has|lacks TEXT T0 TIMEOUT_MS\n");
	return 2;
}
