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
  | 'CHECK_FAILED'
  | 'IO';

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['USAGE', 'INVALID_TOPOLOGY', 'NOT_ROOT', 'MISSING_TOOL']);

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
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
