/**
 * The command line. Commands return an exit code; errors are turned into one here and
 * only here (EXIT in errors.ts): 1 failure, 2 usage, 3 undecided, 4 incomplete or broken
 * run, 70 internal error, 74 file I/O error, 128+n after a signal.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, NetbenchError, errorMessage } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { cleanCommand } from './commands/clean.js';
import { runCommand, type RunCliFlags } from './commands/run.js';
import { reportCommand } from './commands/report.js';
import { publishCommand } from './commands/publish.js';
import { DEFAULT_COMPARE_WINDOW } from '../site/publish.js';
import { baselineSave, gateCommand, type GateFlags } from './commands/gate.js';
import { powerCommand } from './commands/power.js';
import { durationInRange, LIMITS, profileNames } from '../run/config.js';
import { TRAFFIC_PATHS, WORKLOAD_NAMES } from '../workloads/registry.js';
import { doctor, type DoctorFlags } from './commands/doctor.js';
import { listTopologies, topologyCheck, topologyDown, topologyTime, topologyUp } from './commands/topology.js';
import type { IO } from './io.js';
import { Session, exitCodeForSignal } from './session.js';

export interface ProgramDeps {
  readonly io: IO;
  readonly runner?: Runner;
}

export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** --duration: checked by the run config (whole seconds, or a fraction from 0.2) */
function durationOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('--duration must be a number of seconds');
  try {
    return durationInRange(n);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
}

/** Wraps a command's action: a session with signal handlers, and its exit code or error turned into one. */
type Act = <A extends unknown[]>(fn: (s: Session, ...args: A) => Promise<number> | number) => (...args: A) => Promise<void>;

