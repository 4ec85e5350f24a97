/**
 * Faults: bad input builds nothing, a failure half-way is rolled back, signals tear
 * down, SIGKILL leaves a ledger that `bench clean` empties, and runs exclude each other.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateDirs } from '../../src/lab/state.js';

/** where the suite keeps its state (NETBENCH_STATE_DIR honoured, as the CLI does) */
const STATE = stateDirs();
import { bench, benchBackground } from '../support/cli.js';
import { ourNetns } from '../support/netns.js';
import { waitFor } from '../support/poll.js';
import { PASSTHRU_TWO_CHILDREN } from '../support/fixtures.js';
import { scratchDir } from '../support/scratch.js';

const LEDGERS = STATE.ledgers;
const ledgers = () => (existsSync(LEDGERS) ? readdirSync(LEDGERS) : []);

describe('bad input and faults', () => {
  it('refuses a second passthru child with a clear error and no partial state', async () => {
    const r = await bench(['topology', 'up', PASSTHRU_TWO_CHILDREN]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('passthru allows one child per parent');
    expect(ourNetns()).toEqual([]);
  });

  it('rolls back a build that fails half-way (injected fault)', async () => {
    // fail the third ovs-vsctl add-port, after the OVS daemons and two namespaces exist
    const r = await bench(['topology', 'up', 'ovs'], { NETBENCH_INJECT_FAULT: '3:add-port' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/building ovs failed, everything it created was removed: .*injected fault/);
    expect(ourNetns()).toEqual([]);
    expect(ledgers()).toEqual([]);
    expect(readdirSync(STATE.runs)).toEqual([]);
  });

  it('tears down on SIGINT during check', async () => {
    const child = benchBackground(['topology', 'check', 'bridge']);
    expect(await waitFor(() => ourNetns().length >= 3, 10_000)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toContain('torn down');
    expect(ourNetns()).toEqual([]);
    expect(ledgers()).toEqual([]);
  });

  it('tears down on SIGTERM during up', async () => {
    // the first nft command (after the namespaces and veths exist) is held back 4 s, so
    // the signal surely lands while the build is under way, never after it finished
    const child = benchBackground(['topology', 'up', 'nat'], { NETBENCH_INJECT_FAULT: 'pause=4000@1:nft' });
    expect(await waitFor(() => ourNetns().length >= 2, 10_000)).toBe(true);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    expect(String(r.stderr)).toContain('torn down');
    expect(ourNetns()).toEqual([]);
    expect(ledgers()).toEqual([]);
  });

  it('SIGHUP (a closed terminal) tears down like SIGTERM', async () => {
    const child = benchBackground(['topology', 'up', 'nat'], { NETBENCH_INJECT_FAULT: 'pause=4000@1:nft' });
    expect(await waitFor(() => ourNetns().length >= 2, 10_000)).toBe(true);
    child.kill('SIGHUP');
    const r = await child;
    expect(r.exitCode).toBe(129);
    expect(ourNetns()).toEqual([]);
    expect(ledgers()).toEqual([]);
  });

  it('Ctrl-C while waiting for the lock ends the wait at once', async () => {
    const first = benchBackground(['topology', 'check', 'nat']);
    expect(await waitFor(() => existsSync(STATE.lockInfo), 10_000)).toBe(true);
    const second = benchBackground(['topology', 'check', 'host']);
    let said = '';
    second.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    expect(await waitFor(() => said.includes('waiting for the lock'), 10_000)).toBe(true);
    const t0 = Date.now();
    second.kill('SIGINT');
    const r2 = await second;
    expect(r2.exitCode).toBe(130);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await first).exitCode).toBe(0);
    expect(ourNetns()).toEqual([]);
  });

  it('bench clean removes everything a SIGKILLed `up` left, including OVS daemons', async () => {
    const child = benchBackground(['topology', 'up', 'ovs']);
    expect(await waitFor(() => existsSync(STATE.runs) && readdirSync(STATE.runs).some((d) => existsSync(join(STATE.runs, d, 'ovs', 'ovs-vswitchd.pid'))), 15_000)).toBe(true);
    child.kill('SIGKILL');
    await child;
    expect(ourNetns().length).toBeGreaterThan(0);
    const runDir = readdirSync(STATE.runs)[0]!;
    const dry = await bench(['clean', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would tear down ovs');
    expect(ourNetns().length).toBeGreaterThan(0);
    const r = await bench(['clean']);
    expect(r.code).toBe(0);
    expect(ourNetns()).toEqual([]);
    expect(ledgers()).toEqual([]);
    expect(existsSync(join(STATE.runs, runDir))).toBe(false);
    const again = await bench(['clean']);
    expect(again.stdout).toContain('nothing to clean');
  });

  it('a second run says who holds the lock', async () => {
    const first = benchBackground(['topology', 'check', 'macvlan-private']);
    expect(await waitFor(() => existsSync(STATE.lockInfo), 10_000)).toBe(true);
    const second = await bench(['--no-wait', 'topology', 'check', 'host']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another run holds the netbench lock: pid \d+ \(bench topology check macvlan-private\)/);
    const r = await first;
    expect(r.exitCode).toBe(0);
    expect(ourNetns()).toEqual([]);
  });

  it('up prints how to explore and tear down; down removes it', async () => {
    const up = await bench(['topology', 'up', 'macvlan-bridge', '--json']);
    expect(up.code).toBe(0);
    const info = JSON.parse(up.stdout) as { namespaces: { hostA: string }; teardown: string; interfaces: { name: string }[] };
    expect(info.teardown).toBe('bench topology down macvlan-bridge');
    expect(ourNetns()).toContain(info.namespaces.hostA);
    const down = await bench(['topology', 'down', 'macvlan-bridge']);
    expect(down.code).toBe(0);
    expect(ourNetns()).toEqual([]);
  });

  it('bench clean leaves alone a live run that keeps its state in another directory', async () => {
    const other = scratchDir('other-state');
    const live = benchBackground(['topology', 'check', 'nat'], { NETBENCH_STATE_DIR: other, NETBENCH_INJECT_FAULT: 'pause=5000@1:nft' });
    expect(await waitFor(() => ourNetns().length >= 3, 10_000)).toBe(true);
    const theirs = ourNetns();
    const r = await bench(['clean']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/leaving namespace nb-\w{4}-nat-\w+ alone: run \w{4} is still live/);
    for (const ns of theirs) expect(ourNetns()).toContain(ns);
    expect((await live).exitCode).toBe(0);
    expect(ourNetns()).toEqual([]);
  });
});
