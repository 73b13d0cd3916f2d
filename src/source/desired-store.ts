// In-memory index of desired objects: last-good versions, duplicate handling, incremental reloads and change reports.
import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '../crd/canonical.js';
import { parseKey, type DesiredObject, type Problem } from '../engine/types.js';
import { compareProblems, duplicateProblems, groupByKey } from './duplicates.js';
import { readGitRevision } from './git.js';
import { displayFile, isDesiredFile, isInside } from './ignore.js';
import { scanDesired } from './scan.js';
import { parseDesiredText, readDesiredFile, type FileLoad, type LoaderOptions } from './yaml-loader.js';

/** DesiredStoreOptions: the loader limits plus whether to read the git revision. */
export interface DesiredStoreOptions extends LoaderOptions {
  /** Read the git HEAD of the directory on every load (default true). */
  git?: boolean;
}

/** LoadReport says what a load changed, so the engine can enqueue exactly those keys. */
export interface LoadReport {
  /** False when the load was refused (missing, unreadable or emptied directory) and nothing changed. */
  applied: boolean;
  added: string[];
  updated: string[];
  removed: string[];
  /** Every problem currently known (same as store.problems()). */
  problems: Problem[];
  /** Objects in force after the load. */
  objects: number;
  /** Desired files tracked after the load. */
  files: number;
  /** Git commit of the directory, when it is in a git checkout. */
  revision: string | undefined;
}

/** FileState is what one file currently contributes. */
interface FileState {
  /** Hash of the text last parsed; an unchanged file is not parsed again. */
  textHash?: string;
  /** Objects in force from this file: valid ones, plus last good versions of ones that are now broken. */
  entries: DesiredObject[];
  problems: Problem[];
}

/**
 * contribution decides what a freshly loaded file puts in force. Valid documents replace their old versions.
 * A document that names its key but is invalid keeps that key's last good version. When some document cannot be
 * tied to a key at all (bad YAML, unknown kind, unreadable file), every last good object of the file stays, because
 * we cannot tell which one the broken document was meant to be. Only a clean file can drop objects.
 */
function contribution(load: FileLoad, prev: FileState | undefined): DesiredObject[] {
  const old = prev?.entries ?? [];
  const valid = new Set(load.objects.map((o) => o.key));
  const keep = load.complete ? new Set(load.invalidKeys) : new Set(old.map((o) => o.key));
  return [...old.filter((o) => keep.has(o.key) && !valid.has(o.key)), ...load.objects];
}

/** changed compares what the engine cares about: the spec and the metadata (labels, annotations). */
const changed = (a: DesiredObject, b: DesiredObject): boolean =>
  a.specHash !== b.specHash || canonicalJson(a.object.metadata) !== canonicalJson(b.object.metadata);

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** DesiredStore loads a desired directory and keeps the objects in force, never deleting on doubt. */
export class DesiredStore {
  readonly dir: string;
  readonly #opts: DesiredStoreOptions;
  #files = new Map<string, FileState>();
  #index = new Map<string, DesiredObject>();
  #duplicates: Problem[] = [];
  #dirProblems: Problem[] = [];
  #revision: string | undefined;

  constructor(dir: string, opts: DesiredStoreOptions = {}) {
    this.dir = resolve(dir);
    this.#opts = opts;
  }

