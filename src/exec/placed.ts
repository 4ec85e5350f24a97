/**
 * A real-host run's runner: a command meant for a namespace on the peer machine goes over
 * ssh, everything else runs here. Where a command runs is read from its namespace (the
 * spec's netns, or `ip -n <netns>`), so drivers, trials and checks stay the lab's code.
 */
import type { BackgroundProcess, CommandResult, CommandSpec, Runner } from './runner.js';

export class PlacedRunner implements Runner {
  private readonly remoteNs = new Set<string>();
  constructor(
    readonly local: Runner,
    readonly remote: Runner,
  ) {}

  /** From now on, commands in `netns` run on the peer machine. */
  placeOnPeer(netns: string): void {
    this.remoteNs.add(netns);
  }

  isRemote(netns: string | undefined): boolean {
    return netns !== undefined && this.remoteNs.has(netns);
  }

  private pick(spec: CommandSpec): Runner {
    const ns = spec.netns ?? (spec.program === 'ip' && spec.args[0] === '-n' ? spec.args[1] : undefined);
    return this.isRemote(ns) ? this.remote : this.local;
  }

  run(spec: CommandSpec): Promise<CommandResult> {
    return this.pick(spec).run(spec);
  }

  start(spec: CommandSpec): Promise<BackgroundProcess> {
    return this.pick(spec).start(spec);
  }
}
