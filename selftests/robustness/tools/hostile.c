// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: writes generated, mostly malformed input to every writable
 * vfio_ap attribute and checks that a refused write changes nothing.
 *
 *   hostile SEED COUNT UUID_A UUID_B [ATTR]
 *
 * UUID_A is the mdev whose attributes get the input, UUID_B a second mdev
 * that holds queues UUID_A may not take. For each attribute (the six
 * assign and unassign files of UUID_A, its ap_config, the AP bus apmask
 * and aqmask, and the mdev type's create) COUNT inputs come from a
 * xorshift generator seeded by SEED and the attribute's number, so every
 * run with the same SEED writes the same bytes whatever the driver
 * answers (ATTR: only that attribute). The observable state is UUID_A's matrix, guest_matrix,
 * control_domains and ap_config, UUID_B's ap_config and guest_matrix, both
 * masks and available_instances. After each refused write the files the
 * attribute could change (UUID_A's ap_config and guest_matrix; the masks;
 * available_instances) are compared with the baseline, and all of them
 * after every 64th write; a change stays until undone, so none goes
 * unseen. An accepted write that changed something is undone (ap_config
 * or the mask written back, a created mdev removed) and the whole state
 * must be back.
 *
 * Prints, per attribute, as TAP comments ("# " first):
 *   "record ATTR FIRST: CODES" lines, one code letter per write (see
 *   code_of), 100 writes a line: the full errno record, for diagnosis;
 *   "summary ATTR writes N hash H ERR=K ...": the number of writes, an
 *   FNV-1a hash of the record and how often each result came;
 *   "changed ATTR INDEX ERR INPUT" for a refused write that changed the
 *   state, "unrestored ATTR INDEX INPUT" for an accepted one that could not
 *   be undone (at most 20 lines of each kind a run).
 * and "time ATTR MS" (not for comparison). Exits 0 when nothing changed,
 * 1 otherwise, 2 on a setup error.
 */
#include "../../lib/nolibc.h"

#define PAGE 4096
#define MAXIN (PAGE + 128)

static const char *uuid_a, *uuid_b;

#define NR_clock_gettime 260

/* Milliseconds of the monotonic clock. */
static unsigned long msecs(void)
{
	long t[2];

	sys3(NR_clock_gettime, 1, (long)t, 0);
	return t[0] * 1000 + t[1] / 1000000;
}
static char mdev_a[128], mdev_b[128];

/* --- Reading and writing files. */

static long write_file(const char *path, const char *buf, unsigned long n)
{
	long fd = sys3(NR_open, (long)path, O_WRONLY, 0), rc;

	if (fd < 0)
		return fd;
	rc = sys3(NR_write, fd, (long)buf, n);
	sys3(NR_close, fd, 0, 0);
	return rc;
}

static void path2(char *d, const char *dir, const char *file)
{
	join(d, dir, "/");
	join(d + len(d), file, "");
}

/* --- The observable state. */

#define NSTATE 9
static char state_path[NSTATE][160];
static char base[NSTATE][PAGE], now[NSTATE][PAGE];
static long base_n[NSTATE], now_n[NSTATE];

static void state_paths(void)
{
	static const char *const a[] = { "matrix", "guest_matrix", "control_domains", "ap_config" };
	int i;

	for (i = 0; i < 4; i++)
		path2(state_path[i], mdev_a, a[i]);
	path2(state_path[4], mdev_b, "ap_config");
	path2(state_path[5], mdev_b, "guest_matrix");
	join(state_path[6], "/sys/bus/ap/apmask", "");
	join(state_path[7], "/sys/bus/ap/aqmask", "");
	join(state_path[8], "/sys/devices/vfio_ap/matrix/mdev_supported_types/"
	     "vfio_ap-passthrough/available_instances", "");
}

static long state_fd[NSTATE];

#define NR_pread64 180

/* Reads the state file I into BUF through its open descriptor: a read at
 * offset 0 makes sysfs call the show method again, so one system call
 * reads the file afresh (the reads are most of the helper's run time under
 * TCG). Opens the file first if it is not open. */
static long read_one(int i, char *buf)
{
	long n;

	if (state_fd[i] <= 0)
		state_fd[i] = sys3(NR_open, (long)state_path[i], 0, 0);
	if (state_fd[i] < 0)
		return state_fd[i];
	n = sys5(NR_pread64, state_fd[i], (long)buf, PAGE - 1, 0, 0);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

static void read_state(char s[NSTATE][PAGE], long *n)
{
	int i;

	for (i = 0; i < NSTATE; i++)
		n[i] = read_one(i, s[i]);
}

/* Whether the state files in SET (a bit for each) are as in the baseline;
 * else names the first file that differs in *which. */
static int state_same_in(unsigned int set, const char **which)
{
	int i;

	for (i = 0; i < NSTATE; i++) {
		if (!(set & (1u << i)))
			continue;
		now_n[i] = read_one(i, now[i]);
		if (now_n[i] != base_n[i] || !same(now[i], base[i])) {
			*which = state_path[i];
			return 0;
		}
	}
	return 1;
}

#define ALL_STATE ((1u << NSTATE) - 1)

static int state_same(const char **which)
{
	return state_same_in(ALL_STATE, which);
}

/* --- Deterministic input. */

static unsigned long rng;

static unsigned long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long below(unsigned long n)
{
	return next() % n;
}

static char in[MAXIN];
static unsigned long in_n;

static void put(char c)
{
	if (in_n < MAXIN)
		in[in_n++] = c;
}

static void puts_(const char *s)
{
	while (*s)
		put(*s++);
}

static void put_num(unsigned long v, unsigned int base_, int upper)
{
	char b[70];
	int i = 0;
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		b[i++] = dig[v % base_];
		v /= base_;
	} while (v);
	while (i)
		put(b[--i]);
}

static const char *const blanks[] = { " ", "\t", "\n", "\n\n", "\r", "\v", "\f", "\r\n", " \n" };

static void put_blank(void)
{
	puts_(blanks[below(sizeof(blanks) / sizeof(blanks[0]))]);
}

static void put_random_bytes(unsigned long n)
{
	while (n--)
		put((char)below(256));
}

/* Numbers at and around every limit the attributes have. */
static const unsigned long limits[] = {
	0, 1, 4, 5, 6, 7, 8, 12, 15, 16, 63, 64, 0x47, 0x7f, 0x80, 0xab, 0xff, 0x100,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff,
};

/* A number: a limit give or take two, in a random base and case, with
 * random signs, leading zeros and blanks. */
static void gen_number(void)
{
	unsigned long v = limits[below(sizeof(limits) / sizeof(limits[0]))] + below(5) - 2;
	unsigned long r = next();
	int upper = r & 1;

	if ((r >> 1) % 8 == 0)
		put_blank();
	switch ((r >> 4) % 10) {
	case 0: put('+'); break;
	case 1: put('-'); break;
	case 2: puts_("+-"); break;
	case 3: puts_("++"); break;
	}
	switch ((r >> 8) % 6) {
	case 0:
	case 1:
		put_num(v, 10, 0);
		break;
	case 2:
		puts_(upper ? "0X" : "0x");
		put_num(v, 16, upper);
		break;
	case 3:
		put('0');
		put_num(v, 8, 0);
		break;
	case 4:
		/* Digits a base does not have: 08, 0x1g, 0b1. */
		puts_((const char *const[]){ "08", "09", "0x1g", "0b1", "0o7", "1e3", "0x" }[below(7)]);
		break;
	case 5:
		while (below(3))
			put('0');
		put_num(v, 10, 0);
		break;
	}
	switch ((r >> 12) % 12) {
	case 0: case 1: case 2: put('\n'); break;
	case 3: put_blank(); break;
	case 4: put(0); break;
	case 5: put(0); put_random_bytes(below(4)); break;
	case 6: puts_((const char *const[]){ ",5", " 6", ".", "x", "\n5", "-7" }[below(6)]); break;
	}
}

/* Digit strings past 64 bits, and huge runs of digits. */
static void gen_overflow(void)
{
	unsigned long n;

	switch (below(4)) {
	case 0: puts_("18446744073709551616"); break;
	case 1: puts_("0x10000000000000000"); break;
	case 2: puts_("99999999999999999999999"); break;
	case 3:
		n = below(300) + 1;
		while (n--)
			put('0' + below(10));
		break;
	}
	if (below(2))
		put('\n');
}

/* Long strings: around a page (the sysfs buffer) and well past it. */
static void gen_long(void)
{
	static const unsigned long sizes[] = { 255, 256, 1023, 4094, 4095, 4096, 4097, 4200 };
	unsigned long n = sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
	char c = "0fx5 \n\xff"[below(7)];

	if (below(2))
		puts_("0x");
	while (in_n < n)
		put(c);
}

/* Byte strings: random bytes, non-ASCII, NULs, empty. */
static void gen_bytes(void)
{
	static const char *const odd[] = {
		"", "\n", " ", "\0", "5\0", "\0" "5", "\xef\xbc\x95", "\xd9\xa5", "5\xff",
		"\xff\xfe", "\x80", "\xc0\xb5", "\x1b[5m", "5\n\n", "\n5",
	};
	unsigned long i;

	switch (below(3)) {
	case 0:
		put_random_bytes(below(40));
		break;
	case 1:
		for (i = below(40); i; i--)
			put((char)(0x80 + below(128)));
		break;
	case 2:
		i = below(sizeof(odd) / sizeof(odd[0]));
		/* Embedded NULs: the length is the literal's, not strlen. */
		if (i == 3)
			put(0);
		else if (i == 4) {
			put('5');
			put(0);
		} else if (i == 5) {
			put(0);
			put('5');
		} else
			puts_(odd[i]);
		break;
	}
}

static void gen_num_attr(void)
{
	unsigned long k = below(100);

	if (k < 55)
		gen_number();
	else if (k < 65)
		gen_overflow();
	else if (k < 70)
		gen_long();
	else
		gen_bytes();
}

/* A hex mask: baseline-like masks with a few bits flipped, random digits
 * of every length around 64, random case, with and without 0x. */
static void gen_hex_mask(const char *like)
{
	unsigned long n, i, k = below(6);

	if (like && k < 3) {
		/* like is "0x" and 64 digits. */
		char m[67];

		for (i = 0; i < 66; i++)
			m[i] = like[i];
		m[66] = 0;
		for (n = below(3) + (k == 0); n; n--) {
			i = 2 + below(64);
			char d = m[i] >= 'a' ? m[i] - 'a' + 10 : m[i] - '0';

			d ^= 1 << below(4);
			m[i] = "0123456789abcdef"[(int)d];
		}
		puts_(below(4) ? m : m + 2);
		return;
	}
	if (below(3))
		puts_(below(3) ? "0x" : "0X");
	n = (const unsigned long[]){ 0, 1, 2, 16, 63, 64, 65, 66, 128 }[below(9)];
	if (below(3) == 0)
		n = below(70);
	for (i = 0; i < n; i++)
		put("0123456789abcdefABCDEFg "[below(below(8) ? 16 : 24)]);
}

static char base_apmask[80], base_aqmask[80];

/* A bare number: small or a limit give or take two, decimal, hex or octal. */
static void gen_number_plain(void)
{
	unsigned long v = below(2) ? below(300) :
		limits[below(sizeof(limits) / sizeof(limits[0]))] + below(5) - 2;

	switch (below(4)) {
	case 0:
		puts_("0x");
		put_num(v, 16, 0);
		break;
	case 1:
		put('0');
		put_num(v, 8, 0);
		break;
	default:
		put_num(v, 10, 0);
		break;
	}
}

/* A relative mask edit: +N, -N, +N-M, lists of them, bad ones. */
static void gen_relative(void)
{
	unsigned long n = below(4) + 1;

	while (n--) {
		put("+-+-x "[below(below(6) ? 4 : 6)]);
		if (below(5) == 0)
			put('+');
		gen_number_plain();
		if (below(4) == 0) {
			put('-');
			gen_number_plain();
		}
		if (n)
			put(below(8) ? ',' : " ;,,"[below(4)]);
	}
	if (below(2))
		put('\n');
}

static void gen_mask_attr(const char *like)
{
	unsigned long k = below(100);

	if (k < 40)
		gen_hex_mask(like);
	else if (k < 65)
		gen_relative();
	else if (k < 72)
		gen_long();
	else if (k < 82)
		gen_number();
	else
		gen_bytes();
	if (k < 40 && below(3) == 0)
		put_blank();
}

static char base_cfg[PAGE];

/* ap_config: zero to five fields, each a mask like the baseline's or a
 * random one, joined by commas or newlines or something else. */
static void gen_ap_config(void)
{
	unsigned long fields = (const unsigned long[]){ 0, 1, 2, 3, 3, 3, 3, 4, 5 }[below(9)], i;
	char like[3][67];
	const char *p = base_cfg;

	if (below(10) == 0) {
		gen_num_attr();
		return;
	}
	for (i = 0; i < 3; i++) {
		unsigned long j;

		for (j = 0; j < 66 && *p && *p != ',' && *p != '\n'; j++)
			like[i][j] = *p++;
		like[i][j] = 0;
		if (*p)
			p++;
	}
	for (i = 0; i < fields; i++) {
		if (i) {
			unsigned long s = below(20);

			put(s < 14 ? ',' : s < 17 ? '\n' : ",,; \t"[below(5)]);
		}
		if (below(8) == 0)
			continue;	/* an empty field */
		if (below(12) == 0)
			gen_bytes();
		else
			gen_hex_mask(i < 3 ? like[i] : 0);
	}
	if (below(3))
		put('\n');
}

static const char hexd[] = "0123456789abcdef";

/* create: UUIDs right and wrong. A valid one makes an mdev that has to be
 * removed again, which is slow: about one input in thirty is valid. */
static void gen_uuid(void)
{
	static const int dash[] = { 8, 13, 18, 23 };
	unsigned long k = below(100), i, d = 0;
	int upper = below(4) == 0;

	if (k < 10) {
		/* The existing mdev: EEXIST. */
		puts_(uuid_a);
		if (below(2))
			put('\n');
		return;
	}
	if (k >= 60) {
		gen_num_attr();
		return;
	}
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			put('-');
			d++;
		} else {
			char c = hexd[below(16)];

			put(upper && c >= 'a' ? c - 32 : c);
		}
	}
	if (k < 13) {
		if (below(2))
			put('\n');
		return;
	}
	/* Each of these breaks the UUID. */
	switch (below(5)) {
	case 0:		/* too short */
		in_n = (const unsigned long[]){ 0, 1, 8, 32, 35 }[below(5)];
		if (in_n && below(2))
			put('\n');
		break;
	case 1:		/* two to four characters too many */
		for (i = below(3) + 2; i; i--)
			put("0a-\n "[below(5)]);
		break;
	case 2:		/* a character that has no place in a UUID */
		in[below(36)] = "gz+ \0\xff.:"[below(8)];
		break;
	case 3:		/* braces */
		for (i = 36; i; i--)
			in[i] = in[i - 1];
		in[0] = '{';
		in_n = 37;
		put('}');
		break;
	case 4:		/* dashes out of place */
		i = below(4);
		in[dash[i]] = in[dash[i] + 1];
		in[dash[i] + 1] = '-';
		break;
	}
}

