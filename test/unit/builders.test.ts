import { afterEach, describe, expect, it } from 'vitest';
import { NetbenchError } from '../../src/errors.js';
import { RecordingRunner } from '../../src/exec/recording-runner.js';
import { cgroupDirs, mountsBelow } from '../../src/lab/docker.js';
import { isLedgerEntry, parseLedger } from '../../src/lab/ledger.js';
import { describeUndo } from '../../src/lab/teardown.js';
import { buildTopology } from '../../src/topology/build.js';
import { BUILDER_REGISTRY, driverFor } from '../../src/topology/builders.js';
import { cniChain } from '../../src/topology/drivers/cni.js';
import { dockerdArgs, publishFlags } from '../../src/topology/drivers/docker.js';
import { vxlanPlan } from '../../src/topology/drivers/routed.js';
import { DATAPATH_LOADER, datapathUnavailable } from '../../src/topology/drivers/ebpf.js';
import { expectedMatrix } from '../../src/topology/reachability.js';
import { parseBuilders, resolveTopologyArg, resolveTopologyList } from '../../src/topology/registry.js';
import { DRIVERS, resolveTopology } from '../../src/topology/spec.js';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulatedKernel, tempState } from '../support/fakes.js';
import { scratchDir } from '../support/scratch.js';

let cleanup = () => {};
afterEach(() => cleanup());

async function build(name: string, runner = simulatedKernel().runner) {
  const t = tempState();
  cleanup = t.cleanup;
  const built = await buildTopology(resolveTopologyArg(name), { runner, state: t.state, tag: 'abcd', slot: 0, command: 'test' });
  return { built, lines: runner.commandLines };
}

