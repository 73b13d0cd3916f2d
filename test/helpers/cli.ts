// Test helper: an in-memory CliIO (string stdout/stderr, string stdin, an emitter for signals) and runCli wrappers.
import { SecretRegistry } from '../../src/obs/redact.js';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';
import type { CliIO } from '../../src/cli/io.js';

/** MemoryIO is a CliIO whose output is kept in strings and whose signals are emitted by the test. */
export interface MemoryIO extends CliIO {
  out(): string;
  err(): string;
  signals: EventEmitter;
}

/** memoryIO builds a CliIO; `stdin` is the whole standard input, `env` replaces the environment entirely. */
export function memoryIO(opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): MemoryIO {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    secrets: new SecretRegistry(),
    // HOME points nowhere useful so no test ever reads or writes the real ~/.livchat.
    env: opts.env ?? { HOME: '/nonexistent-livchat-test-home' },
    cwd: opts.cwd ?? process.cwd(),
    signals: new EventEmitter(),
    out: () => out,
    err: () => err,
  };
}

/** CliResult is one finished command. */
export interface CliResult { code: number; stdout: string; stderr: string }

/** cli runs one command in-process with a fresh MemoryIO. */
export async function cli(argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const io = memoryIO(opts);
  const code = await runCli(argv, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** tempDir makes a fresh directory under the OS temp dir. */
export function tempDir(prefix = 'lc-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** writeFiles writes `relative path → content` under dir, creating subdirectories. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** dnsYaml renders one DNSRecord document. */
export function dnsYaml(name: string, spec: Record<string, string | number | boolean>): string {
  const lines = ['apiVersion: livchat.ai/v1alpha1', 'kind: DNSRecord', 'metadata:', `  name: ${name}`, 'spec:'];
  for (const [k, v] of Object.entries(spec)) lines.push(`  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return lines.join('\n') + '\n';
}

/** ListItem is the part of a `get -o json` item the tests read. */
export interface ListItem {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  status: { conditions: Array<{ type: string; status: string; reason: string; message?: string }>; events: Array<{ reason: string; message: string }> } & Record<string, unknown>;
}

/** condition returns the status of one condition of a listed item. */
export function condition(item: ListItem, type: string): string | undefined {
  return item.status.conditions.find((c) => c.type === type)?.status;
}

/** until polls `check` every few ms until it returns a value other than undefined, or fails after timeoutMs. */
export async function until<T>(check: () => T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
