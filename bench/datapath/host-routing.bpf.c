// SPDX-License-Identifier: GPL-2.0
/*
 * netbench's eBPF host routing (the `ebpf` topology, docs/methodology.md): tc programs
 * that forward a container's packets without hostA's IP stack, as Cilium's "BPF host
 * routing" and Calico's eBPF dataplane do. Not Cilium itself: the suite's own build of
 * the idea, on the ptp wiring (a veth per container, /32 routes through hostA).
 *
 * - from_container, at tc ingress of each container's host-side veth (the container's
 *   egress): the kernel's FIB decides where the packet goes. To another local container:
 *   bpf_redirect_peer into that container's namespace (no backlog queue, no second
 *   stack pass); out of the machine: bpf_redirect_neigh to the uplink, where the kernel
 *   resolves the next hop's neighbour and the socket keeps its backpressure. Anything
 *   for hostA itself, or that is not IPv4, goes up the stack as before.
 * - to_container, at tc ingress of hostA's uplink: a packet for a local container is
 *   handed into its namespace with bpf_redirect_peer.
 *
 * The uplink's ifindex is set by the loader before the programs are loaded. From kernel
 * 6.15 bpf_redirect_peer scrubs the packet and sets its type itself; before, it needed
 * bpf_skb_change_type (this build does not do that: `bench doctor` names the kernel).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP 0x0800
#define AF_INET 2
#define TC_ACT_OK 0

const volatile __u32 uplink_ifindex = 0;

/* where the kernel's FIB sends this packet: its egress ifindex, or 0 to leave it to the stack */
static __always_inline __u32 route(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	/*
	 * zeroed first, then filled field by field: with a designated initializer clang 14
	 * left the struct as the kernel saw it without its family (the lookup answered
	 * -EAFNOSUPPORT and every packet went up the stack)
	 */
	struct bpf_fib_lookup fib;
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = AF_INET;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ifindex = skb->ingress_ifindex;
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	/* a local destination (hostA itself) comes back "not forwarded": the stack delivers it */
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return 0;
	return fib.ifindex;
}

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	__u32 out = route(skb);
	if (!out || out == skb->ingress_ifindex)
		return TC_ACT_OK;
	if (out == uplink_ifindex)
		return bpf_redirect_neigh(out, NULL, 0, 0);
	return bpf_redirect_peer(out, 0);
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	__u32 out = route(skb);
	if (!out || out == uplink_ifindex || out == skb->ingress_ifindex)
		return TC_ACT_OK;
	return bpf_redirect_peer(out, 0);
}
