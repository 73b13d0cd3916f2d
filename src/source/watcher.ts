// Watches the desired directory with chokidar and delivers coalesced batches of changed paths.
import { statSync, type Stats } from 'node:fs';
import { basename, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Clock } from '../engine/clock.js';
import { BatchCoalescer, type CoalesceOptions } from './coalesce.js';
import { isIgnoredPath, isYamlName } from './ignore.js';

export interface WatchDesiredOptions extends CoalesceOptions {
  clock: Clock;
  /** Receives sorted absolute paths: changed, added or removed YAML files, and added or removed directories. */
  onBatch(files: string[]): void | Promise<void>;
  /** Receives watcher errors and directory loss; the watcher keeps going. Default: ignore. */
  onError?(err: Error): void;
  /** How often a missing directory is checked for (default 1000 ms). */
  pollMs?: number;
  /** A written file is delivered once its size and mtime stayed unchanged this long (default 500 ms). */
  settleMs?: number;
}

/** DesiredWatcher is a running watch; ready resolves once the initial directory scan is done. */
export interface DesiredWatcher {
  ready: Promise<void>;
  close(): Promise<void>;
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * watchDesired delivers changes under dir in batches (quiet window ~100 ms, at most ~250 ms after the first event),
 * each written file once its writes settled.
 * When the directory disappears it reports through onError, sends the directory itself as a batch (the store then
 * refuses to remove anything), polls until the directory is back, and sends the directory again so it is rescanned.
 */
export function watchDesired(dir: string, opts: WatchDesiredOptions): DesiredWatcher {
  const root = resolve(dir);
  const { clock } = opts;
  const report = (err: unknown): void => opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  const deliver = (files: string[]): void => {
    try {
      Promise.resolve(opts.onBatch(files)).catch(report);
    } catch (err) {
      report(err);
    }
  };
  const batches = new BatchCoalescer(clock, deliver, opts);
  let watcher: FSWatcher | undefined;
  let cancelPoll: (() => void) | undefined;
  let closed = false;

  const ignored = (path: string, stats?: Stats): boolean =>
    isIgnoredPath(root, path) || (stats?.isFile() === true && !isYamlName(basename(path)));

  const lost = (): void => {
    if (closed || !watcher) return;
    const w = watcher;
    watcher = undefined;
    void w.close().catch(report);
    report(new Error(`desired directory ${root} was removed; waiting for it to come back`));
    batches.add(root);
    poll();
  };

  const poll = (): void => {
    cancelPoll = clock.setTimer(() => {
      cancelPoll = undefined;
      if (closed) return;
      if (!isDirectory(root)) return poll();
      batches.add(root);
      void start();
    }, opts.pollMs ?? 1000);
  };

  const start = (): Promise<void> => {
    if (!isDirectory(root)) {
      report(new Error(`desired directory ${root} is missing; waiting for it to appear`));
      poll();
      return Promise.resolve();
    }
    // No symlink is followed, matching the loader's scan. A file is read only once its writes have settled, so a
    // half-written or truncated-then-rewritten file is not acted on in between.
    const settle = opts.settleMs ?? 500;
    const w = watch(root, {
      ignoreInitial: true, ignored, persistent: true, followSymlinks: false,
      ...(settle > 0 ? { awaitWriteFinish: { stabilityThreshold: settle, pollInterval: Math.max(10, Math.min(100, Math.floor(settle / 4))) } } : {}),
    });
    watcher = w;
    w.on('all', (event, path) => {
      if (closed || watcher !== w) return;
      const abs = resolve(path);
      if (abs === root && event === 'unlinkDir') lost();
      else if (event === 'addDir' || event === 'unlinkDir' || isYamlName(basename(abs))) batches.add(abs);
    });
    w.on('error', (err) => {
      report(err);
      if (watcher === w && !isDirectory(root)) lost();
    });
    return new Promise((res) => w.once('ready', () => res()));
  };

  const ready = start();
  return {
    ready,
    async close() {
      closed = true;
      cancelPoll?.();
      batches.cancel();
      const w = watcher;
      watcher = undefined;
      await w?.close();
    },
  };
}
