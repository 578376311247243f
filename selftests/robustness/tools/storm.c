// SPDX-License-Identifier: GPL-2.0
/*
 * storm: one worker of the concurrency test; the script starts several at
 * once, each with its own role, and runs the host configuration changes
 * (QMP) itself.
 *
 *   storm ROLE SEED SECONDS UUID...
 *
 * ROLE is one of
 *   attrs  assign and unassign adapters, domains and control domains and
 *          write ap_config on the mdevs UUID..., reading back each time;
 *   masks  set and clear bits of the AP bus apmask and aqmask;
 *   bind   bind and unbind queues to and from vfio_ap;
 *   mdevs  create and remove the mdevs UUID... and assign to them;
 *   reads  read every attribute of the mdevs UUID..., the masks and the
 *          queues' status;
 *   scans  make the AP bus rescan.
 * for SECONDS seconds; the values come from a generator seeded with SEED
 * and are the IDs of the test's host (adapters 5 to 8, domains 4, 0x0c,
 * 0x47, 0xab, 0xff and one above the host's largest) so that the writes
 * collide. Errors are expected; what counts is that every call returns.
 * Prints "ROLE: N calls" and the count of each result, and exits 0 when
 * at least one call was made.
 */
#include "../../lib/nolibc.h"

#define NR_clock_gettime 260
#define CLOCK_MONOTONIC 1

struct timespec_ {
	long sec;
	long nsec;
};

static long seconds(void)
{
	struct timespec_ t;

	sys3(NR_clock_gettime, CLOCK_MONOTONIC, (long)&t, 0);
	return t.sec;
}

static unsigned long rng;

