/**
 * One trial: a fresh server in the server's namespace (tracked by pid in the ledger),
 * confirmed listening, the client with a hard timeout, machine-wide CPU time around it,
 * raw outputs saved, and a record (never an exception) of what happened.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { type BackgroundProcess, type CommandResult, describeFailure, type Runner } from '../exec/runner.js';
import { delay, settlesWithin } from '../util/delay.js';
import { type Ledger, processEntry } from '../lab/ledger.js';
import { busySeconds, type CpuSnapshot, parseProcStat } from '../parsers/procstat.js';
import type { RunStore } from '../results/store.js';
import type { Measured, TrialRecord } from '../results/types.js';
import { PORTS } from '../workloads/ports.js';
import { sizedByCount, WORKLOADS, type Workload } from '../workloads/registry.js';
import type { RoutePlan } from '../topology/routes.js';
import type { ScheduledTrial } from './schedule.js';
import type { AroundClient } from '../trace/tracer.js';

export interface TrialDeps {
  readonly runner: Runner;
  readonly store: RunStore;
  readonly ledger: Ledger;
  readonly durationS: number;
  readonly pinning: { client: number; server: number } | null;
  readonly readCpu?: () => CpuSnapshot;
  /** how long a server gets to start listening */
  readonly serverStartMs?: number;
  /** the cell's primary figure measured so far, for workloads that end by count */
  readonly expectedRate?: number;
  /** wraps the client run (tracing attaches here) */
  readonly around?: AroundClient;
}

const readCpuDefault = () => parseProcStat(readFileSync('/proc/stat', 'utf8'));

function serverSpec(kind: Workload['server'], durationS: number): { program: string; args: string[]; port: number } {
  if (kind === 'iperf3') {
    return { program: 'iperf3', args: ['-s', '-1', '-p', String(PORTS.iperf3), '--idle-timeout', String(Math.ceil(durationS) + 30), '-J'], port: PORTS.iperf3 };
  }
  // -D: stay in the foreground (tracked by pid); -f: serve tests in this process, no forks
  return { program: 'netserver', args: ['-D', '-f', '-4', '-p', String(PORTS.netperfControl)], port: PORTS.netperfControl };
}

async function listening(runner: Runner, netns: string, port: number): Promise<boolean> {
  const r = await runner.run({ program: 'ss', args: ['-Hltn', `sport = :${port}`], netns, timeoutMs: 5000 });
  return r.stdout.trim() !== '';
}

function rawName(t: ScheduledTrial, side: string): string {
  return `${String(t.index).padStart(4, '0')}-${t.topology}-${t.workload}-${t.path}${t.warmup ? '-warmup' : ''}.${side}.txt`;
}

export async function runTrial(t: ScheduledTrial, plan: RoutePlan, deps: TrialDeps): Promise<TrialRecord> {
  const wl: Workload = WORKLOADS[t.workload];
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const raw: string[] = [];
  const base = { index: t.index, block: t.block, warmup: t.warmup, topology: t.topology, workload: t.workload, path: t.path, traced: deps.around !== undefined, startedAt };
  const failed = (error: string): TrialRecord => ({ ...base, status: 'failed', error, metrics: {}, flags: [], raw, durationMs: performance.now() - started });
  const srv = serverSpec(wl.server, deps.durationS);
  const pin = deps.pinning;

  if (await listening(deps.runner, plan.server.netns, srv.port)) {
    return failed(`port ${srv.port} is already bound in ${plan.server.netns}; a server from an earlier trial may still be running`);
  }
  let server: BackgroundProcess;
  try {
    server = await deps.runner.start({ program: srv.program, args: srv.args, netns: plan.server.netns, timeoutMs: (deps.durationS + 40) * 1000, ...(pin ? { cpu: pin.server } : {}) });
  } catch (err) {
    return failed(`${srv.program} could not start: ${errorMessage(err)}`);
  }
  deps.ledger.append(processEntry(server, srv.program, plan.server.netns));
  let serverExited: CommandResult | undefined;
  void server.exited.then((r) => (serverExited = r));
  let clientRan = false;
  try {
    const until = Date.now() + (deps.serverStartMs ?? 5000);
    let up = false;
    while (Date.now() < until && serverExited === undefined) {
      if (await listening(deps.runner, plan.server.netns, srv.port)) {
        up = true;
        break;
      }
      await delay(25);
    }
    if (!up) {
      const why = serverExited ? `it exited: ${describeFailure(serverExited)}` : `not listening on port ${srv.port} after ${deps.serverStartMs ?? 5000} ms`;
      return failed(`${srv.program} never came up in ${plan.server.netns}: ${why}`);
    }
    // a test sized by count runs longer than planned if the rate fell: allow it three times over
    const clientTimeoutS = Math.ceil(sizedByCount(wl, deps.durationS) ? deps.durationS * 3 : deps.durationS) + 15;
    const readCpu = deps.readCpu ?? readCpuDefault;
    const cpu0 = readCpu();
    const runClient = () =>
      deps.runner.run({ program: wl.client, args: wl.clientArgs(plan.target, deps.durationS, deps.expectedRate), netns: plan.client.netns, timeoutMs: clientTimeoutS * 1000, ...(pin ? { cpu: pin.client } : {}) });
    clientRan = true;
    const client = deps.around ? await deps.around(runClient) : await runClient();
    const cpu1 = readCpu();
    raw.push(deps.store.writeRaw(rawName(t, 'client'), client.stdout));
    if (client.stderr.trim()) raw.push(deps.store.writeRaw(rawName(t, 'client-stderr'), client.stderr));
    if (client.timedOut) return failed(`${wl.client} hung: no result within ${clientTimeoutS} s (killed)`);
    const parsed = wl.parse(client.stdout);
    if (!parsed.ok) return failed(client.spawnError ? describeFailure(client) : parsed.error);
    const metrics: Record<string, Measured> = {};
    for (const def of wl.metrics) {
      const v = parsed.values[def.name];
      if (v !== undefined && Number.isFinite(v)) metrics[def.name] = { value: v, unit: def.unit };
    }
    const cpuS = busySeconds(cpu0, cpu1);
    const work = wl.work(parsed.values);
    const costDef = wl.metrics.find((d) => d.name === work.metric)!;
    if (work.amount > 0) metrics[work.metric] = { value: cpuS / work.amount, unit: costDef.unit };
    metrics['cpu_busy_s'] = { value: cpuS, unit: 'CPU-s' };
    return { ...base, status: 'ok', metrics, flags: parsed.flags, raw, durationMs: performance.now() - started };
  } finally {
    // iperf3 -1 ends by itself after its one test; give it a moment, then make sure (no test ran: stop it now)
    const ended = await settlesWithin(server.exited, wl.server === 'iperf3' && clientRan ? 1500 : 0);
    const res = ended ? await server.exited : await server.stop(500);
    if (res.stdout.trim()) raw.push(deps.store.writeRaw(rawName(t, 'server'), res.stdout));
  }
}
