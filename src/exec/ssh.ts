/**
 * Running on the remote peer machine: the system OpenSSH client, in BatchMode, with the
 * user's own ssh config (or the one given), one multiplexed connection per run. Nothing
 * of ours runs on the remote: each command is the same argv the local runner would run,
 * quoted for the remote shell. docs/architecture.md ("Real hosts") describes the model.
 */
import { NetbenchError } from '../errors.js';
import { delay, settlesWithin } from '../util/delay.js';
import { type BackgroundProcess, type CommandResult, type CommandSpec, DEFAULT_TIMEOUT_MS, formatArgv, type Runner, succeeded, toArgv, describeFailure } from './runner.js';

export interface SshTarget {
  /** what the user passes to ssh: a host, user@host, or a Host alias of their ssh config */
  readonly destination: string;
  /** an ssh config file instead of the user's own (ssh -F) */
  readonly configFile?: string;
}

/** A destination is one word that cannot be read as an ssh option. */
export function checkDestination(destination: string): void {
  if (!/^[A-Za-z0-9_.@:%[\]-]+$/.test(destination) || destination.startsWith('-')) {
    throw new NetbenchError('USAGE', `--peer '${destination}' is not an ssh destination (a host, user@host or a Host alias, not starting with '-')`);
  }
}

/** ssh options every connection uses: never prompt, fail fast, notice a dead link; multiplexed over `control` when given. */
export function sshOptions(target: SshTarget, control?: { readonly path: string; readonly master?: boolean }): string[] {
  return [
    ...(target.configFile ? ['-F', target.configFile] : []),
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', `ControlPath=${control?.path ?? 'none'}`,
    '-o', `ControlMaster=${control?.master ? 'yes' : 'no'}`,
  ];
}

/** Stops process $1 if its start time (field 22 of /proc/pid/stat) is $2 (any, when empty), giving each signal $3 x 50 ms. */
const REMOTE_STOP = [
  'p=$1; st=$2; n=$3',
  'alive() { s=$(cat /proc/$p/stat 2>/dev/null) || return 1; set -- ${s##*) }; [ "$1" != Z ] && { [ -z "$st" ] || [ "${20}" = "$st" ]; }; }',
  'for sig in INT TERM KILL; do',
  '  alive || exit 0; kill -s $sig $p 2>/dev/null',
  '  i=0; while [ $i -lt $n ]; do alive || exit 0; sleep 0.05; i=$((i+1)); done',
  'done',
  'alive && exit 1; exit 0',
].join('\n');

/**
 * Stop a remote process by pid *and* start time (a recycled pid is left alone): SIGINT,
 * SIGTERM, SIGKILL, each given `graceMs`. True when it is gone.
 */
export async function stopRemote(remote: Runner, pid: number, startTime: string, graceMs = 1000): Promise<boolean> {
  const r = await remote.run({ program: 'sh', args: ['-c', REMOTE_STOP, 'sh', String(pid), startTime, String(Math.max(1, Math.round(graceMs / 50)))], timeoutMs: graceMs * 3 + 15_000 });
  // not reaching the machine is not the same as a process that would not stop
  if (r.spawnError !== undefined) throw new NetbenchError('SSH_FAILED', r.spawnError);
  return succeeded(r);
}

