/**
 * A real-host run has one test NIC per machine, and a topology takes it whole (a bridge
 * enslaves it, macvlan hangs children on it): one topology at a time is built on it.
 * Before a trial, the holder tears down the topology that holds the NIC and builds the
 * trial's, with the same names, and pings the peer (which also fills the neighbour tables). In the lab
 * every topology is built once and `hold` only looks it up.
 */
import { errorMessage } from '../errors.js';
import { buildTopology, type BuiltTopology, teardownBuilt } from '../topology/build.js';
import { describeFailure, succeeded } from '../exec/runner.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './context.js';
import type { RunRecord } from './record.js';

export class NicHolder {
  private current: string | undefined;
  /** builds after the first of each topology, and the seconds they took (build, check and teardown) */
  rebuilds = 0;
  rebuildS = 0;

  constructor(
    private readonly cfg: RunConfig,
    private readonly ctx: Omit<RunContext, 'holder'>,
    private readonly record: RunRecord,
  ) {}

  /** What one move of the NICs has cost so far (3 s before the first: build, check, teardown). */
  get switchMs(): number {
    return this.rebuilds ? (this.rebuildS * 1000) / this.rebuilds : 3000;
  }

  /** The topology that holds the NIC now (up), if any. */
  get holding(): string | undefined {
    return this.current;
  }

  /** The build step built `name` and left it up. */
  built(name: string): void {
    this.current = name;
  }

  /** Make `name` the topology on the NIC; undefined (with a log line) when it cannot be built again. */
  async hold(name: string): Promise<BuiltTopology | undefined> {
    const i = this.record.built.findIndex((b) => b.spec.name === name);
    if (i < 0) return undefined;
    if (this.current === name) return this.record.built[i];
    const started = performance.now();
    await this.release();
    const spec = this.record.built[i]!.spec;
    const slot = this.cfg.topologies.findIndex((t) => t.name === name);
    try {
      this.ctx.progress?.({ done: 0, total: 0, etaS: 0, message: `moving the test NICs to ${name}` });
      const b = await buildTopology(spec, { runner: this.ctx.runner, state: this.ctx.state, tag: this.cfg.tag, slot, command: this.ctx.command, aborted: this.ctx.aborted, ...(this.ctx.real ? { real: this.ctx.real } : {}) });
      this.record.built[i] = b;
      this.current = name;
      // one ping from the side that sends first: proves the path and fills both neighbour tables before the trial
      const from = b.containers[0]?.netns ?? b.hostA.netns;
      const ping = await this.ctx.runner.run({ program: 'ping', args: ['-n', '-q', '-c', '1', '-W', '2', b.peer.address], netns: from, timeoutMs: 5000 });
      if (!succeeded(ping)) this.ctx.log(`rebuilt ${name}, but ${from} does not reach the peer now: ${describeFailure(ping)}`);
      return b;
    } catch (err) {
      this.ctx.log(`could not build ${name} again on the test NICs: ${errorMessage(err)}`);
      return undefined;
    } finally {
      this.rebuilds++;
      this.rebuildS += (performance.now() - started) / 1000;
    }
  }

  /** Tear down whatever holds the NIC (the NICs go back to their machines). */
  async release(): Promise<void> {
    const name = this.current;
    if (name === undefined) return;
    this.current = undefined;
    await this.ctx.tracer?.release();
    const b = this.record.built.find((x) => x.spec.name === name);
    if (b) await teardownBuilt(b, this.ctx.runner, this.ctx.state, this.ctx.real?.runner.remote);
  }
}