/* --- The attributes. */

enum kind { NUM, CONFIG, APMASK, AQMASK, CREATE };

static const struct attr {
	const char *name;
	enum kind kind;
} attrs[] = {
	{ "assign_adapter", NUM },
	{ "unassign_adapter", NUM },
	{ "assign_domain", NUM },
	{ "unassign_domain", NUM },
	{ "assign_control_domain", NUM },
	{ "unassign_control_domain", NUM },
	{ "ap_config", CONFIG },
	{ "apmask", APMASK },
	{ "aqmask", AQMASK },
	{ "create", CREATE },
};

#define NATTR (sizeof(attrs) / sizeof(attrs[0]))

static const char *attr_path(const struct attr *a, char *buf)
{
	switch (a->kind) {
	case APMASK: return "/sys/bus/ap/apmask";
	case AQMASK: return "/sys/bus/ap/aqmask";
	case CREATE:
		return "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create";
	default:
		path2(buf, mdev_a, a->name);
		return buf;
	}
}

/* Undoes an accepted write; 0 when done. */
static long undo(const struct attr *a)
{
	char path[200];
	unsigned long i, n = 0;

	switch (a->kind) {
	case APMASK:
		return write_file("/sys/bus/ap/apmask", base_apmask, len(base_apmask)) < 0;
	case AQMASK:
		return write_file("/sys/bus/ap/aqmask", base_aqmask, len(base_aqmask)) < 0;
	case CREATE:
		/* The mdev is named by the UUID written (lower case). */
		join(path, "/sys/devices/vfio_ap/matrix/", "");
		n = len(path);
		for (i = 0; i < 36 && i < in_n; i++) {
			char c = in[i];

			path[n + i] = c >= 'A' && c <= 'F' ? c + 32 : c;
		}
		path[n + i] = 0;
		join(path + len(path), "/remove", "");
		return write_file(path, "1", 1) < 0;
	default:
		path2(path, mdev_a, "ap_config");
		return write_file(path, base_cfg, len(base_cfg)) < 0;
	}
}

