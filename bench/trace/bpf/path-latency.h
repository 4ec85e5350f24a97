/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map layouts path-latency.bpf.c writes and loader.c reads: one definition, so that
 * the two cannot drift apart. Included after vmlinux.h (the program) or the libbpf
 * headers (the loader), either of which gives __u32 and __u64.
 */
#ifndef NETBENCH_PATH_LATENCY_H
#define NETBENCH_PATH_LATENCY_H

/* one step's time slot: from = 0 for the end-to-end journey */
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

/* a followed packet dropped: where it was last seen, and the kernel's reason */
struct drop_key {
	__u64 loc;
	__u64 reason;
};

#endif