describe('a builder makes the styles it claims and refuses the others with its reason', () => {
  it('every builder answers for every style: a driver, or a reason', () => {
    for (const b of Object.values(BUILDER_REGISTRY)) {
      for (const d of DRIVERS) {
        const why = b.refuses[d];
        expect(why === null || why.length > 20, `${b.name} ${d}`).toBe(true);
      }
    }
    expect(Object.entries(BUILDER_REGISTRY.docker.refuses).filter(([, w]) => w === null).map(([d]) => d).sort()).toEqual(['macvlan', 'nat']);
    expect(Object.entries(BUILDER_REGISTRY.cni.refuses).filter(([, w]) => w === null).map(([d]) => d).sort()).toEqual(['bridge', 'macvlan', 'nat', 'ptp']);
  });

  it('a topology file asking docker for ovs is refused before anything is built, with the reason', () => {
    const spec = resolveTopology({ name: 'mine', driver: 'ovs', builder: 'docker', lan: { cidr: '198.18.0.0/24' }, containers: { count: 2 } }, 'test');
    let err: unknown;
    try {
      driverFor(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetbenchError);
    expect((err as NetbenchError).code).toBe('UNSUPPORTED');
    expect((err as NetbenchError).message).toContain('Docker has no Open vSwitch network driver');
  });

  it('--builder maps each named style to that builder\'s built-in, keeps host, and refuses what it does not make', () => {
    expect(resolveTopologyList('macvlan-bridge,nat', ['docker', 'cni']).map((s) => s.name)).toEqual(['docker-macvlan-bridge', 'cni-macvlan-bridge', 'docker-nat', 'cni-nat']);
    expect(resolveTopologyList('all', ['docker']).map((s) => s.name)).toEqual([
      'host',
      'docker-nat',
      'docker-nat-noproxy',
      'docker-bridge',
      'docker-macvlan-bridge',
      'docker-macvlan-vepa',
      'docker-macvlan-private',
      'docker-macvlan-passthru',
    ]);
    expect(() => resolveTopologyList('ovs', ['docker'])).toThrow(/Docker has no Open vSwitch/);
    expect(() => parseBuilders('docker,podman')).toThrow("unknown builder 'podman'; valid builders: iproute2, docker, cni");
    expect(parseBuilders(' docker , cni,docker ')).toEqual(['docker', 'cni']);
    expect(() => parseBuilders(' , ')).toThrow('--builder names no builder');
    // iproute2 beside docker: both builds of a style, side by side
    expect(resolveTopologyList('docker-macvlan-bridge', ['iproute2', 'docker']).map((s) => s.name)).toEqual(['macvlan-bridge', 'docker-macvlan-bridge']);
    expect(resolveTopologyList('macvlan-bridge', ['iproute2', 'docker']).map((s) => s.name)).toEqual(['macvlan-bridge', 'docker-macvlan-bridge']);
  });

  it('a style keeps its reachability expectations whoever builds it', () => {
    expect(expectedMatrix(resolveTopologyArg('docker-nat'))).toEqual(expectedMatrix(resolveTopologyArg('nat')));
    expect(expectedMatrix(resolveTopologyArg('cni-macvlan-private'))).toEqual(expectedMatrix(resolveTopologyArg('macvlan-private')));
    expect(expectedMatrix(resolveTopologyArg('cni-ptp'))).toEqual(expectedMatrix(resolveTopologyArg('ptp')));
  });
});

describe('cni: the plugin chain each style hands the plugins', () => {
  it('nat is the bridge plugin with a gateway and masquerade, then portmap for the first container only', () => {
    const spec = resolveTopologyArg('cni-nat');
    const first = cniChain(spec, 'up', 'br', spec.containers[0]!, true);
    expect(first.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(first[0]).toEqual({ type: 'bridge', bridge: 'br', isGateway: true, ipMasq: true, mtu: 1500, ipam: { type: 'static', addresses: [{ address: '198.19.0.11/24', gateway: '198.19.0.1' }], routes: [{ dst: '0.0.0.0/0' }] } });
    expect(first[1]).toMatchObject({ type: 'portmap', capabilities: { portMappings: true } });
    const maps = (first[1] as unknown as { runtimeConfig: { portMappings: { hostPort: number; protocol: string; hostIP: string }[] } }).runtimeConfig.portMappings;
    expect(maps).toContainEqual({ hostPort: 5201, containerPort: 5201, protocol: 'tcp', hostIP: '198.18.0.1' });
    expect(cniChain(spec, 'up', 'br', spec.containers[1]!, false).map((p) => p.type)).toEqual(['bridge']);
  });

  it('macvlan names the uplink as master, the mode, and the address the topology gives', () => {
    const spec = resolveTopologyArg('cni-macvlan-vepa');
    expect(cniChain(spec, 'abcda-up', '', spec.containers[1]!, false)).toEqual([
      { type: 'macvlan', master: 'abcda-up', mode: 'vepa', mtu: 1500, ipam: { type: 'static', addresses: [{ address: '198.18.0.12/24' }] } },
    ]);
  });

  it('the plugin DEL the ledger keeps is a ledger entry teardown knows', () => {
    const e = { kind: 'cni', netns: 'nb-abcd-x-hostA', plugin: 'bridge', containerNs: 'nb-abcd-x-c1', ifname: 'abcda-c1', config: '{}', path: '/usr/lib/cni' };
    expect(isLedgerEntry(e)).toBe(true);
    expect(isLedgerEntry({ ...e, config: undefined })).toBe(false);
    expect(describeUndo(e as never)).toBe('CNI DEL of bridge for nb-abcd-x-c1');
  });
});

describe('docker: a daemon of the run\'s own, in hostA', () => {
  it('dockerd, exactly: its own paths, config, namespaces and cgroup, overlay2, and the network flags of each style', () => {
    const d = '/r/docker';
    const own = [`--data-root=${d}/data`, `--exec-root=${d}/exec`, `--pidfile=${d}/dockerd.pid`, `--host=unix://${d}/docker.sock`, `--config-file=${d}/daemon.json`, '--containerd-namespace=netbench-abcd', '--containerd-plugins-namespace=netbench-abcd-plugins', '--cgroup-parent=netbench-abcd', '--storage-driver=overlay2', '--log-level=warn'];
    expect(dockerdArgs(resolveTopologyArg('docker-nat'), 'h', d, 'abcd')).toEqual(['--net=/run/netns/h', 'dockerd', ...own, '--iptables=true', '--userland-proxy=true', '--bip=198.19.0.1/24', '--mtu=1500']);
    expect(dockerdArgs(resolveTopologyArg('docker-bridge'), 'h', d, 'abcd')).toEqual(['--net=/run/netns/h', 'dockerd', ...own, '--iptables=true', '--userland-proxy=true', '--bridge=none']);
    expect(dockerdArgs(resolveTopologyArg('docker-macvlan-vepa'), 'h', d, 'abcd')).toEqual(['--net=/run/netns/h', 'dockerd', ...own, '--iptables=false', '--userland-proxy=true', '--bridge=none']);
  });

  it('dockerd gets its own paths, containerd namespace and cgroup parent, and iptables only for nat', () => {
    const nat = dockerdArgs(resolveTopologyArg('docker-nat-noproxy'), 'nb-abcd-x-hostA', '/run/netbench/runs/abcd-x/docker', 'abcd');
    expect(nat[0]).toBe('--net=/run/netns/nb-abcd-x-hostA');
    expect(nat).toEqual(expect.arrayContaining(['--pidfile=/run/netbench/runs/abcd-x/docker/dockerd.pid', '--cgroup-parent=netbench-abcd', '--containerd-namespace=netbench-abcd', '--iptables=true', '--userland-proxy=false', '--bip=198.19.0.1/24']));
    expect(nat.filter((a) => a.startsWith('--data-root=') || a.startsWith('--exec-root=') || a.startsWith('--host=')).every((a) => a.includes('/run/netbench/runs/abcd-x/docker/'))).toBe(true);
    const mv = dockerdArgs(resolveTopologyArg('docker-macvlan-bridge'), 'ns', '/d', 'abcd');
    expect(mv).toEqual(expect.arrayContaining(['--iptables=false', '--bridge=none']));
  });

  it('publishes the suite\'s tool ports on hostA\'s LAN address, to the first container only', () => {
    const spec = resolveTopologyArg('docker-nat');
    const flags = publishFlags(spec, 'c1');
    expect(flags).toEqual(['-p', '198.18.0.1:7007:7007/tcp', '-p', '198.18.0.1:5201:5201/tcp', '-p', '198.18.0.1:5201:5201/udp', '-p', '198.18.0.1:12865:12865/tcp', '-p', '198.18.0.1:12866:12866/tcp', '-p', '198.18.0.1:12866:12866/udp']);
    expect(publishFlags(spec, 'c2')).toEqual([]);
    expect(publishFlags(resolveTopologyArg('docker-macvlan-bridge'), 'c1')).toEqual([]);
  });

  it('finds mounts below its directory deepest first, and never a sibling with the same prefix', () => {
    const info = [
      '1 0 0:1 / / rw - ext4 /dev/vda rw',
      '5 1 0:5 / /run/netbench/runs/abcd-x/docker rw - tmpfs tmpfs rw',
      '3 1 0:3 / /run/netbench/runs/abcd-x/docker/exec/netns/n1 rw - nsfs nsfs rw',
      '2 1 0:2 / /run/netbench/runs/abcd-x/docker/data/overlay2/l1/merged rw - overlay overlay rw',
      '6 1 0:6 / /run/netbench/runs/abcd-x/docker/data/my\\040layer rw - overlay overlay rw',
      '4 1 0:4 / /run/netbench/runs/abcd-x/docker2/data rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountsBelow('/run/netbench/runs/abcd-x/docker', info)).toEqual([
      '/run/netbench/runs/abcd-x/docker/data/overlay2/l1/merged',
      '/run/netbench/runs/abcd-x/docker/exec/netns/n1',
      '/run/netbench/runs/abcd-x/docker/data/my layer',
      '/run/netbench/runs/abcd-x/docker',
    ]);
  });

  it("finds the run's cgroup in every hierarchy, children before parents", () => {
    const root = scratchDir('cg');
    try {
      mkdirSync(join(root, 'cpu', 'netbench-abcd', 'c0ffee'), { recursive: true });
      mkdirSync(join(root, 'memory', 'netbench-abcd'), { recursive: true });
      mkdirSync(join(root, 'memory', 'netbench-abce'), { recursive: true });
      writeFileSync(join(root, 'cpu', 'netbench-abcd', 'tasks'), '');
      const dirs = cgroupDirs('netbench-abcd', root);
      expect(dirs).toEqual([join(root, 'cpu', 'netbench-abcd', 'c0ffee'), join(root, 'cpu', 'netbench-abcd'), join(root, 'memory', 'netbench-abcd')]);
      // the unified (v2) layout: the run's cgroup right under the root
      mkdirSync(join(root, 'netbench-abcd'));
      expect(cgroupDirs('netbench-abcd', root)).toContain(join(root, 'netbench-abcd'));
      expect(cgroupDirs('netbench-abcd', join(root, 'absent'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the docker ledger entry says what it stops', () => {
    const e = { kind: 'docker', netns: 'nb-abcd-x-hostA', dir: '/run/netbench/runs/abcd-x/docker', cgroupParent: 'netbench-abcd', created: ['/run/docker'] };
    expect(isLedgerEntry(e)).toBe(true);
    expect(isLedgerEntry({ ...e, created: [1] })).toBe(false);
    expect(describeUndo(e as never)).toContain('stop dockerd in nb-abcd-x-hostA');
  });
});

describe('iproute2: the new styles', () => {
  it('vxlan sets up a Flannel-style overlay: VTEPs without learning, a route, a neighbour and an FDB entry per remote half', async () => {
    const { lines, built } = await build('vxlan');
    const p = vxlanPlan(resolveTopologyArg('vxlan'));
    expect(p).toMatchObject({ prefix: 25, hostAHalf: '198.19.0.0/25', peerHalf: '198.19.0.128/25', hostAVtep: '198.19.0.0', peerVtep: '198.19.0.128', mtu: 1450 });
    expect(lines).toContain(`ip -n nb-abcd-vxlan-hostA link add abcda-vx address ${p.hostAMac} mtu 1450 type vxlan id 1 local 198.18.0.1 dev abcda-up dstport 4789 nolearning`);
    expect(lines).toContain('ip -n nb-abcd-vxlan-hostA route add 198.19.0.128/25 via 198.19.0.128 dev abcda-vx onlink');
    expect(lines).toContain(`ip -n nb-abcd-vxlan-hostA neigh add 198.19.0.128 lladdr ${p.peerMac} dev abcda-vx nud permanent`);
    expect(lines).toContain(`ip netns exec nb-abcd-vxlan-hostA bridge fdb append ${p.peerMac} dev abcda-vx dst 198.18.0.2 self permanent`);
    expect(lines).toContain(`ip netns exec nb-abcd-vxlan-peer bridge fdb append ${p.hostAMac} dev abcda-pvx dst 198.18.0.1 self permanent`);
    // the containers' MTU pays for the tunnel, and the traffic's peer end is its VTEP
    expect(lines).toContain('ip -n nb-abcd-vxlan-hostA link add abcda-c1h mtu 1450 type veth peer name abcda-c1 netns nb-abcd-vxlan-c1 mtu 1450');
    expect(built.peer).toEqual({ netns: 'nb-abcd-vxlan-peer', address: '198.19.0.128', ifname: 'abcda-pvx' });
    expect(built.caveats.join(' ')).toMatch(/50 bytes/);
  });

  it('ptp: /32 on both ends, a host route per container, and the peer routes the containers\' network via hostA', async () => {
    const { lines } = await build('ptp');
    expect(lines).toContain('ip -n nb-abcd-ptp-hostA addr add 198.19.0.1/32 dev abcda-c1h');
    expect(lines).toContain('ip -n nb-abcd-ptp-hostA route add 198.19.0.11/32 dev abcda-c1h src 198.19.0.1');
    expect(lines).toContain('ip -n nb-abcd-ptp-c1 addr add 198.19.0.11/32 dev abcda-c1');
    expect(lines).toContain('ip -n nb-abcd-ptp-peer route add 198.19.0.0/24 via 198.18.0.1');
  });

  it('ipvlan on a kernel without it is refused with the kernel\'s words, and nothing is left', async () => {
    const noIpvlan = new RecordingRunner((spec, argv) => (argv.includes('ipvlan') ? { exitCode: 2, stderr: 'Error: Unknown device type.\n' } : undefined));
    const t = tempState();
    cleanup = t.cleanup;
    const err = await buildTopology(resolveTopologyArg('ipvlan-l3'), { runner: noIpvlan, state: t.state, tag: 'abcd', slot: 0, command: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetbenchError);
    expect((err as NetbenchError).code).toBe('UNSUPPORTED');
    expect((err as NetbenchError).message).toMatch(/this kernel has no ipvlan .*Unknown device type/);
  });

  it('ipvlan on a kernel with it: children of the uplink in the mode asked, l3 with a device route', async () => {
    const { lines } = await build('ipvlan-l3');
    expect(lines).toContain('ip -n nb-abcd-ipvlan-l3-hostA link add abcda-c1 link abcda-up type ipvlan mode l3');
    expect(lines).toContain('ip -n nb-abcd-ipvlan-l3-c1 route replace default dev abcda-c1');
    const l2 = await build('ipvlan-l2');
    expect(l2.lines.some((l) => l.includes('route replace default'))).toBe(false);
  });
});

describe('iproute2: the ebpf style', () => {
  it('ptp\'s wiring, then a clsact qdisc per device in the ledger before the loader attaches the tc programs in hostA', async () => {
    const { lines, built } = await build('ebpf');
    // the same addressing and routes as ptp
    expect(lines).toContain('ip -n nb-abcd-ebpf-hostA link add abcda-c1h mtu 1500 type veth peer name abcda-c1 netns nb-abcd-ebpf-c1 mtu 1500');
    expect(lines).toContain('ip -n nb-abcd-ebpf-hostA route add 198.19.0.11/32 dev abcda-c1h src 198.19.0.1');
    expect(lines).toContain('ip -n nb-abcd-ebpf-peer route add 198.19.0.0/24 via 198.18.0.1');
    // the programs ask the kernel's FIB, which answers only where hostA forwards
    expect(lines).toContain('ip netns exec nb-abcd-ebpf-hostA sysctl -qw net.ipv4.ip_forward=1');
    // the loader runs last, in hostA, with the uplink first and every container's host-side veth
    const attach = `ip netns exec nb-abcd-ebpf-hostA ${DATAPATH_LOADER} abcda-up abcda-c1h abcda-c2h`;
    expect(lines.at(-1)).toBe(attach);
    // each qdisc is in the ledger before the loader runs, after the links it sits on
    const entries = parseLedger(readFileSync(built.ledgerPath, 'utf8'));
    const qdiscs = entries.filter((e) => e.kind === 'qdisc');
    expect(qdiscs).toEqual([
      { kind: 'qdisc', netns: 'nb-abcd-ebpf-hostA', dev: 'abcda-up' },
      { kind: 'qdisc', netns: 'nb-abcd-ebpf-hostA', dev: 'abcda-c1h' },
      { kind: 'qdisc', netns: 'nb-abcd-ebpf-hostA', dev: 'abcda-c2h' },
    ]);
    expect(entries.findIndex((e) => e.kind === 'qdisc')).toBeGreaterThan(entries.findIndex((e) => e.kind === 'link' && e.name === 'abcda-c2h'));
    expect(built.caveats.join(' ')).toMatch(/not Cilium itself/);
    expect(describeUndo(qdiscs[0]!)).toBe('delete the clsact qdisc of abcda-up in nb-abcd-ebpf-hostA, and the tc BPF programs on it');
  });

  it('ebpf-netkit: netkit pairs made inside their namespaces, and only the uplink\'s program', async () => {
    const { lines } = await build('ebpf-netkit');
    expect(lines).toContain('ip -n nb-abcd-ebpf-netkit-hostA link add abcda-c1h mtu 1500 type netkit mode l3 peer name abcda-c1 netns nb-abcd-ebpf-netkit-c1 mtu 1500');
    expect(lines).toContain('ip -n nb-abcd-ebpf-netkit-c1 addr add 198.19.0.11/32 dev abcda-c1');
    expect(lines.at(-1)).toBe(`ip netns exec nb-abcd-ebpf-netkit-hostA ${DATAPATH_LOADER} abcda-up`);
  });

  it('ebpf-netkit on a kernel without netkit is refused with the kernel\'s words and the reason', async () => {
    // Debian 12's iproute2 does not know netkit's options; asked bare, the kernel says it has no netkit
    const noNetkit = new RecordingRunner((spec, argv) => (argv.includes('netkit') ? (argv.includes('mode') ? { exitCode: 255, stderr: 'Garbage instead of arguments "mode ...". Try "ip link help".\n' } : { exitCode: 2, stderr: 'Error: Unknown device type.\n' }) : undefined));
    const t = tempState();
    cleanup = t.cleanup;
    const err = await buildTopology(resolveTopologyArg('ebpf-netkit'), { runner: noNetkit, state: t.state, tag: 'abcd', slot: 0, command: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetbenchError);
    expect((err as NetbenchError).code).toBe('UNSUPPORTED');
    expect((err as NetbenchError).message).toMatch(/this kernel has no netkit .*Unknown device type.*CONFIG_NETKIT is not set/);
  });

  it('a datapath that cannot be attached fails the build with the loader\'s words', async () => {
    const refusing = new RecordingRunner((spec) => (spec.program === DATAPATH_LOADER ? { exitCode: 1, stderr: 'netbench-datapath: the kernel refused the programs: Operation not permitted\n' } : undefined));
    const t = tempState();
    cleanup = t.cleanup;
    const err = await buildTopology(resolveTopologyArg('ebpf'), { runner: refusing, state: t.state, tag: 'abcd', slot: 0, command: 'test' }).catch((e: unknown) => e);
    // where the loader is built (scripts/setup.sh, as in CI) the kernel's refusal is the reason; where it is not, that is
    if (datapathUnavailable() === undefined) {
      expect((err as NetbenchError).code).toBe('BUILD_FAILED');
      expect((err as NetbenchError).message).toMatch(/could not be attached: .*refused the programs: Operation not permitted/);
    } else expect((err as NetbenchError).message).toMatch(/not built .*make -C bench\/datapath/);
  });

  it('says why the datapath cannot be attached: no BTF, or not built', () => {
    const dir = scratchDir('no-datapath');
    expect(datapathUnavailable(join(dir, 'loader'), join(dir, 'vmlinux'))).toMatch(/no BTF/);
    writeFileSync(join(dir, 'vmlinux'), '');
    expect(datapathUnavailable(join(dir, 'loader'), join(dir, 'vmlinux'))).toMatch(/not built .*scripts\/setup.sh/);
    writeFileSync(join(dir, 'loader'), '');
    expect(datapathUnavailable(join(dir, 'loader'), join(dir, 'vmlinux'))).toBeUndefined();
  });

  it('its reachability row is ptp\'s, and docker and cni refuse it with their reasons', () => {
    expect(expectedMatrix(resolveTopologyArg('ebpf'))).toEqual(expectedMatrix(resolveTopologyArg('ptp')));
    expect(BUILDER_REGISTRY.docker.refuses.ebpf).toMatch(/no eBPF datapath/);
    expect(BUILDER_REGISTRY.cni.refuses.ebpf).toMatch(/agents, not CNI plugins/);
  });
});