/* One letter per result, so the record is a string. */
static char code_of(long rc)
{
	switch (rc >= 0 ? 0 : -rc) {
	case 0: return '.';
	case 22: return 'I';	/* EINVAL */
	case 34: return 'R';	/* ERANGE */
	case 19: return 'N';	/* ENODEV */
	case 99: return 'A';	/* EADDRNOTAVAIL */
	case 98: return 'U';	/* EADDRINUSE */
	case 16: return 'B';	/* EBUSY */
	case 17: return 'X';	/* EEXIST */
	case 7: return '2';	/* E2BIG */
	case 87: return 'S';	/* EUSERS */
	case 2: return 'O';	/* ENOENT */
	case 12: return 'M';	/* ENOMEM */
	case 14: return 'F';	/* EFAULT */
	default: return '?';
	}
}

static const char codes[] = ".IRNAUBX2SOMFP?";
static const char *const code_names[] = {
	"OK", "EINVAL", "ERANGE", "ENODEV", "EADDRNOTAVAIL", "EADDRINUSE", "EBUSY",
	"EEXIST", "E2BIG", "EUSERS", "ENOENT", "ENOMEM", "EFAULT", "partial", "other",
};

static int reports;

/* The input, printable: C escapes, at most 60 bytes of it. */
static void out_input(void)
{
	char b[5];
	unsigned long i;

	out("\"");
	for (i = 0; i < in_n && i < 60; i++) {
		unsigned char c = in[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			b[0] = c;
			b[1] = 0;
		} else {
			b[0] = '\\';
			b[1] = 'x';
			b[2] = hexd[c >> 4];
			b[3] = hexd[c & 15];
			b[4] = 0;
		}
		out(b);
	}
	out(in_n > 60 ? "\"..." : "\"");
	out(" (");
	out_num(in_n);
	out(" bytes)");
}

