import { describe, expect, it } from 'vitest';
import { NetbenchError } from '../../src/errors.js';
import { Naming } from '../../src/lab/names.js';
import { builtinTopologies, resolveTopologyArg, resolveTopologyList, TOPOLOGY_NAMES } from '../../src/topology/registry.js';
import { resolveTopology } from '../../src/topology/spec.js';

const base = () => ({
  name: 'mine',
  driver: 'macvlan',
  mode: 'bridge',
  lan: { cidr: '198.18.0.0/24', mtu: 1500 },
  containers: { count: 2 },
});

function problemOf(raw: unknown): string {
  try {
    resolveTopology(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(NetbenchError);
    expect((err as NetbenchError).code).toBe('INVALID_TOPOLOGY');
    expect((err as NetbenchError).isUsage).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected the topology to be rejected');
}

describe('topology files', () => {
  it('loads all eight built-in topologies in registry order', () => {
    expect(builtinTopologies().map((t) => t.name)).toEqual([...TOPOLOGY_NAMES]);
  });

  it('resolves the address plan: hostA host 1, peer host 2, containers from host 11', () => {
    const t = resolveTopology(base(), 'x');
    expect(t.lan.hostA).toBe('198.18.0.1');
    expect(t.lan.peer).toBe('198.18.0.2');
    expect(t.containers).toEqual([
      { name: 'c1', address: '198.18.0.11' },
      { name: 'c2', address: '198.18.0.12' },
    ]);
  });

  it('puts nat containers on the private network', () => {
    const nat = resolveTopologyArg('nat');
    expect(nat.private?.gateway).toBe('198.19.0.1');
    expect(nat.containers[0]?.address).toBe('198.19.0.11');
  });

  it('rejects an unknown key and lists the valid ones', () => {
    const msg = problemOf({ ...base(), colour: 'blue' });
    expect(msg).toContain("unknown key 'colour'");
    expect(msg).toContain('valid keys: name, description, driver, mode, builder, docker, lan, containers');
  });

  it('rejects an unknown nested key', () => {
    expect(problemOf({ ...base(), lan: { cidr: '198.18.0.0/24', speed: 10 } })).toContain("unknown key 'speed' at lan (valid keys: cidr, mtu)");
  });

  it('rejects an unknown mode and driver, listing valid values', () => {
    expect(problemOf({ ...base(), mode: 'source' })).toContain('mode is "source"; valid values: bridge, vepa, private, passthru, l2, l3, l3s');
    expect(problemOf({ ...base(), driver: 'ipvlan2' })).toContain('valid values: host, nat, bridge, ovs, macvlan, ipvlan, ptp, vxlan');
    expect(problemOf({ ...base(), builder: 'podman' })).toContain('valid values: iproute2, docker, cni');
    // a mode of the other driver: each driver lists its own
    expect(problemOf({ ...base(), driver: 'ipvlan', mode: 'vepa' })).toContain("ipvlan mode 'vepa' is not one of l2, l3, l3s");
    expect(problemOf({ ...base(), builder: 'cni', docker: { userlandProxy: false } })).toContain("'docker' applies to the nat driver built by the docker builder only");
  });

  it('rejects a bad CIDR and one outside the benchmarking range', () => {
    expect(problemOf({ ...base(), lan: { cidr: '198.18.0.1/24' } })).toContain("lan.cidr '198.18.0.1/24' is not a valid IPv4 network");
    expect(problemOf({ ...base(), lan: { cidr: '10.0.0.0/24' } })).toContain('outside 198.18.0.0/15');
    expect(problemOf({ ...base(), lan: { cidr: '198.18.0.0/33' } })).toContain('not a valid IPv4 network');
  });

  it('rejects a container name the build could not fit into an interface name (over 8 characters)', () => {
    expect(problemOf({ ...base(), containers: { count: 1, names: ['container9'] } })).toContain("'container9' is 10 characters; at most 8 allowed");
    // the longest allowed name does fit: <tag><slot>-<name>h is 15 characters
    expect(new Naming('abcd', 'x', 0).ifname('cccccccch')).toHaveLength(15);
  });

  it('rejects interface names the kernel would refuse', () => {
    const n = new Naming('abcd', 'x', 0);
    expect(n.ifname('c1')).toBe('abcda-c1');
    expect(() => n.ifname('frontend12')).toThrow(/15/);
  });

  it('rejects a container MTU above the parent', () => {
    expect(problemOf({ ...base(), lan: { cidr: '198.18.0.0/24', mtu: 1500 }, containers: { count: 2, mtu: 9000 } })).toContain(
      'containers.mtu 9000 is above the parent',
    );
  });

  it('rejects overlapping networks', () => {
    const raw = { ...base(), driver: 'nat', mode: undefined, private: { cidr: '198.18.0.128/25' } };
    delete (raw as { mode?: string }).mode;
    expect(problemOf(raw)).toContain('lan.cidr 198.18.0.0/24 and private.cidr 198.18.0.128/25 overlap');
  });

  it('refuses a second passthru child before anything is built', () => {
    expect(problemOf({ ...base(), mode: 'passthru', containers: { count: 2 } })).toContain('passthru allows one child per parent');
  });

  it('accepts a copied file with another MTU, count and mode', () => {
    const t = resolveTopology({ ...base(), name: 'jumbo', mode: 'vepa', lan: { cidr: '198.18.4.0/24', mtu: 9000 }, containers: { count: 3, mtu: 9000 } }, 'x');
    expect(t.mode).toBe('vepa');
    expect(t.containers.map((c) => c.address)).toEqual(['198.18.4.11', '198.18.4.12', '198.18.4.13']);
    expect(t.containerMtu).toBe(9000);
  });

  it('collects several problems into one error', () => {
    const msg = problemOf({ ...base(), mode: 'passthru', lan: { cidr: '10.0.0.0/8' }, containers: { count: 2 } });
    expect(msg).toContain('passthru');
    expect(msg).toContain('outside');
  });

  it('names the valid topologies for an unknown one', () => {
    expect(() => resolveTopologyArg('macvlan-source')).toThrow(/valid topologies: host, nat, bridge, ovs, ebpf, macvlan-bridge/);
    expect(() => resolveTopologyList('host,host')).toThrow(/named twice/);
    expect(resolveTopologyList('all')).toHaveLength(9);
  });
});
