// The one construction path of the one-shot commands (plan, apply, later MCP): a runtime built the same way for each.
import { resolve } from 'node:path';
import { createRuntime, type Runtime } from '../daemon/compose.js';
import type { CloudMode } from '../daemon/credentials.js';
import type { SecretRegistry } from '../obs/redact.js';

export interface OneShotOptions {
  /** plan reads persisted state and never writes it; apply converges. */
  purpose: 'plan' | 'apply';
  cwd: string;
  dir?: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cloud: CloudMode;
  instance?: string;
  renameInstance?: boolean;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
  /** Logs go here (stderr for the CLI: stdout carries the plan or the progress). */
  logDestination?: NodeJS.WritableStream;
  /** The caller's registry: what the runtime learns (vault values, tokens) scrubs the caller's output too. */
  secrets?: SecretRegistry;
}

/** openOneShot builds the runtime of a plan or an apply; the caller closes it. */
export function openOneShot(o: OneShotOptions): Promise<Runtime> {
  return createRuntime({
    dir: resolve(o.cwd, o.dir ?? 'desired'), stateDir: o.stateDir, env: o.env, cloud: o.cloud, ...(o.secrets ? { secrets: o.secrets } : {}),
    // A one-shot command prints its own progress: info-level daemon logs would only repeat it.
    logLevel: o.logLevel === 'info' || o.logLevel === undefined ? 'warn' : o.logLevel,
    ...(o.logFormat ? { logFormat: o.logFormat } : {}), ...(o.logDestination ? { logDestination: o.logDestination } : {}),
    ...(o.instance ? { instance: o.instance } : {}),
    ...(o.purpose === 'plan'
      ? { readOnly: true }
      // apply reads desired/ once, at a moment the user chose: removals need no grace (the mass-deletion hold still applies).
      : { removalGraceMs: 0, ...(o.renameInstance ? { renameInstance: true } : {}) }),
  });
}