static char record[100001];

static int run_attr(unsigned int ai, unsigned long seed, unsigned long count)
{
	const struct attr *a = &attrs[ai];
	char pathbuf[200], line[101];
	const char *path = attr_path(a, pathbuf), *which;
	unsigned long i, hash = 2166136261UL, hist[sizeof(codes)] = { 0 };
	long rc, fd = sys3(NR_open, (long)path, O_WRONLY, 0);
	int bad = 0;
	/* What a refused write of this attribute could change; all of the
	 * state is compared every 64 writes and after an undo. */
	unsigned int quick = a->kind == APMASK || a->kind == AQMASK ? 0xc0 :
		a->kind == CREATE ? 0x100 : 0x0a;

	if (fd < 0) {
		out("# cannot open ");
		out(path);
		out("\n");
		return 1;
	}
	rng = seed * 0x9e3779b97f4a7c15UL + ai + 1;
	for (i = 0; i < 8; i++)
		next();
	for (i = 0; i < count; i++) {
		in_n = 0;
		switch (a->kind) {
		case NUM: gen_num_attr(); break;
		case CONFIG: gen_ap_config(); break;
		case APMASK: gen_mask_attr(base_apmask); break;
		case AQMASK: gen_mask_attr(base_aqmask); break;
		case CREATE: gen_uuid(); break;
		}
		rc = sys3(NR_write, fd, (long)in, in_n);
		record[i] = code_of(rc);
		if (rc >= 0 && (unsigned long)rc != in_n && in_n)
			record[i] = 'P';	/* a partial write */
		if (rc < 0 && !state_same_in(i % 64 ? quick : ALL_STATE, &which)) {
			bad = 1;
			if (reports++ < 20) {
				out("# changed ");
				out(a->name);
				out(" ");
				out_num(i);
				out(" ");
				out_err(rc);
				out(" ");
				out_input();
				out(": ");
				out(which);
				out("\n");
			}
			undo(a);
		} else if (rc >= 0 && !state_same(&which)) {
			/* Accepted and it changed something: undo it. */
			rc = undo(a);
			if (rc || !state_same(&which)) {
				bad = 1;
				if (reports++ < 20) {
					out("# unrestored ");
					out(a->name);
					out(" ");
					out_num(i);
					out(" ");
					out_input();
					out("\n");
				}
			}
		}
	}
	sys3(NR_close, fd, 0, 0);
	record[count] = 0;
	for (i = 0; i < count; i += 100) {
		unsigned long j;

		for (j = 0; j < 100 && i + j < count; j++)
			line[j] = record[i + j];
		line[j] = 0;
		out("# record ");
		out(a->name);
		out(" ");
		out_num(i);
		out(": ");
		out(line);
		out("\n");
	}
	for (i = 0; i < count; i++) {
		unsigned long c;

		hash = ((hash ^ (unsigned char)record[i]) * 16777619UL) & 0xffffffffUL;
		for (c = 0; codes[c] && codes[c] != record[i]; c++)
			;
		hist[c]++;
	}
	out("# summary ");
	out(a->name);
	out(" writes ");
	out_num(count);
	out(" hash ");
	out_hex(hash, 8);
	for (i = 0; i < sizeof(codes) - 1; i++) {
		if (!hist[i])
			continue;
		out(" ");
		out(code_names[i]);
		out("=");
		out_num(hist[i]);
	}
	out("\n");
	return bad;
}

