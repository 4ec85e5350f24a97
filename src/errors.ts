/**
 * Errors that carry data. Every user-facing failure is a NetbenchError with a code;
 * only the CLI entry point turns one into an exit code.
 */
export type ErrorCode =
  | 'USAGE' // bad flags, unknown names: exit 2
  | 'INVALID_TOPOLOGY' // topology file fails validation: exit 2
  | 'NOT_ROOT' // exit 2
  | 'MISSING_TOOL' // exit 2
  | 'COMMAND_FAILED' // an external program failed
  | 'BUILD_FAILED' // a topology could not be built (rolled back)
  | 'LOCKED' // another run holds the lock
  | 'INTERRUPTED' // SIGINT / SIGTERM
  | 'OVS_FAILED'
  | 'SSH_FAILED' // the peer machine cannot be reached or refuses a command
  | 'UNSAFE_NIC' // a NIC named for a real-host run is in use: exit 2, nothing touched
  | 'UNSUPPORTED' // this machine or builder cannot make the style asked for (a kernel without ipvlan): exit 2
  | 'IO'; // a file that cannot be read or written: exit 74

/** Exit codes of every command (README and --help list them). */
export const EXIT = {
  ok: 0,
  /** a failure: a regression (gate), a check that does not match, a command that failed */
  failure: 1,
  /** bad flags or input: unknown names, invalid files, not root, a missing tool */
  usage: 2,
  /** gate --strict: the noise can neither rule a regression in nor out */
  undecided: 3,
  /** a run measured less than asked (run), or the current run is broken or incomplete (gate) */
  incomplete: 4,
  /** a bug in netbench: please report it with the stack trace */
  internal: 70,
  /** a file could not be read or written (--out, --markdown, --junit, the state directory) */
  io: 74,
} as const;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['USAGE', 'INVALID_TOPOLOGY', 'NOT_ROOT', 'MISSING_TOOL', 'UNSAFE_NIC', 'UNSUPPORTED']);

export class NetbenchError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetbenchError';
    this.code = code;
    this.details = options.details ?? {};
  }
  get isUsage(): boolean {
    return USAGE_CODES.has(this.code);
  }
}

export function usageError(message: string): NetbenchError {
  return new NetbenchError('USAGE', message);
}

/** Several cleanup failures combined into one, each kept as a cause. */
export class AggregateCleanupError extends NetbenchError {
  readonly errors: readonly unknown[];
  constructor(message: string, errors: unknown[]) {
    super('COMMAND_FAILED', `${message}: ${errors.map(errorMessage).join('; ')}`, { cause: errors[0] });
    this.errors = errors;
  }
}

/** The errno code of a Node.js system error (ENOSPC, EACCES, ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) ? err.code : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