export function createProgram(deps: ProgramDeps, setExit: (code: number) => void): Command {
  const io = deps.io;
  const program = new Command('bench');
  program
    .description('netbench: how containers meet the network, measured (NAT, bridge, Open vSwitch, macvlan vs host)')
    .version('0.1.0')
    .addOption(new Option('--lock-wait <seconds>', 'how long to wait for another run to finish').default(300).argParser(intOption('--lock-wait', 0, 86_400)))
    .option('--no-wait', 'fail at once when another run holds the lock')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes:
  0    success (gate: no regression)
  1    failure: a regression (gate), a reachability check that does not match, a command that failed
  2    usage or input error: unknown name, invalid file or option, not root, a missing tool
  3    gate: a suspect metric (its estimate past the threshold, not yet significant; --lenient exits 0), or with --strict anything the noise can neither rule in nor out
  4    incomplete: a run measured less than asked (run); the current run is broken or incomplete (gate)
  70   internal error in netbench (a bug)
  74   a file could not be read or written (--out, --markdown, --junit, --dir, the state directory)
  129, 130, 143   interrupted by SIGHUP, SIGINT or SIGTERM, after tearing everything down`,
    );

  const session = (): Session => {
    const g = program.opts<{ lockWait: number; wait: boolean }>();
    const s = new Session(io, { lockWaitMs: g.wait === false ? 0 : g.lockWait * 1000 }, deps.runner);
    s.installSignalHandlers();
    return s;
  };
  const act: Act =
    (fn) =>
    async (...args) => {
      const s = session();
      try {
        setExit(await fn(s, ...args));
      } catch (err) {
        setExit(reportError(io, err, s));
      } finally {
        s.removeSignalHandlers();
      }
    };
  topologyCommands(program, act);
  measureCommands(program, act);
  maintenanceCommands(program, act);
  return program;
}

function topologyCommands(program: Command, act: Act): void {
  const topology = program.command('topology').description('build, inspect and check the container network topologies');
  topology
    .command('list')
    .description('the topologies, their modes and what they need')
    .option('--json', 'machine-readable output')
    .action(act((s, opts: { json?: boolean }) => listTopologies(s, opts)));
  topology
    .command('up <name>')
    .description('build a topology (a name or a topology file) and leave it running to explore')
    .option('--json', 'machine-readable output')
    .action(act((s, name: string, opts: { json?: boolean }) => topologyUp(s, name, opts)));
  topology
    .command('down [name]')
    .description('tear down a topology left running by `up`')
    .option('--all', 'every topology left running')
    .action(act((s, name: string | undefined, opts: { all?: boolean }) => topologyDown(s, name, opts)));
  topology
    .command('check [name]')
    .description('build, measure the reachability matrix against the expected one, tear down')
    .option('--all', "every built-in topology of the main job (with --builder: each builder's)")
    .option('--builder <names>', 'iproute2, docker, cni, or a comma list: who builds the topologies checked')
    .option('--json', 'machine-readable output')
    .action(act((s, name: string | undefined, opts: { all?: boolean; builder?: string; json?: boolean }) => topologyCheck(s, name, opts)));
  topology
    .command('time [name]')
    .description('time build and teardown with tinybench (median of several iterations)')
    .option('--all', 'every built-in topology')
    .addOption(new Option('--iterations <n>', 'iterations per phase').default(5).argParser(intOption('--iterations', 1, 100)))
    .option('--json', 'machine-readable output')
    .action(act((s, name: string | undefined, opts: { all?: boolean; iterations: number; json?: boolean }) => topologyTime(s, name, opts)));
}

/** The options `bench run` and `bench gate --run` share; bounds come from the run config's LIMITS. */
function runOptions(c: Command, defaults: boolean): Command {
  const bounded = (name: keyof typeof LIMITS) => intOption(`--${name}`, LIMITS[name][0], LIMITS[name][1]);
  return c
    .option('--topology <names>', 'all, a topology, a comma list, or topology files', defaults ? 'all' : undefined)
    .option('--profile <name>', `a profile from bench/profiles (${profileNames().join(', ')})`, defaults ? 'quick' : undefined)
    .option('--workload <names>', `comma list or all (${WORKLOAD_NAMES.join(', ')})`)
    .option('--path <names>', `comma list or all (${TRAFFIC_PATHS.join(', ')})`)
    .option('--trials <n>', 'a fixed count of measured trials per cell (instead of stopping adaptively)', bounded('trials'))
    .option('--budget <time>', "stop adaptively when every comparison is decided or this time is spent (e.g. 3m; the profile's by default)")
    .option('--against <names>', 'baselines to judge the named topologies against, beside host (e.g. nat,bridge,ovs)')
    .option('--builder <names>', "who builds the topologies: iproute2 (the suite's drivers, the default), docker, cni, or a comma list; each named style becomes that builder's built-in (docs/architecture.md)")
    .option('--duration <s>', 'seconds per trial: whole seconds, or 0.2-0.95 for short trials that end by count (bytes or transactions sized from the cell\'s rate so far; docs/methodology.md)', durationOption)
    .option('--warmup <n>', 'warm-up trials per topology and workload', bounded('warmup'))
    .option('--seed <n>', 'seed of the trial order (recorded in results)', intOption('--seed', 0, 2 ** 31 - 1))
    .option('--out <dir>', 'run directory (default reports/<run-id>)')
    .option('--no-trace', 'do not trace packets')
    .option('--tracer <name>', 'the observer: libbpf (compiled programs on BTF tracepoints, the default where the kernel has BTF) or bpftrace (kernels without BTF, and --trace-program); bench doctor says which a run will use and why')
    .option('--trace-variant <name>', "the compiled observer's variant, to measure its cost: full (the default: the kernel's run-time statistics on a tenth of the time), attached-only (the same probes, returning at once), no-stats (never on) or stats-always (on through every traced trial)")
    .option('--estimator <name>', "how each comparison's interval is made: robust (the default: a betting sequence on the Huber location of the per-block log ratios at two thirds of the level, beside the t-mixture sequence on their mean at the third left: a glitching trial far from the pairs pays nothing, one nearer moves the evidence by a bounded factor) or mean (the t-mixture sequence alone); docs/methodology.md")
    .option('--pairing <design>', "how a block orders its trials: chain (each cell once, a comparison's two sides side by side where they can be; the default), adjacent (every comparison back to back: cells repeat, blocks cost about twice) or block (each cell once, shuffled; the design before)")
    .option('--quiet', 'no progress while the run works (by default a line on a terminal, plain lines per phase and minute elsewhere)')
    .option('--busy <policy>', 'a trial taken while other processes used the CPU: rerun (left out and taken again, at most twice; the default) or keep (counted, and the run says how many and who; for a machine that is never quiet)')
    .option('--deep-idle', 'let the CPUs sleep in deep idle states between packets, as deployed (by default a run holds a 0 µs CPU-latency request while it measures; see docs/methodology.md)')
    .option('--trace-program <file>', 'a bpftrace program to trace with instead of bench/trace/path-latency.bt, taking the same arguments (to compare tracers; see docs/methodology.md)')
    .option('--noise-profile <s>', "seconds of the host path streamed in 100 ms steps before the trials: the run's noise profile, kept in results.json and shown in the report (the profile's with a budget, else 0: none)", bounded('noise-profile'))
    .option('--traced <n>', "tracing blocks: each pairs every cell's untraced trial with a traced one, for the overhead's interval (the profile's by default)", bounded('traced'))
    .option('--inject <slowdown>', 'apply a known slowdown to every non-host topology: tbf:<rate> or forward-rules:<n> (proves the gate)')
    .option('--uplink <nic>', "real hosts: this machine's dedicated test NIC (no address, no route), moved into the suite's namespace for the run and given back")
    .option('--peer <destination>', 'real hosts: the peer machine, as ssh reaches it (host, user@host or a Host alias; root, key login)')
    .option('--peer-uplink <nic>', "real hosts: the peer's dedicated test NIC, cabled or switched to --uplink")
    .option('--ssh-config <file>', 'real hosts: an ssh config file to use instead of your own (ssh -F)');
}

function measureCommands(program: Command, act: Act): void {
  runOptions(program.command('run'), true)
    .description('measure real traffic through the topologies and write results and a report (reports/<run-id>/)')
    .option('--force', 'replace the earlier run in the --out directory')
    .option('--json', 'print the summary as JSON on stdout')
    .action(act((s, opts: RunCliFlags) => runCommand(s, opts)));

  runOptions(program.command('gate'), false)
    .description('judge a run against a baseline: exit 0 no regression, 1 regression, 2 usage/input error, 3 suspect (or undecided with --strict), 4 broken or incomplete current run, 74 unwritable output')
    .requiredOption('--baseline <run>', 'baseline: results.json, run directory, or a name in bench/baselines')
    .option('--current <run>', 'current run: results.json or run directory')
    .option('--run', "run now (the baseline's topologies, workloads, paths and duration unless given), measuring until every gated metric is decided or one regressed: the gate looks after as many blocks as the baseline has and up to 3 more times, to twice that (--trials: the most blocks; --budget: a time limit), each test at alpha / looks")
    .option('--absolute', 'compare absolute figures instead of ratios to host')
    .option('--force', 'compare even when the environments differ')
    .option('--strict', 'exit 3 when the noise cannot rule a regression in or out')
    .option('--lenient', 'exit 0 on a suspect metric (its estimate past the threshold but not significant); by default the gate fails safe with exit 3')
    .option('--config <file>', 'thresholds (default bench/gate.json)')
    .option('--markdown <file>', 'also write the result as Markdown (for a CI job summary)')
    .option('--junit <file>', 'also write JUnit XML (one test case per metric)')
    .option('--json', 'print the decisions as JSON')
    .action(act((s, opts: GateFlags) => gateCommand(s, opts)));

  program
    .command('gate-power <run>')
    .description("how many trials the gate needs to catch a regression, resampling a run's own trials")
    .option('--shift <fraction>', 'the regression to catch (0.1 = 10%)', '0.1')
    .option('--trial-counts <list>', 'trial counts to try (comma list)', '3,4,6,8,10')
    .option('--metric <name>', 'metric (default: each workload\'s headline metric)')
    .option('--absolute', 'resample absolute figures instead of ratios to host')
    .addOption(new Option('--repeats <n>', 'resamples per trial count').default(400).argParser(intOption('--repeats', 50, 10_000)))
    .option('--sequential', "the design of bench gate --run: each trial count is the baseline's, the current run grows to twice it, and the gate looks up to 4 times at alpha / looks")
    .option('--estimator <name>', "the gate's test: robust (the rank-sum test, the default) or mean (the test on the logs' means); bench/gate.json's by default")
    .action(act((s, run: string, opts: { shift: string; trialCounts: string; metric?: string; absolute?: boolean; repeats: number; sequential?: boolean; estimator?: string }) => powerCommand(s, run, opts)));
}

function maintenanceCommands(program: Command, act: Act): void {
  program
    .command('baseline')
    .description('manage stored baselines')
    .command('save <run>')
    .description('store a complete run as a baseline (bench/baselines/<name>.json)')
    .option('--name <name>', 'baseline name', 'default')
    .option('--dir <dir>', 'where baselines live (default bench/baselines)')
    .option('--force', 'replace a stored baseline of the same name')
    .action(act((s, run: string, opts: { name: string; dir?: string; force?: boolean }) => baselineSave(s, run, opts)));

  program
    .command('report <run>')
    .description('render a run (its directory or results.json) as a self-contained HTML report and a Markdown summary')
    .option('--out <file>', 'HTML file (default <run-dir>/report.html; the .md goes beside it)')
    .option('--estimator <name>', "judge the saved trials again with this estimator: robust (the Huber betting sequence beside the mean's, the default for new runs) or mean (the t-mixture sequence alone, as runs before it were judged); the run's own by default")
    .option('--svg [dir]', 'also render every chart to SVG (default <run-dir>/svg)')
    .action(act((s, run: string, opts: { out?: string; svg?: string | boolean; estimator?: string }) => reportCommand(s, run, opts)));

  program
    .command('publish <runs...>')
    .description('add complete runs (run directories, results.json files, or directories of runs) to a static site: an index, each report, trends per topology, comparisons between any two runs')
    .requiredOption('--site <dir>', 'the site directory (made if missing; publishing again adds to it)')
    .option('--gate-config <file>', 'thresholds for the comparisons (default bench/gate.json)')
    .addOption(new Option('--compare-window <n>', 'compare each new run with the runs up to n before and after it in time').default(DEFAULT_COMPARE_WINDOW).argParser(intOption('--compare-window', 1, 10_000)))
    .action(act((s, runs: string[], opts: { site: string; gateConfig?: string; compareWindow?: number }) => publishCommand(s, runs, opts)));

  program
    .command('clean')
    .description('remove everything earlier runs left behind (from ledgers and run tags), even after SIGKILL')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .action(act((s, opts: { dryRun?: boolean }) => cleanCommand(s, opts)));
  program
    .command('doctor')
    .description('check root, kernel features and tools; say how to install what is missing')
    .option('--json', 'machine-readable output')
    .option('--peer <destination>', 'also check the peer machine of a real-host run over ssh: login, root, kernel, tools')
    .option('--ssh-config <file>', 'an ssh config file to use instead of your own (ssh -F)')
    .option('--uplink <nic>', "also check this machine's test NIC (free to take?)")
    .option('--peer-uplink <nic>', "also check the peer's test NIC (free to take?)")
    .addOption(new Option('--noise [seconds]', "instead of the checks, measure the machine's noise profile: one stream on host reported every 100 ms, the spread of a pair's ratio by trial length and gap, and the pairs a ±5% verdict needs under each trial design").preset(60).argParser(intOption('--noise', 10, 600)))
    .action(act((s, opts: DoctorFlags) => doctor(s, opts)));
}

export function reportError(io: IO, err: unknown, session?: Session): number {
  if (err instanceof NetbenchError) {
    if (err.code === 'INTERRUPTED' || session?.aborted) {
      io.err(`netbench: interrupted; everything this run built was torn down\n`);
      return exitCodeForSignal(session?.signal);
    }
    io.err(`netbench: ${err.message}\n`);
    return err.isUsage ? EXIT.usage : err.code === 'IO' ? EXIT.io : EXIT.failure;
  }
  if (session?.aborted) {
    io.err(`netbench: interrupted (${errorMessage(err)})\n`);
    return exitCodeForSignal(session.signal);
  }
  io.err(`netbench: internal error (a bug in netbench; please report it with what follows): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.internal;
}

/** Run the CLI in-process; returns the exit code (tests call this directly). */
export async function runCli(argv: readonly string[], deps: ProgramDeps): Promise<number> {
  let code = 0;
  const program = createProgram(deps, (c) => (code = c));
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (err.code === 'commander.executeSubCommandAsync') return 0;
      return 2;
    }
    return reportError(deps.io, err);
  }
  return code;
}