/** The remote command line for a spec: a remote `timeout` ends it even if this machine is gone. */
function remoteLine(spec: CommandSpec): string {
  const timeoutS = Math.ceil((spec.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = ['timeout', '-s', 'INT', '-k', '2', String(timeoutS), ...(env.length ? ['env', ...env] : []), ...toArgv(spec)];
  return formatArgv(argv);
}

/** Prints "<pid> <start time>" of the process that then becomes the command. */
const ANNOUNCE = 'read -r s < /proc/$$/stat; t=${s##*) }; f() { shift 19; echo "$1"; }; echo "$$ $(f $t)"; exec "$0" "$@"';

export class SshRunner implements Runner {
  constructor(
    private readonly local: Runner,
    readonly target: SshTarget,
    readonly controlPath?: string,
  ) {}

  get host(): string {
    return this.target.destination;
  }

  /** ssh itself exits 255 when it fails: a remote command's own 255 becomes 254, so that 255 always means ssh. */
  private argv(line: string): string[] {
    return [...sshOptions(this.target, this.controlPath ? { path: this.controlPath } : undefined), '-T', this.target.destination, '--', `${line}; s=$?; [ $s -ne 255 ] || s=254; exit $s`];
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const r = await this.local.run({ program: 'ssh', args: this.argv(remoteLine(spec)), timeoutMs: timeoutMs + 5000, ...(spec.input !== undefined ? { input: spec.input } : {}) });
    // ssh's own failure (255) is not the command's: say which it was
    if (r.exitCode === 255 && !r.timedOut) return { ...r, argv: ['ssh', this.host, ...toArgv(spec)], spawnError: `ssh to ${this.host} failed: ${r.stderr.trim().split('\n').pop() ?? 'exit 255'}` };
    return { ...r, argv: ['ssh', this.host, ...toArgv(spec)], timedOut: r.timedOut || r.exitCode === 124 };
  }

  async start(spec: CommandSpec): Promise<BackgroundProcess> {
    const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const line = `sh -c ${formatArgv([ANNOUNCE])} ${remoteLine(spec)}`;
    const bg = await this.local.start({ program: 'ssh', args: this.argv(line), timeoutMs: timeoutMs + 10_000 });
    const argv = ['ssh', this.host, ...toArgv(spec)];
    const until = Date.now() + 15_000;
    let head: RegExpExecArray | null = null;
    let ended = false;
    void bg.exited.then(() => (ended = true));
    while (Date.now() < until) {
      head = /^(\d+) (\d+)\n/.exec(bg.output());
      if (head || ended) break;
      await delay(10);
    }
    if (!head) {
      const r = ended ? await bg.exited : await bg.stop(500);
      throw Object.assign(new Error(`on ${this.host}: ${ended ? describeFailure(r) : 'no answer within 15 s'}`), { result: r });
    }
    const pid = Number(head[1]);
    const startTime = head[2]!;
    const strip = (text: string) => text.slice(head![0].length);
    const exited = bg.exited.then((r) => ({ ...r, argv, stdout: strip(r.stdout) }));
    return {
      pid,
      startTime,
      host: this.host,
      argv,
      exited,
      output: () => strip(bg.output()),
      stop: async (graceMs = 1000) => {
        try {
          await stopRemote(this, pid, startTime, graceMs);
        } catch {
          // the peer cannot be reached now: its remote timeout, or teardown's end of the namespace, stops it
        }
        // the remote end is gone: ssh ends once its channel closes
        if (!(await settlesWithin(exited, 3000))) await bg.stop(200);
        return exited;
      },
    };
  }
}

/**
 * A run's one connection to the peer: an ssh master process that every command reuses
 * (ControlPath in the run's state directory). Its pid goes into a ledger by the caller.
 */
export async function openMaster(local: Runner, target: SshTarget, controlPath: string): Promise<BackgroundProcess> {
  const master = await local.start({
    program: 'ssh',
    args: [...sshOptions(target, { path: controlPath, master: true }), '-N', target.destination],
    timeoutMs: 7 * 24 * 3600 * 1000,
  });
  const until = Date.now() + 20_000;
  let done: CommandResult | undefined;
  void master.exited.then((r) => (done = r));
  while (Date.now() < until && !done) {
    const check = await local.run({ program: 'ssh', args: [...(target.configFile ? ['-F', target.configFile] : []), '-o', `ControlPath=${controlPath}`, '-O', 'check', target.destination], timeoutMs: 5000 });
    if (succeeded(check)) return master;
    await delay(100);
  }
  const r = done ?? (await master.stop(500));
  const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? (r.timedOut ? 'no connection within 20 s' : `ssh exited ${r.exitCode}`);
  throw new NetbenchError('SSH_FAILED', `cannot reach the peer over ssh (ssh ${target.configFile ? `-F ${target.configFile} ` : ''}${target.destination}): ${why}. netbench needs key-based root login without a prompt (BatchMode): check it with 'ssh ${target.destination} true'`);
}
