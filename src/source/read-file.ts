// Bounded, non-blocking reading of one desired file: regular files only, strict UTF-8, positioned encoding problems.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** ReadOutcome is the file's text, a missing file, or a problem at a 1-based line and column. */
export type ReadOutcome =
  | { status: 'ok'; text: string }
  | { status: 'missing' }
  | { status: 'error'; line: number; col: number; message: string };

type Failure = { status: 'error'; line: number; col: number; message: string };
const fail = (message: string, line = 1, col = 1): Failure => ({ status: 'error', line, col, message });

/** kindOf names what a non-regular file is, for the problem message. */
function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * readBounded opens without following a final symlink and without blocking (a FIFO opens at once with O_NONBLOCK),
 * checks through the open descriptor that it is a regular file, and reads at most maxBytes + 1 bytes.
 */
export function readBounded(path: string, maxBytes: number): { status: 'ok'; bytes: Buffer } | { status: 'missing' } | Failure {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing' };
    if (code === 'ELOOP') return fail('is a symbolic link; links are not followed, its objects are kept as they were');
    if (code === 'ENXIO') return fail('is a socket, not a regular file; not read');
    return fail(`cannot read file: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`is ${kindOf(st)}, not a regular file; not read`);
    if (st.size > maxBytes) return fail(`file is ${st.size} bytes, over the ${maxBytes}-byte limit; not loaded`);
    // Sized by fstat, grown if the file grows while being read, never past limit + 1 bytes.
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, st.size + 1));
    let off = 0;
    for (;;) {
      if (off === buf.length) {
        if (buf.length > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, off);
        buf = bigger;
      }
      const n = readSync(fd, buf, off, buf.length - off, null);
      if (n === 0) break;
      off += n;
    }
    // The file may have grown between fstat and read: the byte beyond the limit tells.
    if (off > maxBytes) return fail(`file is over the ${maxBytes}-byte limit; not loaded`);
    return { status: 'ok', bytes: buf.subarray(0, off) };
  } catch (err) {
    return fail(`cannot read file: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** positionOf turns a byte offset of UTF-8 text into a 1-based line and column (columns count characters). */
function positionOf(bytes: Buffer, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) { line++; lineStart = i + 1; }
  let col = 1;
  // Count code points, not bytes: continuation bytes (10xxxxxx) do not start a character.
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) col++;
  return { line, col };
}

/** invalidUtf8At returns the byte offset of the first invalid UTF-8 sequence, or -1. */
function invalidUtf8At(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** FORBIDDEN matches C0 controls other than tab, LF and CR, DEL, and C1 controls other than NEL (YAML's printable set). */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F]/u;

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** decodeDesiredText decodes strict UTF-8 (a UTF-8 BOM is dropped); other encodings and control characters are problems. */
export function decodeDesiredText(bytes: Buffer): ReadOutcome {
  const b = bytes;
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    return fail('file is UTF-32 encoded (byte-order mark); desired files must be UTF-8');
  }
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) {
    return fail('file is UTF-16 encoded (byte-order mark); desired files must be UTF-8');
  }
  const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  const body = start ? b.subarray(start) : b;
  let text: string;
  try {
    text = strict.decode(body);
  } catch {
    const at = invalidUtf8At(body);
    const { line, col } = positionOf(body, Math.max(0, at));
    return fail(`invalid UTF-8 (byte 0x${body[Math.max(0, at)]?.toString(16).padStart(2, '0') ?? '??'}); desired files must be UTF-8`, line, col);
  }
  const bad = FORBIDDEN.exec(text);
  if (bad) {
    const before = text.slice(0, bad.index);
    const line = before.split('\n').length;
    const col = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
    return fail(`control character ${hex(bad[0].codePointAt(0)!)} is not allowed`, line, col);
  }
  return { status: 'ok', text };
}
