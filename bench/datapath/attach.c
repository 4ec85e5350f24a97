// SPDX-License-Identifier: GPL-2.0
/*
 * netbench-datapath: attaches the `ebpf` topology's tc programs (host-routing.bpf.c) in
 * the network namespace it runs in, then exits.
 *
 *   netbench-datapath <uplink> <container host-side veth>...
 *
 * It creates a clsact qdisc on each named interface (the suite's ledger holds one entry
 * per qdisc before this runs), attaches from_container at the ingress of each container's
 * host-side veth and to_container at the uplink's ingress, and prints one JSON line with
 * what it attached. The programs stay loaded while their tc filters hold them: nothing is
 * pinned, and deleting the qdisc (or the interface, or the namespace) unloads them.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "host-routing.skel.h"

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* a clsact qdisc on the interface (an existing one is used) and the program at its ingress */
static int attach(const char *ifname, int ifindex, struct bpf_program *prog, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	int err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "netbench-datapath: %s: could not add a clsact qdisc: %s\n", ifname, strerror(-err));
		return err;
	}
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .prog_fd = bpf_program__fd(prog));
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		fprintf(stderr, "netbench-datapath: %s: could not attach %s at tc ingress: %s\n", ifname, bpf_program__name(prog), strerror(-err));
		return err;
	}
	*prog_id = opts.prog_id;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: netbench-datapath <uplink> <container host-side veth>...\n");
		return 2;
	}
	int ifindex[argc];
	for (int i = 1; i < argc; i++) {
		ifindex[i] = (int)if_nametoindex(argv[i]);
		if (!ifindex[i]) {
			fprintf(stderr, "netbench-datapath: no interface '%s' in this namespace\n", argv[i]);
			return 2;
		}
	}
	libbpf_set_print(print_libbpf);
	struct host_routing_bpf *skel = host_routing_bpf__open();
	if (!skel) {
		fprintf(stderr, "netbench-datapath: could not open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->uplink_ifindex = (__u32)ifindex[1];
	int err = host_routing_bpf__load(skel);
	if (err) {
		fprintf(stderr, "netbench-datapath: the kernel refused the programs: %s\n", strerror(-err));
		host_routing_bpf__destroy(skel);
		return 1;
	}
	__u32 ids[argc];
	err = attach(argv[1], ifindex[1], skel->progs.to_container, &ids[1]);
	for (int i = 2; i < argc && !err; i++)
		err = attach(argv[i], ifindex[i], skel->progs.from_container, &ids[i]);
	if (!err) {
		printf("{\"uplink\":{\"ifname\":\"%s\",\"ifindex\":%d,\"prog\":%u},\"containers\":[", argv[1], ifindex[1], ids[1]);
		for (int i = 2; i < argc; i++)
			printf("%s{\"ifname\":\"%s\",\"ifindex\":%d,\"prog\":%u}", i > 2 ? "," : "", argv[i], ifindex[i], ids[i]);
		printf("]}\n");
	}
	/* the filters hold the programs; this process's references go */
	host_routing_bpf__destroy(skel);
	return err ? 1 : 0;
}
