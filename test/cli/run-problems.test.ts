// `livchat run` logs a file's problems when they change, capped per file, never again on edits of other files.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, memoryIO, tempDir, until, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

const problemLines = (out: string) => out.split('\n').filter((l) => l.includes('desired file problems'));

describe('livchat run problem logging', () => {
  it('logs 300 problems of one file once (20 in full plus the count), not on every edit of another file', async () => {
    const desired = tempDir('lc-runp-desired-');
    const stateDir = tempDir('lc-runp-state-');
    const bad = Array.from({ length: 300 }, (_, i) => `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata: {name: bad-${i}}\nspec: {zone: example.com}\n`).join('---\n');
    writeFiles(desired, { 'bad.yaml': bad, 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    try {
      await until(() => (existsSync(join(stateDir, 'objects', 'DNSRecord', 'a.json')) ? true : undefined), 20_000, 'DNSRecord/a');
      const first = problemLines(io.out());
      expect(first).toHaveLength(1);
      const entry = JSON.parse(first[0]!) as { file: string; count: number; problems: string[]; omitted: number };
      expect(entry.file.endsWith('bad.yaml')).toBe(true);
      expect(entry.problems).toHaveLength(20);
      expect(entry.omitted).toBe(entry.count - 20);
      for (let v = 0; v < 3; v++) {
        const before = io.out().split('\n').filter((l) => l.includes('"why":"change"')).length;
        writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: `v${v}` }) });
        await until(() => (io.out().split('\n').filter((l) => l.includes('"why":"change"')).length > before ? true : undefined), 20_000, 'the reload');
      }
      expect(problemLines(io.out())).toHaveLength(1);
    } finally {
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 60_000);

  it('a FIFO named *.yaml appearing in desired/ is reported and never read: /healthz keeps answering', async () => {
    const desired = tempDir('lc-runp-fifo-');
    const stateDir = tempDir('lc-runp-fifo-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    try {
      const url = await until(() => /http (http:\/\/127\.0\.0\.1:\d+)/.exec(io.out())?.[1], 20_000, 'the listen address');
      await until(() => (existsSync(join(stateDir, 'objects', 'DNSRecord', 'a.json')) ? true : undefined), 20_000, 'DNSRecord/a');
      execFileSync('mkfifo', [join(desired, 'pipe.yaml')]);
      await until(() => (problemLines(io.out()).some((l) => l.includes('pipe.yaml:1:1: is a FIFO')) ? true : undefined), 20_000, 'the FIFO problem');
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
    } finally {
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 60_000);
});