static unsigned long below(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static const char *pick(const char *const *v, unsigned long n)
{
	return v[below(n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static const char *const adapters[] = { "5", "6", "7", "8", "0x3f" };
static const char *const domains[] = { "4", "0xc", "0x47", "0xab", "0xff", "0x100" };
static const char *const queues[] = {
	"05.0004", "05.000c", "05.0047", "05.00ab", "05.00ff",
	"06.0004", "06.000c", "06.0047", "06.00ab", "06.00ff",
	"07.0004", "07.000c", "07.0047", "07.00ab", "07.00ff",
};
static const char *const apmask_edits[] = { "-5", "+5", "-6", "+6", "-7", "+7", "-5,-6,-7", "+5-7" };
static const char *const aqmask_edits[] = {
	"-4", "+4", "-0xc", "+0xc", "-0x47", "+0x47", "-0xab", "+0xab", "-4,-0xc,-0x47", "+0-255",
};
/* ap_config values over the same IDs (adapters 5-7; domains 4, 0xc,
 * 0x47, 0xab, 0xff). */
static const char *const configs[] = {
	"0x04,0x08,0x0\n",
	"0x06,0x0880000000000000010000000000000000000000000000000000000000000001,0x0010\n",
	"0x07,0x0800000000000000010000000000000000000000000000000000000000000000,\n",
	"0x02,0x0008,0x0000000000000000000000000000000000000000001\n",
	",,\n",
	"0x01,0x000000000000000000100000000000000000000000000000000000000000000001,0x08\n",
};

static unsigned long hist[160];

static long write_file(const char *path, const char *s)
{
	long fd = sys3(NR_open, (long)path, O_WRONLY, 0), rc;

	if (fd < 0)
		return fd;
	rc = sys3(NR_write, fd, (long)s, len(s));
	sys3(NR_close, fd, 0, 0);
	return rc;
}

static long read_file(const char *path)
{
	static char buf[8192];
	long fd = sys3(NR_open, (long)path, 0, 0), rc;

	if (fd < 0)
		return fd;
	rc = sys3(NR_read, fd, (long)buf, sizeof(buf));
	sys3(NR_close, fd, 0, 0);
	return rc;
}

static void count(long rc)
{
	hist[rc >= 0 ? 0 : -rc < 160 ? -rc : 159]++;
}

static char path[256];

static const char *mdev_file(const char *uuid, const char *file)
{
	join(path, "/sys/devices/vfio_ap/matrix/", uuid);
	join(path + len(path), "/", file);
	return path;
}

static void attrs_op(const char *uuid)
{
	static const char *const files[] = {
		"assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain",
		"assign_control_domain", "unassign_control_domain",
	};
	static const char *const reads[] = { "matrix", "guest_matrix", "control_domains", "ap_config" };
	unsigned long k = below(8);

	if (k < 6)
		count(write_file(mdev_file(uuid, files[k]),
				 k < 2 ? PICK(adapters) : PICK(domains)));
	else if (k == 6)
		count(write_file(mdev_file(uuid, "ap_config"), PICK(configs)));
	else
		count(read_file(mdev_file(uuid, PICK(reads))));
}

static void reads_op(const char *uuid)
{
	static const char *const files[] = {
		"matrix", "guest_matrix", "control_domains", "ap_config", "mdev_type/name",
		"mdev_type/available_instances",
	};
	unsigned long k = below(10);

	if (k < 6) {
		count(read_file(mdev_file(uuid, files[k])));
	} else if (k == 6) {
		count(read_file(below(2) ? "/sys/bus/ap/apmask" : "/sys/bus/ap/aqmask"));
	} else if (k == 7) {
		count(read_file("/sys/bus/ap/bindings"));
	} else {
		join(path, "/sys/bus/ap/devices/", PICK(queues));
		join(path + len(path), "/status", "");
		count(read_file(path));
	}
}

static void mdevs_op(const char *uuid)
{
	unsigned long k = below(4);

	if (k == 0)
		count(write_file("/sys/devices/vfio_ap/matrix/mdev_supported_types/"
				 "vfio_ap-passthrough/create", uuid));
	else if (k == 1)
		count(write_file(mdev_file(uuid, "remove"), "1"));
	else
		attrs_op(uuid);
}

static int run(int argc, char **argv)
{
	const char *role;
	unsigned long calls = 0, i;
	long end;

	if (argc < 4) {
		out("usage: storm ROLE SEED SECONDS UUID...\n");
		return 2;
	}
	role = argv[1];
	rng = 0x2545f4914f6cdd1dUL;
	for (i = 0; argv[2][i]; i++)
		rng = rng * 31 + argv[2][i];
	end = 0;
	for (i = 0; argv[3][i] >= '0' && argv[3][i] <= '9'; i++)
		end = end * 10 + argv[3][i] - '0';
	end += seconds();
	while (seconds() < end) {
		const char *uuid = argc > 4 ? argv[4 + below(argc - 4)] : 0;

		if (same(role, "attrs") && uuid) {
			attrs_op(uuid);
		} else if (same(role, "reads") && uuid) {
			reads_op(uuid);
		} else if (same(role, "mdevs") && uuid) {
			mdevs_op(uuid);
		} else if (same(role, "masks")) {
			if (below(2))
				count(write_file("/sys/bus/ap/apmask", PICK(apmask_edits)));
			else
				count(write_file("/sys/bus/ap/aqmask", PICK(aqmask_edits)));
		} else if (same(role, "bind")) {
			count(write_file(below(2) ? "/sys/bus/ap/drivers/vfio_ap/bind" :
					 "/sys/bus/ap/drivers/vfio_ap/unbind", PICK(queues)));
		} else if (same(role, "scans")) {
			count(write_file("/sys/bus/ap/scans", "1"));
		} else {
			out("storm: unknown role or no mdev\n");
			return 2;
		}
		calls++;
	}
	out(role);
	out(": ");
	out_num(calls);
	out(" calls");
	for (i = 0; i < 160; i++) {
		if (!hist[i])
			continue;
		out(" ");
		if (!i)
			out("ok");
		else
			out_err(-(long)i);
		out("=");
		out_num(hist[i]);
	}
	out("\n");
	return calls ? 0 : 1;
}
