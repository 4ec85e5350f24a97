/**
 * Every topology, built for real, must show its row of the reachability table in docs/methodology.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOPOLOGY_NAMES } from '../../src/topology/registry.js';
import { bench } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { scratchDir } from '../support/scratch.js';

interface CheckJson {
  ok: boolean;
  topologies: { result: { topology: string; ok: boolean; cells: { id: string; expected: string; observed: string; ok: boolean; detail: string }[] }; datapath?: string }[];
}

const cell = (j: CheckJson, id: string) => j.topologies[0]!.result.cells.find((c) => c.id === id)!;

describe.each(TOPOLOGY_NAMES)('topology %s', (name) => {
  it('shows its row of the reachability table and leaves nothing behind', async () => {
    const r = await bench(['topology', 'check', name, '--json']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as CheckJson;
    const mismatches = j.topologies[0]!.result.cells.filter((c) => !c.ok);
    expect(mismatches).toEqual([]);
    expect(r.code).toBe(0);
    expect(ourNetns()).toEqual([]);

    // the cells that make each topology what it is, spelled out
    if (name === 'nat') {
      expect(cell(j, 'peer sees c1 as').detail).toContain('server saw 198.18.0.1');
      expect(cell(j, 'peer->c1').observed).toBe('no');
      expect(cell(j, 'peer->c1 published').observed).toBe('yes');
    }
    if (name === 'macvlan-bridge') expect(cell(j, 'hostA->c1').observed).toBe('no');
    if (name === 'macvlan-vepa') expect(cell(j, 'c1->c2').observed).toBe('yes');
    if (name === 'macvlan-private') expect([cell(j, 'c1->c2').observed, cell(j, 'hostA->c1').observed]).toEqual(['no', 'yes']);
    if (name === 'macvlan-passthru') expect(cell(j, 'c1->c2').observed).toBe('refused');
    if (name === 'ovs') expect(['system', 'netdev']).toContain(j.topologies[0]!.datapath);
    // ebpf's containers are on a network of their own behind hostA, routed without NAT
    if (name === 'ebpf') expect(cell(j, 'peer sees c1 as').detail).toContain('server saw 198.19.0.11');
    else if (name !== 'host' && name !== 'nat') expect(cell(j, 'peer sees c1 as').detail).toContain('server saw 198.18.0.11');
  });
});

describe('a copied topology file', () => {
  it('with another LAN, MTU 9000, three containers and mode vepa builds and shows vepa\'s row', async () => {
    const raw = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'topologies', 'macvlan-bridge.json'), 'utf8'));
    const mine = { ...raw, name: 'jumbo-vepa', mode: 'vepa', lan: { cidr: '198.18.7.0/24', mtu: 9000 }, containers: { count: 3, mtu: 9000 } };
    delete mine.$schema;
    const file = join(scratchDir('topo'), 'jumbo-vepa.json');
    writeFileSync(file, JSON.stringify(mine));
    const r = await bench(['topology', 'check', file, '--json']);
    const j = JSON.parse(r.stdout) as CheckJson;
    expect(j.topologies[0]!.result.cells.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    const up = await bench(['topology', 'up', file, '--json']);
    const info = JSON.parse(up.stdout) as { interfaces: { name: string; address?: string }[] };
    expect(info.interfaces.filter((i) => /^198\.18\.7\.1\d\//.test(i.address ?? '')).map((i) => i.address).sort()).toEqual(['198.18.7.11/24', '198.18.7.12/24', '198.18.7.13/24']);
    expect((await bench(['topology', 'down', 'jumbo-vepa'])).code).toBe(0);
    expect(ourNetns()).toEqual([]);
  });
});
