// SPDX-License-Identifier: GPL-2.0
/*
 * netbench: per-packet stack latency along a topology's path, hop by hop, as a compiled
 * CO-RE program on BTF tracepoints (tp_btf). It follows the same packets through the same
 * places as bench/trace/path-latency.bt and keeps the same figures; what differs is the
 * cost of an event (docs/methodology.md, "Tracing"):
 *
 * - tp_btf programs run on the tracepoint's raw arguments: the kernel does not fill a
 *   trace record before the program runs, as it does for a classic tracepoint;
 * - a packet that is not IPv4 costs one load; one that is not sampled costs one read of
 *   its IP header and a multiplication: sampling is decided before any map work;
 * - per step, one lookup in a per-CPU hash whose key is (from, to, slot) and whose value
 *   is (count, sum): the histogram and the sum of a step are one update, on this CPU's
 *   own copy, with no atomic operation;
 * - nothing is sent per packet: the loader reads and clears the maps between trials;
 * - its own time is kept out of what it times: a step ends when the next probe reads the
 *   clock (before any map work) and starts when the previous one was done with the packet
 *   (a second reading, for followed packets only), so the map work of a followed packet is
 *   in neither the steps nor the journey. What remains in each step is the dispatch from
 *   one probe back to the kernel and from the kernel into the next, which the loader
 *   measures (loader.c, attach_ns).
 *
 * A place is one number, as in the bpftrace program: (netns inode & 0xffffff) << 24 |
 * ifindex << 2 | event (1 transmit at net_dev_queue, 3 receive at netif_receive_skb).
 * A packet is identified by (IP id, total length, protocol); a packet whose IP id is 0
 * (DF packets sent without a connected socket, such as a SYN-ACK) also mixes in its
 * ports, or every such packet would be sampled and share one identity.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "path-latency.h"

char LICENSE[] SEC("license") = "GPL";

#define EV_TX 1
#define EV_RX 3
#define ETH_P_IP 0x0800
/* linear 1 µs slots below this, then one slot per power of two */
#define LINEAR_US 1000
#define STALE_NS 100000000ULL

/* set by the loader before the program is loaded */
const volatile __u64 sender = 0;
const volatile __u64 receiver = 0;
const volatile __u64 receiver2 = 0;
/* a packet is followed when its 16-bit hash is below keep (65536 / N for 1 in N) */
const volatile __u32 keep = 8192;
/* the probes at the same places, returning at once: the floor of the cost */
const volatile bool attached_only = false;

struct follow {
	__u64 start;
	/* when this program last let the packet go: the next step starts there */
	__u64 prev;
	__u64 loc;
	/* the time spent in this program's own work between steps, kept out of the journey */
	__u64 own;
};

/* a followed packet's state: shared by every CPU, since a packet changes CPU on its way */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct follow);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct slot_key);
	__type(value, struct slot_val);
} hist SEC(".maps");

/*
 * Events per program (0 transmit, 1 receive, 2 drop), counted here on every hit: the
 * kernel's own run count is only kept while its statistics are on, and the loader keeps
 * them on for a tenth of the time (loader.c). A per-CPU array lookup is inlined by the
 * verifier: a few instructions, no atomic operation.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} events SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&events, &which);
	if (n)
		*n += 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct drop_key);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * The packet's bytes are read by plain loads through a read-only BTF cast of the header
 * (the kfunc bpf_rdonly_cast: each load is one instruction, guarded against faults like
 * a BTF field load), not by bpf_probe_read_kernel, whose call cost more than the rest of
 * the program together (measured: docs/methodology.md, "Tracing").
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* the packet's identity, or 0 when it is not IPv4 or not sampled */
static __always_inline __u64 identity(struct sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	struct iphdr *iph = bpf_rdonly_cast(skb->head + skb->network_header, bpf_core_type_id_kernel(struct iphdr));
	__u32 id = bpf_ntohs(iph->id);
	__u32 mix = id;
	if (id == 0) {
		/* the ports after a 20-byte header (TCP's and UDP's are in the same place) */
		struct udphdr *l4 = bpf_rdonly_cast(skb->head + skb->network_header + sizeof(*iph), bpf_core_type_id_kernel(struct udphdr));
		mix = (l4->source ^ l4->dest) & 0xffff;
	}
	if (((mix * 2654435761U) & 0xffff) >= keep)
		return 0;
	__u64 k = ((__u64)mix << 32) | ((__u64)bpf_ntohs(iph->tot_len) << 8) | iph->protocol;
	return k ? k : 1;
}

