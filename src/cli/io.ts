// The CLI's view of the outside world, injected so commands run in tests without touching the process.
import type { Readable } from 'node:stream';

/** CliIO carries streams, environment, working directory and the signal source of one CLI run. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Process signals (SIGTERM, SIGINT, SIGHUP) for the daemon; tests pass their own emitter. */
  signals?: { on(sig: string, fn: () => void): unknown; off(sig: string, fn: () => void): unknown };
}

/** CliError is a failure with an exit code; only the entrypoint turns it into process.exit. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, error: 1, changes: 2, notConverged: 3, usage: 64 } as const;
