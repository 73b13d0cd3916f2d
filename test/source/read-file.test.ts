// Safe reading: only regular files are read (FIFO, socket, device never block), no symlink is followed, strict UTF-8.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/engine/types.js';
import { DesiredStore } from '../../src/source/desired-store.js';
import { loadDesiredDirectory } from '../helpers/load-dir.js';
import { decodeDesiredText, readBounded } from '../../src/source/read-file.js';
import { readDesiredFile } from '../../src/source/yaml-loader.js';

const temps: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'livchat-read-'));
  temps.push(d);
  return d;
};
const record = (name: string, content: string): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: ${name}\nspec:\n  zone: example.com\n  name: ${name}\n  type: TXT\n  content: "${content}"\n`;
const problemsOf = (bytes: Buffer): string => {
  const r = decodeDesiredText(bytes);
  return r.status === 'error' ? `${r.line}:${r.col}: ${r.message}` : r.status;
};

describe('special files are never read', () => {
  it('a FIFO named *.yaml is a problem at FILE:1:1 and does not block (load, reload, validate)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), record('a', 'v1'));
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const store = new DesiredStore(dir, { cwd: dir, git: false });
    const first = store.loadAll();
    expect(first.problems.map(formatProblem)).toEqual(['pipe.yaml:1:1: is a FIFO (named pipe), not a regular file; not read']);
    expect(store.keys()).toEqual(['DNSRecord/a']);
    expect(store.reload([fifo]).problems.map(formatProblem)).toEqual(['pipe.yaml:1:1: is a FIFO (named pipe), not a regular file; not read']);
    expect(loadDesiredDirectory(dir, { cwd: dir }).problems.map(formatProblem)).toEqual(['pipe.yaml:1:1: is a FIFO (named pipe), not a regular file; not read']);
  });

  it('a socket and a device are problems, not reads', async () => {
    const dir = tempDir();
    const sock = join(dir, 'sock.yaml');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(sock, () => r()));
    const r = readDesiredFile(sock, { cwd: dir });
    expect(r.status === 'error' && formatProblem(r.problem)).toBe('sock.yaml:1:1: is a socket, not a regular file; not read');
    const dev = readBounded('/dev/zero', 1024);
    expect(dev).toEqual({ status: 'error', line: 1, col: 1, message: 'is a device, not a regular file; not read' });
  });

  it('reads at most limit + 1 bytes and refuses a file over the limit', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f.yaml'), 'x'.repeat(101));
    expect(readBounded(join(dir, 'f.yaml'), 100)).toMatchObject({ status: 'error', message: 'file is 101 bytes, over the 100-byte limit; not loaded' });
    writeFileSync(join(dir, 'g.yaml'), 'x'.repeat(100));
    expect(readBounded(join(dir, 'g.yaml'), 100)).toMatchObject({ status: 'ok' });
    expect(readBounded(join(dir, 'nope.yaml'), 100)).toEqual({ status: 'missing' });
  });

  it('reads a file that is longer than fstat said (it grew, or /proc reports 0) in full, still bounded', () => {
    const r = readBounded('/proc/self/status', 1024 * 1024);
    expect(r.status === 'ok' && r.bytes.toString('utf8')).toMatch(/^Name:/);
    expect(readBounded('/proc/self/status', 8)).toMatchObject({ status: 'error', message: 'file is over the 8-byte limit; not loaded' });
  });
});

describe('symbolic links are never followed, and every one is reported', () => {
  it('reports links outside, inside, to directories, dangling and looping; a link keeps the last good objects of its path', () => {
    const outsideDir = tempDir();
    const outside = join(outsideDir, 'x.yaml');
    writeFileSync(outside, record('x', 'v1'));
    const dir = tempDir();
    const linked = join(dir, 'linked.yaml');
    writeFileSync(linked, record('l', 'v1'));
    writeFileSync(join(dir, 'real.yaml'), record('r', 'v1'));
    const store = new DesiredStore(dir, { cwd: dir, git: false });
    expect(store.loadAll().objects).toBe(2);
    mkdirSync(join(dir, 'shared'));
    symlinkSync(outside, join(dir, 'out.yaml'));
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'in.yaml'));
    symlinkSync(join(dir, 'shared'), join(dir, 'dirlink'));
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    symlinkSync(join(dir, 'loop-b.yaml'), join(dir, 'loop-a.yaml'));
    symlinkSync(join(dir, 'loop-a.yaml'), join(dir, 'loop-b.yaml'));
    // A file replaced by a link keeps its objects: the link exists, it is just not followed.
    rmSync(linked);
    symlinkSync(outside, linked);
    const report = store.loadAll();
    expect(report.removed).toEqual([]);
    expect(store.keys()).toEqual(['DNSRecord/l', 'DNSRecord/r']);
    const lines = report.problems.map(formatProblem);
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.startsWith('out.yaml:1:1:'))).toMatch(/symbolic link to ".*x\.yaml" \(a file outside the desired directory\); symbolic links are not followed/);
    expect(lines.find((l) => l.startsWith('in.yaml:1:1:'))).toMatch(/\(a file inside the desired directory\)/);
    expect(lines.find((l) => l.startsWith('dirlink:1:1:'))).toMatch(/\(a directory inside the desired directory\)/);
    expect(lines.find((l) => l.startsWith('dangling.yaml:1:1:'))).toMatch(/\(nothing \(dangling\)\)/);
    expect(lines.find((l) => l.startsWith('loop-a.yaml:1:1:'))).toMatch(/\(a link loop\)/);
    expect(lines.find((l) => l.startsWith('linked.yaml:1:1:'))).toMatch(/outside the desired directory/);
    // The watcher's path for a link gives the same answer, and validate reports links too.
    expect(store.reload([join(dir, 'out.yaml')]).problems.map(formatProblem)).toEqual(lines);
    expect(loadDesiredDirectory(dir, { cwd: dir }).problems).toHaveLength(7);
  });
});

describe('encodings', () => {
  it('Latin-1 bytes are invalid UTF-8 at their LINE:COL, never U+FFFD in content', () => {
    expect(problemsOf(Buffer.concat([Buffer.from('a: 1\nb: "café '), Buffer.from([0xe9]), Buffer.from('"\n')]))).toBe('2:10: invalid UTF-8 (byte 0xe9); desired files must be UTF-8');
    expect(problemsOf(Buffer.from([0x61, 0x3a, 0x20, 0xc3]))).toBe('1:4: invalid UTF-8 (byte 0xc3); desired files must be UTF-8');
  });

  it('NUL and other control characters are problems at their LINE:COL; tab, LF and CR are fine', () => {
    expect(problemsOf(Buffer.from('a: 1\nb: "x\u0000y"\n'))).toBe('2:6: control character U+0000 is not allowed');
    expect(problemsOf(Buffer.from('a: "\u001b[31m"\n'))).toBe('1:5: control character U+001B is not allowed');
    expect(problemsOf(Buffer.from('a: "é\u0085"\tb\r\n'))).toBe('ok');
    expect(problemsOf(Buffer.from('a: "\u0080"\n'))).toBe('1:5: control character U+0080 is not allowed');
  });

  it('UTF-16 and UTF-32 byte-order marks get their own message; a UTF-8 BOM is fine', () => {
    expect(problemsOf(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toBe('1:1: file is UTF-16 encoded (byte-order mark); desired files must be UTF-8');
    expect(problemsOf(Buffer.from([0xfe, 0xff, 0x00, 0x61]))).toBe('1:1: file is UTF-16 encoded (byte-order mark); desired files must be UTF-8');
    expect(problemsOf(Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x61, 0, 0, 0]))).toBe('1:1: file is UTF-32 encoded (byte-order mark); desired files must be UTF-8');
    expect(problemsOf(Buffer.from([0, 0, 0xfe, 0xff]))).toBe('1:1: file is UTF-32 encoded (byte-order mark); desired files must be UTF-8');
    const bom = decodeDesiredText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\n')]));
    expect(bom).toEqual({ status: 'ok', text: 'a: 1\n' });
  });

  it('a TXT record with a Latin-1 byte or a NUL never loads, and keeps nothing invented', () => {
    const dir = tempDir();
    const [head, tail] = record('latin', 'XX').split('XX') as [string, string];
    writeFileSync(join(dir, 'latin.yaml'), Buffer.concat([Buffer.from(head), Buffer.from([0xfc]), Buffer.from(tail)]));
    writeFileSync(join(dir, 'nul.yaml'), record('nul', 'a\u0000b'));
    const load = loadDesiredDirectory(dir, { cwd: dir });
    expect(load.objects).toEqual([]);
    expect(load.problems.map(formatProblem)).toEqual([
      'latin.yaml:9:13: invalid UTF-8 (byte 0xfc); desired files must be UTF-8',
      'nul.yaml:9:14: control character U+0000 is not allowed',
    ]);
  });
});
