// SPDX-License-Identifier: GPL-2.0
/*
 * netbench-trace: loads path-latency.bpf.c (through its libbpf skeleton), attaches its
 * BTF tracepoint programs, and answers the suite between trials.
 *
 *   netbench-trace [--attached-only] [--no-stats] <sender> <receiver> <receiver2> <keep>
 *   netbench-trace --check      what this kernel allows: loads the programs, and an fentry
 *                               program, then exits (bench doctor)
 *
 * The arguments are the bpftrace program's (bench/trace/path-latency.bt). Output is one
 * JSON object per line, like bpftrace's -f json:
 *   {"type":"attached_probes","data":{"probes":3}}
 *   {"type":"printf","data":"netbench-tracing-ready\n"}       once attached
 * then, at each SIGUSR1 (the suite's split between trials), the maps' contents since the
 * last split, which are then cleared:
 *   {"type":"slots","data":[[from,to,slot,count,sum_ns],...]}  from = 0: end to end
 *   {"type":"drops","data":[[place,reason,count],...]}
 *   {"type":"observer","data":{...}}                           the kernel's own statistics
 *   {"type":"printf","data":"netbench-split\n"}
 * SIGINT, SIGTERM or SIGHUP detach and exit; so does the end of the process that started
 * it (PR_SET_PDEATHSIG), and the kernel detaches everything when the process dies, even
 * by SIGKILL: nothing is pinned, so nothing outlives it.
 *
 * While it runs it holds the kernel's BPF run-time statistics on through
 * bpf_enable_stats(BPF_STATS_RUN_TIME), an fd released when the process ends: the
 * machine-wide sysctl kernel.bpf_stats_enabled is never written. The statistics cost two
 * reads of the kernel clock per event; the loader measures one read at start (a syscall
 * program run once through BPF_PROG_TEST_RUN) and reports it, so that their cost is
 * stated beside the figures. --no-stats leaves them off.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "path-latency.skel.h"

struct slot_key {
	__u64 from;
	__u64 to;
	__u32 slot;
	__u32 pad;
};

struct slot_val {
	__u64 count;
	__u64 sum_ns;
};

struct drop_key {
	__u64 loc;
	__u64 reason;
};

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int parse_u64(const char *s, __u64 *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/* every key of a map, collected first so that entries can be deleted while reading */
static size_t keys_of(int fd, void *keys, size_t key_size, size_t max)
{
	size_t n = 0;
	char prev[64];
	void *at = NULL;
	while (n < max && bpf_map_get_next_key(fd, at, (char *)keys + n * key_size) == 0) {
		memcpy(prev, (char *)keys + n * key_size, key_size);
		at = prev;
		n++;
	}
	return n;
}

static void dump_slots(int fd, int ncpu)
{
	static struct slot_key keys[32768];
	struct slot_val *vals = calloc(ncpu, sizeof(*vals));
	size_t n = keys_of(fd, keys, sizeof(keys[0]), 32768);
	bool first = true;
	printf("{\"type\":\"slots\",\"data\":[");
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], vals))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		__u64 count = 0, sum = 0;
		for (int c = 0; c < ncpu; c++) {
			count += vals[c].count;
			sum += vals[c].sum_ns;
		}
		if (!count)
			continue;
		printf("%s[%llu,%llu,%u,%llu,%llu]", first ? "" : ",", (unsigned long long)keys[i].from, (unsigned long long)keys[i].to, keys[i].slot, (unsigned long long)count, (unsigned long long)sum);
		first = false;
	}
	printf("]}\n");
	free(vals);
}

static void dump_drops(int fd, int ncpu)
{
	static struct drop_key keys[1024];
	__u64 *vals = calloc(ncpu, sizeof(*vals));
	size_t n = keys_of(fd, keys, sizeof(keys[0]), 1024);
	bool first = true;
	printf("{\"type\":\"drops\",\"data\":[");
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], vals))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		__u64 count = 0;
		for (int c = 0; c < ncpu; c++)
			count += vals[c];
		if (!count)
			continue;
		printf("%s[%llu,%llu,%llu]", first ? "" : ",", (unsigned long long)keys[i].loc, (unsigned long long)keys[i].reason, (unsigned long long)count);
		first = false;
	}
	printf("]}\n");
	free(vals);
}

/* followed packets still in flight at a split belong to neither trial */
static void clear_state(int fd)
{
	static __u64 keys[65536];
	size_t n = keys_of(fd, keys, sizeof(keys[0]), 65536);
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

struct prog_stats {
	const char *name;
	struct bpf_program *prog;
	__u64 run_cnt;
	__u64 run_time_ns;
};

static void dump_observer(struct prog_stats *ps, int nprog, int stats_fd, const char *stats_error, long clock_ns)
{
	printf("{\"type\":\"observer\",\"data\":{\"backend\":\"libbpf\",\"stats\":%s,", stats_fd >= 0 ? "true" : "false");
	if (stats_fd < 0)
		printf("\"statsError\":\"%s\",", stats_error);
	if (clock_ns >= 0)
		printf("\"clockReadNs\":%ld,", clock_ns);
	printf("\"programs\":[");
	for (int i = 0; i < nprog; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(ps[i].prog), &info, &len))
			continue;
		printf("%s{\"name\":\"%s\",\"runCnt\":%llu,\"runTimeNs\":%llu}", i ? "," : "", ps[i].name, (unsigned long long)(info.run_cnt - ps[i].run_cnt), (unsigned long long)(info.run_time_ns - ps[i].run_time_ns));
		ps[i].run_cnt = info.run_cnt;
		ps[i].run_time_ns = info.run_time_ns;
	}
	printf("]}}\n");
}

