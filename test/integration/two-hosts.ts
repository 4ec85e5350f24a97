/**
 * An emulated second machine for the real-host tests: a network namespace that runs
 * Debian's OpenSSH server on demand (ssh's ProxyCommand starts `sshd -i` inside it, so
 * no address in the root namespace is needed), reached with a throwaway key pair, and a
 * veth pair standing in for the two dedicated test NICs (one end here, one end "there").
 * A second ssh host, `limited`, is the same machine with a PATH that lacks some tools.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_NETNS_PREFIX } from '../support/netns.js';
import { sh } from '../support/shell.js';

export interface TwoHosts {
  readonly dir: string;
  readonly sshConfig: string;
  /** the remote machine's own (root) namespace */
  readonly remoteNs: string;
  /** the test NIC here, and the one on the remote */
  readonly nic: string;
  readonly peerNic: string;
  /** run a command on the remote machine, as it would run there */
  remote(args: string[]): string;
  /** the programs `limited` lacks */
  readonly lacking: readonly string[];
  cleanup(): void;
}

const run = sh;

export function twoHosts(): TwoHosts {
  const dir = mkdtempSync(join(tmpdir(), 'netbench-two-hosts-'));
  const remoteNs = `${TEST_NETNS_PREFIX}remote${process.pid % 1000}`;
  const nic = 'nbtnicA';
  const peerNic = 'nbtnicB';
  const lacking = ['iperf3', 'netperf', 'netserver'];
  // sshd's privilege separation directory: the service makes it at boot, which this machine may never have done
  const madePrivsep = !existsSync('/run/sshd');
  if (madePrivsep) mkdirSync('/run/sshd', { mode: 0o755 });
  run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
  run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  run(['cp', join(dir, 'id.pub'), join(dir, 'authorized_keys')]);
  // `limited`'s PATH: links to everything the suite runs there, except what it lacks
  const bin = join(dir, 'limited-bin');
  mkdirSync(bin);
  for (const t of ['sh', 'ip', 'ping', 'ss', 'sysctl', 'taskset', 'ethtool', 'timeout', 'cat', 'id', 'uname', 'nproc', 'sed', 'head', 'kill', 'sleep', 'env']) {
    const path = run(['sh', '-c', `command -v ${t}`]).trim();
    if (path) symlinkSync(path, join(bin, t));
  }
  const sshd = (name: string, extra: string) => {
    writeFileSync(
      join(dir, name),
      [`HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'LogLevel ERROR', 'PidFile none', extra, ''].join('\n'),
    );
  };
  sshd('sshd_config', '');
  sshd('sshd_limited', `SetEnv PATH=${bin}`);
  const host = (alias: string, sshdConfig: string) =>
    [
      `Host ${alias}`,
      '  User root',
      `  IdentityFile ${join(dir, 'id')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking no',
      '  LogLevel ERROR',
      // nsenter, not `ip netns exec`: the latter gives sshd a mount namespace of its own, and
      // the namespaces the suite adds "there" would be mounted where no other session sees them
      `  ProxyCommand nsenter --net=/run/netns/${remoteNs} /usr/sbin/sshd -i -f ${join(dir, sshdConfig)}`,
    ].join('\n');
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, `${host('remote', 'sshd_config')}\n${host('limited', 'sshd_limited')}\n`);
  run(['ip', 'netns', 'add', remoteNs]);
  run(['ip', 'link', 'add', nic, 'type', 'veth', 'peer', 'name', peerNic, 'netns', remoteNs]);
  // a real NIC hands up packets with whole checksums; a veth passes partial ones along,
  // which the userspace OVS datapath would forward unfinished
  run(['ethtool', '-K', nic, 'tx', 'off']);
  run(['ip', 'netns', 'exec', remoteNs, 'ethtool', '-K', peerNic, 'tx', 'off']);
  return {
    dir,
    sshConfig,
    remoteNs,
    nic,
    peerNic,
    lacking,
    remote: (args) => run(['ip', 'netns', 'exec', remoteNs, ...args]),
    // what cannot be removed is an error, not a silence: the leak check would miss it
    cleanup: () => {
      if (run(['ip', '-o', 'link', 'show']).includes(` ${nic}@`)) run(['ip', 'link', 'del', nic]);
      if (run(['ip', 'netns', 'list']).split('\n').some((l) => l.split(' ')[0] === remoteNs)) run(['ip', 'netns', 'del', remoteNs]);
      if (madePrivsep) rmSync('/run/sshd', { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
