// SPDX-License-Identifier: GPL-2.0
/*
 * netbench-trace: loads path-latency.bpf.c (through its libbpf skeleton), attaches its
 * BTF tracepoint programs, and answers the suite between trials.
 *
 *   netbench-trace [--attached-only] [--no-stats | --stats-always] <sender> <receiver> <receiver2> <keep>
 *   netbench-trace --check      what this kernel allows: loads the programs, and an fentry
 *                               program, measures the dispatch (attach_ns), then exits
 *                               (bench doctor)
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
 * The kernel's BPF run-time statistics are turned on through bpf_enable_stats
 * (BPF_STATS_RUN_TIME), an fd that turns them off again when it is closed or the process
 * ends: the machine-wide sysctl kernel.bpf_stats_enabled is never written. They cost two
 * reads of the kernel clock per event, which slowed traced request/response traffic by
 * several percent when held through whole trials (docs/methodology.md, "Tracing"); so
 * the loader holds them for 20 ms in every 200 ms, a sample of a tenth of the events,
 * from which the cost per event comes. The count of events is exact: the programs count
 * them in a per-CPU array. One read of the clock is measured at start (a syscall program
 * run through BPF_PROG_TEST_RUN), so that the statistics' own cost is stated and taken
 * off. --stats-always holds them through the trials, --no-stats never turns them on.
 *
 * The statistics time the programs' own runs only. What an event costs before and after
 * (the tracepoint's call into BPF and the return) is measured at start too, with an empty
 * program on task_rename and the loader renaming itself (attach_ns), and given as
 * "attachNs" in every observer line.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "path-latency.skel.h"
#include "path-latency.h"

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

enum stats_mode { STATS_SAMPLED, STATS_ALWAYS, STATS_OFF };

#define STATS_PERIOD_NS 200000000LL
#define STATS_ON_NS 20000000LL

/* the statistics' window: on for STATS_ON_NS in every STATS_PERIOD_NS (sampled), always, or never */
struct stats_window {
	enum stats_mode mode;
	int fd;
	char error[128];
	long long since;   /* when the current on-window began */
	long long off_since; /* when the current off-window began */
	long long on_ns;   /* time on since the last split */
	long long split_at;
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stats_on(struct stats_window *w)
{
	if (w->fd >= 0)
		return;
	w->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (w->fd < 0)
		snprintf(w->error, sizeof(w->error), "bpf_enable_stats: %s", strerror(errno));
	else
		w->since = now_ns();
}

static void stats_off(struct stats_window *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);
	w->fd = -1;
	w->off_since = now_ns();
	w->on_ns += w->off_since - w->since;
}

/* turn the window on or off when its time has come; how long until it next changes (-1: never) */
static long long stats_tick(struct stats_window *w)
{
	if (w->mode != STATS_SAMPLED || w->error[0])
		return -1;
	long long t = now_ns();
	if (w->fd >= 0) {
		if (t - w->since < STATS_ON_NS)
			return STATS_ON_NS - (t - w->since);
		stats_off(w);
		return STATS_PERIOD_NS - STATS_ON_NS;
	}
	if (t - w->off_since < STATS_PERIOD_NS - STATS_ON_NS)
		return STATS_PERIOD_NS - STATS_ON_NS - (t - w->off_since);
	stats_on(w);
	return w->fd >= 0 ? STATS_ON_NS : -1;
}

static void dump_observer(struct prog_stats *ps, int nprog, int events_fd, int ncpu, struct stats_window *w, long clock_ns, double dispatch_ns)
{
	long long t = now_ns();
	long long on = w->on_ns + (w->fd >= 0 ? t - w->since : 0);
	double share = t > w->split_at ? (double)on / (double)(t - w->split_at) : 0;
	if (w->fd >= 0)
		w->since = t;
	w->on_ns = 0;
	w->split_at = t;
	bool failed = w->mode != STATS_OFF && w->error[0];
	printf("{\"type\":\"observer\",\"data\":{\"backend\":\"libbpf\",\"stats\":%s,\"statsMode\":\"%s\",\"statsShare\":%.4f,", w->mode != STATS_OFF && !failed ? "true" : "false", w->mode == STATS_SAMPLED ? "sampled" : w->mode == STATS_ALWAYS ? "always" : "off", share);
	if (failed)
		printf("\"statsError\":\"%s\",", w->error);
	if (clock_ns >= 0)
		printf("\"clockReadNs\":%ld,", clock_ns);
	if (dispatch_ns >= 0)
		printf("\"attachNs\":%.1f,", dispatch_ns);
	printf("\"programs\":[");
	__u64 *counts = calloc(ncpu, sizeof(__u64));
	for (int i = 0; i < nprog; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(ps[i].prog), &info, &len))
			continue;
		/* the exact count, read and reset (the attached-only programs count nothing) */
		__u32 key = i;
		__u64 events = 0;
		if (bpf_map_lookup_elem(events_fd, &key, counts) == 0) {
			for (int c = 0; c < ncpu; c++)
				events += counts[c];
			memset(counts, 0, ncpu * sizeof(__u64));
			bpf_map_update_elem(events_fd, &key, counts, BPF_ANY);
		}
		printf("%s{\"name\":\"%s\",\"events\":%llu,\"runCnt\":%llu,\"runTimeNs\":%llu}", i ? "," : "", ps[i].name, (unsigned long long)events, (unsigned long long)(info.run_cnt - ps[i].run_cnt), (unsigned long long)(info.run_time_ns - ps[i].run_time_ns));
		ps[i].run_cnt = info.run_cnt;
		ps[i].run_time_ns = info.run_time_ns;
	}
	free(counts);
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