static unsigned long number(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + *s++ - '0';
	return v;
}

static int run(int argc, char **argv)
{
	unsigned long seed, count, i;
	int bad = 0;
	const char *which;

	if (argc < 5 || argc > 6 || len(argv[3]) != 36 || len(argv[4]) != 36) {
		out("usage: hostile SEED COUNT UUID_A UUID_B [ATTR]\n");
		return 2;
	}
	seed = number(argv[1]);
	count = number(argv[2]);
	if (count > sizeof(record) - 1)
		count = sizeof(record) - 1;
	uuid_a = argv[3];
	uuid_b = argv[4];
	join(mdev_a, "/sys/devices/vfio_ap/matrix/", uuid_a);
	join(mdev_b, "/sys/devices/vfio_ap/matrix/", uuid_b);
	state_paths();
	read_state(base, base_n);
	for (i = 0; i < NSTATE; i++) {
		if (base_n[i] < 0) {
			out("cannot read ");
			out(state_path[i]);
			out("\n");
			return 2;
		}
	}
	/* The baselines the undo writes back (without their newline). */
	for (i = 0; base[3][i] && base[3][i] != '\n'; i++)
		base_cfg[i] = base[3][i];
	base_cfg[i] = 0;
	for (i = 0; i < 66 && base[6][i] && base[6][i] != '\n'; i++)
		base_apmask[i] = base[6][i];
	base_apmask[i] = 0;
	for (i = 0; i < 66 && base[7][i] && base[7][i] != '\n'; i++)
		base_aqmask[i] = base[7][i];
	base_aqmask[i] = 0;
	if (len(base_apmask) != 66 || len(base_aqmask) != 66) {
		out("unexpected mask format\n");
		return 2;
	}
	for (i = 0; i < NATTR; i++) {
		unsigned long t0 = msecs();

		if (argc == 6 && !same(argv[5], attrs[i].name))
			continue;
		bad |= run_attr(i, seed, count);
		out("# time ");
		out(attrs[i].name);
		out(" ");
		out_num(msecs() - t0);
		out(" ms\n");
	}
	if (!state_same(&which)) {
		out("# changed at the end: ");
		out(which);
		out("\n");
		bad = 1;
	}
	return bad;
}