/* one read of the kernel clock, in ns: the least of five runs of the calibration program */
static long clock_read_ns(struct path_latency_bpf *skel)
{
	long best = -1;
	for (int i = 0; i < 5; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.clock_cost), &opts))
			return -1;
		long v = (long)skel->bss->clock_ns_per_read;
		if (best < 0 || v < best)
			best = v;
	}
	return best;
}

static void usage(void)
{
	fprintf(stderr, "usage: netbench-trace [--attached-only] [--no-stats] <sender> <receiver> <receiver2> <keep>\n       netbench-trace --check\n");
}

/* --check: one line per attach type, "<type>: yes" or "<type>: no (<why>)"; exit 0 when the tracing programs load */
static int check(void)
{
	int rc = 0;
	struct path_latency_bpf *skel = path_latency_bpf__open();
	if (!skel) {
		printf("tp_btf: no (the BPF object could not be opened: %s)\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.fentry_check, false);
	int err = path_latency_bpf__load(skel);
	printf(err ? "tp_btf: no (%s)\n" : "tp_btf: yes\n", strerror(-err));
	rc = err ? 1 : 0;
	path_latency_bpf__destroy(skel);
	skel = path_latency_bpf__open();
	if (!skel)
		return 1;
	struct bpf_program *p;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.fentry_check);
	err = path_latency_bpf__load(skel);
	printf(err ? "fentry: no (%s)\n" : "fentry: yes\n", strerror(-err));
	path_latency_bpf__destroy(skel);
	return rc;
}

int main(int argc, char **argv)
{
	bool attached_only = false, stats = true;
	__u64 nums[4];
	int nnum = 0;
	if (argc == 2 && strcmp(argv[1], "--check") == 0) {
		libbpf_set_print(NULL);
		return check();
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--attached-only") == 0)
			attached_only = true;
		else if (strcmp(argv[i], "--no-stats") == 0)
			stats = false;
		else if (nnum < 4 && parse_u64(argv[i], &nums[nnum]) == 0)
			nnum++;
		else {
			fprintf(stderr, "netbench-trace: unexpected argument '%s'\n", argv[i]);
			usage();
			return 2;
		}
	}
	if (nnum != 4 || nums[3] > 65536) {
		usage();
		return 2;
	}
	/* the suite's end ends the tracer: nothing stays attached after a SIGKILLed run */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);

	libbpf_set_print(print_libbpf);
	struct path_latency_bpf *skel = path_latency_bpf__open();
	if (!skel) {
		fprintf(stderr, "netbench-trace: could not open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->sender = nums[0];
	skel->rodata->receiver = nums[1];
	skel->rodata->receiver2 = nums[2];
	skel->rodata->keep = (__u32)nums[3];
	skel->rodata->attached_only = attached_only;
	bpf_program__set_autoload(skel->progs.fentry_check, false);
	int err = path_latency_bpf__load(skel);
	if (err) {
		fprintf(stderr, "netbench-trace: the kernel refused the programs: %s\n", strerror(-err));
		path_latency_bpf__destroy(skel);
		return 1;
	}
	long clock_ns = clock_read_ns(skel);
	err = path_latency_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "netbench-trace: could not attach to the BTF tracepoints: %s\n", strerror(-err));
		path_latency_bpf__destroy(skel);
		return 1;
	}
	int stats_fd = -1;
	char stats_error[128] = "--no-stats";
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			snprintf(stats_error, sizeof(stats_error), "bpf_enable_stats: %s", strerror(errno));
	}
	struct prog_stats ps[] = {
		{ "net_dev_queue", skel->progs.on_queue, 0, 0 },
		{ "netif_receive_skb", skel->progs.on_receive, 0, 0 },
		{ "kfree_skb", skel->progs.on_drop, 0, 0 },
	};
	int nprog = sizeof(ps) / sizeof(ps[0]);
	/* counted from here: what the programs did before the first split is not a trial's */
	for (int i = 0; i < nprog; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(ps[i].prog), &info, &len) == 0) {
			ps[i].run_cnt = info.run_cnt;
			ps[i].run_time_ns = info.run_time_ns;
		}
	}
	int ncpu = libbpf_num_possible_cpus();
	printf("{\"type\":\"attached_probes\",\"data\":{\"probes\":%d}}\n", nprog);
	printf("{\"type\":\"printf\",\"data\":\"netbench-tracing-ready\\n\"}\n");
	fflush(stdout);

	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sig != SIGUSR1)
			break;
		dump_slots(bpf_map__fd(skel->maps.hist), ncpu);
		dump_drops(bpf_map__fd(skel->maps.drops), ncpu);
		clear_state(bpf_map__fd(skel->maps.st));
		dump_observer(ps, nprog, stats_fd, stats_error, clock_ns);
		printf("{\"type\":\"printf\",\"data\":\"netbench-split\\n\"}\n");
		fflush(stdout);
	}
	if (stats_fd >= 0)
		close(stats_fd);
	path_latency_bpf__destroy(skel);
	return 0;
}