/*
 * What one event costs outside the program, in ns: the tracepoint's call into BPF and a
 * program that returns at once (the kernel's statistics time only the program's own run).
 * In each of ATTACH_ROUNDS rounds the loader renames itself ATTACH_CALLS times with the
 * empty program attached to task_rename and as many times without (which side goes first
 * alternates); the round's difference per call is the cost, and the median over the
 * rounds is taken, so that a round slowed by something else on the machine (on either
 * side) does not move it. -1 when it cannot be measured.
 */
#define ATTACH_CALLS 4000
#define ATTACH_ROUNDS 25
static double attach_ns(struct path_latency_bpf *skel)
{
	char name[16] = "";
	if (prctl(PR_GET_NAME, name))
		return -1;
	double diff[ATTACH_ROUNDS];
	for (int r = 0; r < ATTACH_ROUNDS; r++) {
		double per[2] = { 0, 0 };
		for (int k = 0; k < 2; k++) {
			int on = (r & 1) ? 1 - k : k;
			struct bpf_link *link = NULL;
			if (on) {
				link = bpf_program__attach(skel->progs.attach_cost);
				if (!link)
					return -1;
			}
			long long t0 = now_ns();
			for (int i = 0; i < ATTACH_CALLS; i++)
				prctl(PR_SET_NAME, name);
			per[on] = (double)(now_ns() - t0) / ATTACH_CALLS;
			if (link)
				bpf_link__destroy(link);
		}
		diff[r] = per[1] - per[0];
	}
	/* the median of the rounds' differences (insertion sort: 25 values) */
	for (int i = 1; i < ATTACH_ROUNDS; i++)
		for (int j = i; j > 0 && diff[j - 1] > diff[j]; j--) {
			double t = diff[j];
			diff[j] = diff[j - 1];
			diff[j - 1] = t;
		}
	double d = diff[ATTACH_ROUNDS / 2];
	return d > 0 ? d : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: netbench-trace [--attached-only] [--no-stats | --stats-always] <sender> <receiver> <receiver2> <keep>\n       netbench-trace --check\n");
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
	if (!err) {
		/* what an event costs before any program work: the floor of a tracepoint observer here */
		double d = attach_ns(skel);
		if (d >= 0)
			printf("dispatch: %.1f ns\n", d);
	}
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
	bool attached_only = false;
	enum stats_mode mode = STATS_SAMPLED;
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
			mode = STATS_OFF;
		else if (strcmp(argv[i], "--stats-always") == 0)
			mode = STATS_ALWAYS;
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
	bpf_program__set_autoattach(skel->progs.attach_cost, false);
	double dispatch_ns = attach_ns(skel);
	err = path_latency_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "netbench-trace: could not attach to the BTF tracepoints: %s\n", strerror(-err));
		path_latency_bpf__destroy(skel);
		return 1;
	}
	struct stats_window w = { .mode = mode, .fd = -1, .error = "", .since = 0, .off_since = 0, .on_ns = 0, .split_at = now_ns() };
	if (mode == STATS_ALWAYS)
		stats_on(&w);
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

	long long wait = stats_tick(&w);
	for (;;) {
		int sig;
		if (wait < 0) {
			sig = sigwaitinfo(&set, NULL);
		} else {
			struct timespec ts = { .tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL };
			sig = sigtimedwait(&set, NULL, &ts);
		}
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR)
				break;
			wait = stats_tick(&w);
			continue;
		}
		if (sig != SIGUSR1)
			break;
		dump_slots(bpf_map__fd(skel->maps.hist), ncpu);
		dump_drops(bpf_map__fd(skel->maps.drops), ncpu);
		clear_state(bpf_map__fd(skel->maps.st));
		dump_observer(ps, nprog, bpf_map__fd(skel->maps.events), ncpu, &w, clock_ns, dispatch_ns);
		printf("{\"type\":\"printf\",\"data\":\"netbench-split\\n\"}\n");
		fflush(stdout);
		wait = stats_tick(&w);
	}
	stats_off(&w);
	path_latency_bpf__destroy(skel);
	return 0;
}
