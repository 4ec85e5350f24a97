/**
 * Integration tests need root, namespaces and the suite's tools. When any is missing
 * they fail here, loudly, naming it: they are never skipped. Afterwards, nothing the
 * suite created may be left behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ourNetns } from './helpers.js';

const REQUIRED = ['ip', 'ping', 'nft', 'ethtool', 'taskset', 'iperf3', 'netperf', 'netserver', 'ovs-vsctl', 'ovsdb-server', 'ovs-vswitchd', 'ovsdb-tool'];

export function setup(): void {
  if (process.getuid?.() !== 0) throw new Error('integration tests need root (they build network namespaces); run them as root, as CI does');
  const missing = REQUIRED.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore', env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` } });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`integration tests need ${missing.join(', ')}: run scripts/setup.sh`);
  if (!existsSync('dist/src/lab/probe.js')) throw new Error('integration tests need the build: run npm run build first');
  const left = ourNetns();
  if (left.length) throw new Error(`namespaces from an earlier run are still here (${left.join(', ')}): run 'npx bench clean' first`);
}

export function teardown(): void {
  const left = ourNetns();
  const stateDir = process.env['NETBENCH_STATE_DIR'] ?? '/run/netbench';
  const ledgers = existsSync(`${stateDir}/ledgers`) ? readdirSync(`${stateDir}/ledgers`) : [];
  if (left.length || ledgers.length) {
    throw new Error(`the integration tests left things behind: namespaces [${left.join(', ')}], ledgers [${ledgers.join(', ')}]`);
  }
}
