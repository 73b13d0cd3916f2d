// Crash-safe file writes: write to a temp file, fsync it, rename over the target, fsync the directory.
import { openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync, unlinkSync, linkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';

let seq = 0;

/** writeFileAtomic replaces `path` with `data` so that a reader (or a crash) sees either the old or the new content. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, opts: { syncDir?: boolean } = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++seq}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* best effort */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (opts.syncDir !== false) fsyncDir(dir);
}

/**
 * createFileExclusive makes `path` appear whole or not at all: a complete, fsynced temp file is hard-linked into place.
 * Returns false when the file already exists (link() fails with EEXIST), so concurrent creators agree on one winner.
 */
export function createFileExclusive(path: string, data: string, mode = 0o600): boolean {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
}

function fsyncDir(dir: string): void {
  // A directory fsync makes the rename itself durable; some filesystems refuse it, which is harmless.
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported here */ }
}