  /** loadAll rescans the whole directory; unchanged files are not parsed again. */
  loadAll(): LoadReport {
    let scanned;
    try {
      scanned = scanDesired(this.dir);
    } catch (err) {
      return this.#refuse(`cannot read desired directory: ${(err as Error).message}; nothing is removed`);
    }
    const next = new Map<string, FileState>();
    for (const file of scanned.files) {
      const state = this.#loadFile(file, this.#files.get(file));
      if (state) next.set(file, state);
    }
    const unreadable = scanned.unreadableDirs;
    // Files under a directory we could not read are kept as they were.
    for (const [file, state] of this.#files) {
      if (!next.has(file) && unreadable.some((u) => isInside(u.dir, file))) next.set(file, state);
    }
    const dirProblems = unreadable.map((u) => this.#problem(`cannot read directory: ${u.error}; its objects are kept`, u.dir));
    return this.#commit(next, dirProblems);
  }

  /**
   * reload re-reads only the given paths (absolute, or relative to the directory), as delivered by the watcher.
   * A path that no longer exists removes the objects of that file, or of every file below it for a directory.
   */
  reload(paths: readonly string[]): LoadReport {
    if (!isDirectory(this.dir)) return this.#refuse('desired directory is missing or not a directory; nothing is removed');
    const targets = new Set<string>();
    for (const p of paths) {
      const abs = resolve(this.dir, p);
      if (!isInside(this.dir, abs)) continue;
      for (const tracked of this.#files.keys()) if (tracked === abs || tracked.startsWith(abs + sep)) targets.add(tracked);
      if (isDirectory(abs)) {
        try {
          for (const f of scanDesired(abs).files) if (isDesiredFile(this.dir, f)) targets.add(f);
        } catch {
          // Gone again or unreadable: the tracked files found above are handled one by one.
        }
      } else if (isDesiredFile(this.dir, abs)) targets.add(abs);
    }
    const next = new Map(this.#files);
    for (const file of targets) {
      const state = this.#loadFile(file, next.get(file));
      if (state) next.set(file, state);
      else next.delete(file);
    }
    return this.#commit(next, []);
  }

  /** get returns the object in force for `Kind/name`. */
  get(key: string): DesiredObject | undefined {
    return this.#index.get(key);
  }

  /** list returns the objects in force, sorted by key, optionally of one kind. */
  list(kind?: string): DesiredObject[] {
    const all = [...this.#index.values()].filter((o) => kind === undefined || parseKey(o.key).kind === kind);
    return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** keys returns every key in force, sorted. */
  keys(): string[] {
    return [...this.#index.keys()].sort();
  }

  /** size is the number of objects in force. */
  get size(): number {
    return this.#index.size;
  }

  /** problems returns every current problem: directory, per-file and duplicates, ordered by place. */
  problems(): Problem[] {
    const perFile = [...this.#files.values()].flatMap((s) => s.problems);
    return [...this.#dirProblems, ...perFile, ...this.#duplicates].sort(compareProblems);
  }

  /** revision is the git commit seen at the last applied load. */
  revision(): string | undefined {
    return this.#revision;
  }

  /** #loadFile returns the file's new state, or undefined when the file is gone. */
  #loadFile(file: string, prev: FileState | undefined): FileState | undefined {
    const read = readDesiredFile(file, this.#opts);
    if (read.status === 'missing') return undefined;
    if (read.status === 'error') return { entries: prev?.entries ?? [], problems: [read.problem] };
    const textHash = sha256Hex(read.text);
    if (prev && prev.textHash === textHash) return prev;
    const load = parseDesiredText(read.text, file, this.#opts);
    return { textHash, entries: contribution(load, prev), problems: load.problems };
  }

  /** #commit resolves duplicates, refuses to empty the index, then swaps the new state in and reports the diff. */
  #commit(next: Map<string, FileState>, dirProblems: Problem[]): LoadReport {
    const files = [...next.keys()].sort();
    const index = new Map<string, DesiredObject>();
    const duplicates: Problem[] = [];
    for (const [key, copies] of groupByKey(files.flatMap((f) => next.get(f)!.entries))) {
      if (copies.length === 1) {
        index.set(key, copies[0]!);
        continue;
      }
      const previous = this.#index.get(key);
      if (previous) index.set(key, previous);
      duplicates.push(...duplicateProblems(copies, previous !== undefined));
    }
    if (index.size === 0 && this.#index.size > 0) {
      return this.#refuse(`desired directory has no valid objects; keeping the ${this.#index.size} objects in force (an empty directory never deletes anything)`);
    }
    const added: string[] = [];
    const updated: string[] = [];
    const removed: string[] = [];
    for (const [key, obj] of index) {
      const old = this.#index.get(key);
      if (!old) added.push(key);
      else if (changed(old, obj)) updated.push(key);
    }
    for (const key of this.#index.keys()) if (!index.has(key)) removed.push(key);
    this.#files = next;
    this.#index = index;
    this.#duplicates = duplicates;
    this.#dirProblems = dirProblems;
    if (this.#opts.git !== false) this.#revision = readGitRevision(this.dir);
    return this.#report(true, added.sort(), updated.sort(), removed.sort());
  }

  #refuse(message: string): LoadReport {
    this.#dirProblems = [this.#problem(message, this.dir)];
    return this.#report(false, [], [], []);
  }

  #problem(message: string, path: string): Problem {
    return { file: displayFile(path, this.#opts.cwd), line: 1, col: 1, message };
  }

  #report(applied: boolean, added: string[], updated: string[], removed: string[]): LoadReport {
    return { applied, added, updated, removed, problems: this.problems(), objects: this.#index.size, files: this.#files.size, revision: this.#revision };
  }
}
