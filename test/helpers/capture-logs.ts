// Test helper: a logger whose output is collected in memory (pino's sink pattern) for assertions.
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogFormat } from '../../src/obs/log.js';
import type { SecretRegistry } from '../../src/obs/redact.js';

export interface CapturedLogs {
  logger: Logger;
  /** Every JSON line written so far, parsed (only meaningful with the default `json` format). */
  lines(): Record<string, unknown>[];
  /** Everything written so far, verbatim. */
  text(): string;
}

/** captureLogs returns a logger writing into memory; writes are synchronous, so output is readable right after a call. */
export function captureLogs(opts: { level?: string; format?: LogFormat; secrets?: SecretRegistry } = {}): CapturedLogs {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: opts.level ?? 'trace', format: opts.format ?? 'json', destination: sink, secrets: opts.secrets });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text().split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, text };
}