static __always_inline __u64 place(struct sk_buff *skb, __u32 ev)
{
	struct net_device *dev = skb->dev;
	__u64 inum = dev->nd_net.net->ns.inum;
	return ((inum & 0xffffff) << 24) | ((__u64)dev->ifindex << 2) | ev;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline void add(__u64 from, __u64 to, __u64 ns)
{
	__u64 us = ns / 1000;
	struct slot_key key = { .from = from, .to = to, .slot = us < LINEAR_US ? (__u32)us : LINEAR_US + log2_u64(us) };
	struct slot_val *v = bpf_map_lookup_elem(&hist, &key);
	if (v) {
		v->count += 1;
		v->sum_ns += ns;
		return;
	}
	struct slot_val init = { .count = 1, .sum_ns = ns };
	bpf_map_update_elem(&hist, &key, &init, BPF_NOEXIST);
}

static __always_inline int event(struct sk_buff *skb, __u32 ev)
{
	if (attached_only)
		return 0;
	count(ev == EV_TX ? 0 : 1);
	__u64 k = identity(skb);
	if (!k)
		return 0;
	__u64 now = bpf_ktime_get_ns(); /* the step ends here; the steps add up to the journey */
	__u64 loc = place(skb, ev);
	if (loc == sender) {
		/*
		 * The journey starts at the sender's transmit (or a real-host run's test NIC
		 * receive), once this program has stored the packet: the insertion is the
		 * observer's work, not the path's, so the clock is read again after it.
		 */
		struct follow s = { .start = now, .prev = now, .loc = loc, .own = 0 };
		bpf_map_update_elem(&st, &k, &s, BPF_ANY);
		struct follow *f = bpf_map_lookup_elem(&st, &k);
		if (f)
			f->start = f->prev = bpf_ktime_get_ns();
		return 0;
	}
	struct follow *s = bpf_map_lookup_elem(&st, &k);
	if (!s)
		return 0;
	if (now - s->prev > STALE_NS) {
		/* a lost packet's entry picked up by a later one with the same identity */
		bpf_map_delete_elem(&st, &k);
		return 0;
	}
	add(s->loc, loc, now - s->prev);
	if (loc == receiver || (ev == EV_RX && receiver2 && loc == receiver2)) {
		add(0, 0, now - s->start - s->own);
		bpf_map_delete_elem(&st, &k);
		return 0;
	}
	s->loc = loc;
	/*
	 * The next step starts when this program is done with the packet: its own map work
	 * (a few hundred ns for a followed packet) is the observer's time, not the path's, and
	 * is kept out of the steps and the journey alike (docs/methodology.md, "Tracing").
	 */
	__u64 done = bpf_ktime_get_ns();
	s->own += done - now;
	s->prev = done;
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(on_queue, struct sk_buff *skb)
{
	return event(skb, EV_TX);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(on_receive, struct sk_buff *skb)
{
	return event(skb, EV_RX);
}

/* a followed packet dropped on the way: where it was last seen, and the kernel's reason */
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (attached_only)
		return 0;
	count(2);
	__u64 k = identity(skb);
	if (!k)
		return 0;
	struct follow *s = bpf_map_lookup_elem(&st, &k);
	if (!s)
		return 0;
	struct drop_key key = { .loc = s->loc, .reason = reason };
	__u64 *n = bpf_map_lookup_elem(&drops, &key);
	if (n) {
		*n += 1;
		return 0;
	}
	__u64 one = 1;
	bpf_map_update_elem(&drops, &key, &one, BPF_NOEXIST);
	return 0;
}

/*
 * Calibration, run once by the loader through BPF_PROG_TEST_RUN, never attached: the
 * kernel clock read 1,000 times in a row. The run-time statistics the loader holds on
 * cost two such reads per event (docs/methodology.md): this is how their cost is stated.
 */
__u64 clock_ns_per_read = 0;

SEC("syscall")
int clock_cost(void *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	for (int i = 0; i < 1000; i++)
		bpf_ktime_get_ns();
	__u64 t1 = bpf_ktime_get_ns();
	clock_ns_per_read = (t1 - t0) / 1000;
	return 0;
}

/*
 * Calibration of what the kernel's statistics cannot see: the cost of reaching a program
 * from a tracepoint (the tracepoint's call, the recursion guard, the RCU section) and of
 * running one that does nothing. The kernel times only the program's own run, so this
 * part of an event's cost is measured apart: the loader renames itself in a loop with this
 * program attached to task_rename and without it, and takes the difference per event.
 * task_rename fires only for a task that renames itself, so nothing else is touched.
 * Attached by the loader for that loop only, never through the skeleton.
 */
SEC("tp_btf/task_rename")
int attach_cost(void *ctx)
{
	return 0;
}

/*
 * Whether this kernel lets a program attach at a function's entry (fentry): where it
 * does, the time inside a step (the bridge's decision, conntrack, the macvlan receive
 * handler) could be split further. Loaded only by `netbench-trace --check` (bench
 * doctor), never during a run.
 */
SEC("fentry/ip_rcv")
int BPF_PROG(fentry_check, struct sk_buff *skb)
{
	return 0;
}
