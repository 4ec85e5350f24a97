/**
 * Integration tests need root, namespaces and the suite's tools. When any is missing
 * they fail here, loudly, naming it: they are never skipped. Afterwards, nothing the
 * suite created may be left behind, and the root network namespace must be exactly as
 * it was: links, addresses, routes, rules, nftables and iptables rules, net.* sysctls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ourNetns } from '../support/netns.js';
import { ourBpf, pinnedBpf } from '../support/bpf.js';
import { libbpfUnavailable } from '../../src/trace/libbpf.js';
import { SCRATCH_PREFIX, SCRATCH_ROOT_ENV, scratchPresent } from '../support/scratch.js';

/** Counters that move by themselves, not settings anyone changed. */
const VOLATILE_SYSCTLS = /^net\.netfilter\.nf_conntrack_count\b/;

/** A snapshot command that cannot run fails the check loudly: an error text compared with itself would pass whatever changed. */
const sh = (program: string, args: string[]) => {
  try {
    return execFileSync(program, args, { encoding: 'utf8', env: { PATH: `${process.env['PATH']}:/usr/sbin:/sbin` }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`the root-namespace snapshot needs '${program} ${args.join(' ')}', which failed: ${String(err)}`);
  }
};

/** The root namespace's network state, section by section. */
export function rootNetworkState(): Record<string, string> {
  return {
    namespaces: sh('ip', ['netns', 'list']),
    links: sh('ip', ['-d', '-o', 'link', 'show']).replace(/\s+(rx|tx)\b.*$/gm, ''),
    addresses: sh('ip', ['-o', 'addr', 'show']),
    routes: sh('ip', ['route', 'show', 'table', 'all']),
    rules: sh('ip', ['rule', 'show']),
    'ipv6 rules': sh('ip', ['-6', 'rule', 'show']),
    nftables: sh('nft', ['list', 'ruleset']),
    iptables: sh('iptables-save', []).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n'),
    sysctls: sh('sysctl', ['-a', '--pattern', '^net\\.']).split('\n').filter((l) => !VOLATILE_SYSCTLS.test(l)).join('\n'),
    // the compiled observer's programs and links, and anything pinned in bpffs: none may outlive a run
    bpf: [...ourBpf(), ...pinnedBpf()].join('\n'),
  };
}

let before: Record<string, string> = {};

const REQUIRED = ['ip', 'ping', 'nft', 'ethtool', 'taskset', 'iperf3', 'netperf', 'netserver', 'ovs-vsctl', 'ovsdb-server', 'ovs-vswitchd', 'ovsdb-tool', 'ssh', 'ssh-keygen', 'sshd', 'nsenter', 'iptables-save', 'sysctl', 'bpftrace', 'bpftool'];

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
  const observer = libbpfUnavailable();
  if (observer) throw new Error(`integration tests need the compiled observer: ${observer}`);
  const left = ourNetns();
  if (left.length) throw new Error(`namespaces from an earlier run are still here (${left.join(', ')}): run 'npx bench clean' first`);
  before = rootNetworkState();
  // the group's scratch directories go in a directory of its own (the workers inherit the variable)
  process.env[SCRATCH_ROOT_ENV] = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}integration-`));
}

/**
 * vitest 4 logs an error thrown by a global teardown ("error during close") and still
 * exits 0: the failure is made the process's exit code here, so a leak fails CI.
 */
export function teardown(): void {
  try {
    checkNothingLeft();
  } catch (err) {
    process.exitCode = 1;
    throw err;
  }
}

function checkNothingLeft(): void {
  const left = ourNetns();
  const stateDir = process.env['NETBENCH_STATE_DIR'] ?? '/run/netbench';
  const ledgers = existsSync(`${stateDir}/ledgers`) ? readdirSync(`${stateDir}/ledgers`) : [];
  // scratch directories a file kept past its end (NETBENCH_KEEP_TMP=1 keeps them on purpose)
  const root = process.env[SCRATCH_ROOT_ENV];
  const scratch = root && process.env['NETBENCH_KEEP_TMP'] !== '1' ? scratchPresent(root) : [];
  if (root && scratch.length === 0 && process.env['NETBENCH_KEEP_TMP'] !== '1') rmdirSync(root);
  if (left.length || ledgers.length || scratch.length) {
    throw new Error(`the integration tests left things behind: namespaces [${left.join(', ')}], ledgers [${ledgers.join(', ')}], scratch directories [${scratch.join(', ')}]`);
  }
  const after = rootNetworkState();
  const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
  if (changed.length) {
    const diff = (k: string) => {
      const a = new Set((before[k] ?? '').split('\n'));
      const b = new Set((after[k] ?? '').split('\n'));
      return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)].slice(0, 20).join('\n');
    };
    throw new Error(`the root network namespace changed during the integration tests:\n${changed.map((k) => `${k}:\n${diff(k)}`).join('\n')}`);
  }
  process.stdout.write(`root network namespace unchanged: ${Object.keys(after).map((k) => `${k} (${after[k]!.split('\n').filter(Boolean).length} lines)`).join(', ')}\n`);
}
