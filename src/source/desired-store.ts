// In-memory index of desired objects: last-good versions (persisted), duplicate handling, incremental reloads and change reports.
import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '../crd/canonical.js';
import { formatProblem, parseKey, type DesiredObject, type Problem } from '../engine/types.js';
import type { LastGoodPort } from '../store/last-good.js';
import { compareProblems, duplicateProblems } from './duplicates.js';
import { readGitRevision } from './git.js';
import { displayFile, isDesiredFile, isInside } from './ignore.js';
import { describeLink, scanDesired } from './scan.js';
import { parseDesiredText, readDesiredFile, type FileLoad, type LoaderOptions } from './yaml-loader.js';

/** DesiredStoreOptions: the loader limits, whether to read the git revision, and where last good objects persist. */
export interface DesiredStoreOptions extends LoaderOptions {
  /** Read the git HEAD of the directory on every load (default true). */
  git?: boolean;
  /** Persist each file's last good objects here, and start from them (a restart then behaves like a reload). */
  lastGood?: LastGoodPort;
}

/** ProblemChange is the current problem list of one file (or the directory) whose problems changed in a load. */
export interface ProblemChange { file: string; problems: Problem[] }

/** LoadReport says what a load changed, so the engine can enqueue exactly those keys. */
export interface LoadReport {
  /** False when the load was refused (missing or unreadable directory) and nothing changed. */
  applied: boolean;
  added: string[];
  updated: string[];
  removed: string[];
  /** Every problem currently known (same as store.problems()). */
  problems: Problem[];
  /** Files whose problems changed in this load, with their current problems (empty when cleared). */
  problemChanges: ProblemChange[];
  /** Objects in force after the load. */
  objects: number;
  /** Desired files tracked after the load. */
  files: number;
  /** Git commit of the directory, when it is in a git checkout. */
  revision: string | undefined;
}

/** FileState is what one file currently contributes. */
interface FileState {
  /** Hash of the text last parsed cleanly; an unchanged file is not parsed again. */
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

const bySource = (a: DesiredObject, b: DesiredObject): number =>
  compareProblems({ file: a.source?.file ?? '', line: a.source?.line ?? 1, col: a.source?.col ?? 1, message: '' }, { file: b.source?.file ?? '', line: b.source?.line ?? 1, col: b.source?.col ?? 1, message: '' });

const signature = (problems: Problem[]): string => problems.map(formatProblem).join('\n');

/** DesiredStore loads a desired directory and keeps the objects in force, never deleting on doubt. */
export class DesiredStore {
  readonly dir: string;
  readonly #opts: DesiredStoreOptions;
  #files = new Map<string, FileState>();
  /** Every candidate per key across all files; more than one is a duplicate. */
  readonly #copies = new Map<string, DesiredObject[]>();
  readonly #index = new Map<string, DesiredObject>();
  readonly #duplicates = new Map<string, Problem[]>();
  #dirProblems: Problem[] = [];
  #problems: Problem[] | undefined;
  #revision: string | undefined;

  constructor(dir: string, opts: DesiredStoreOptions = {}) {
    this.dir = resolve(dir);
    this.#opts = opts;
    if (opts.lastGood) {
      // Start from what was in force before the restart: a file that is broken now keeps those objects.
      const saved = opts.lastGood.load(this.dir).files;
      const changes = new Map<string, FileState | undefined>();
      for (const [file, s] of saved) changes.set(file, { ...(s.textHash ? { textHash: s.textHash } : {}), entries: s.entries, problems: [] });
      this.#apply(changes, false);
    }
  }

  /** loadAll rescans the whole directory; unchanged files are not parsed again. */
  loadAll(): LoadReport {
    let scanned;
    try {
      scanned = scanDesired(this.dir);
    } catch (err) {
      return this.#refuse(`cannot read desired directory: ${(err as Error).message}; nothing is removed`);
    }
    const changes = new Map<string, FileState | undefined>();
    const seen = new Set<string>();
    for (const file of scanned.files) {
      seen.add(file);
      const prev = this.#files.get(file);
      const state = this.#loadFile(file, prev);
      if (state !== prev) changes.set(file, state);
    }
    for (const link of scanned.links) {
      seen.add(link.path);
      const prev = this.#files.get(link.path);
      changes.set(link.path, { entries: prev?.entries ?? [], problems: [this.#problem(link.message, link.path)] });
    }
    const unreadable = scanned.unreadableDirs;
    // Files under a directory we could not read are kept as they were; every other file not seen is really gone.
    for (const file of this.#files.keys()) {
      if (!seen.has(file) && !unreadable.some((u) => isInside(u.dir, file))) changes.set(file, undefined);
    }
    const dirProblems = unreadable.map((u) => this.#problem(`cannot read directory: ${u.error}; its objects are kept`, u.dir));
    return this.#commit(changes, dirProblems);
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
      if (isDirectory(abs)) {
        for (const tracked of this.#files.keys()) if (tracked.startsWith(abs + sep)) targets.add(tracked);
        try {
          const sub = scanDesired(abs);
          for (const f of sub.files) if (isDesiredFile(this.dir, f)) targets.add(f);
          for (const l of sub.links) if (isDesiredFile(this.dir, l.path)) targets.add(l.path);
        } catch {
          // Gone again or unreadable: the tracked files found above are handled one by one.
        }
        continue;
      }
      if (this.#files.has(abs) || isDesiredFile(this.dir, abs)) targets.add(abs);
      else for (const tracked of this.#files.keys()) if (tracked.startsWith(abs + sep)) targets.add(tracked);
    }
    const changes = new Map<string, FileState | undefined>();
    for (const file of targets) {
      const prev = this.#files.get(file);
      const state = this.#loadFile(file, prev);
      if (state !== prev) changes.set(file, state);
    }
    return this.#commit(changes, this.#dirProblems.filter((p) => p.file !== displayFile(this.dir, this.#opts.cwd)));
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

  /** problems returns every current problem: directory, per-file and duplicates, ordered by place (cached between changes). */
  problems(): Problem[] {
    this.#problems ??= [...this.#dirProblems, ...[...this.#files.values()].flatMap((s) => s.problems), ...[...this.#duplicates.values()].flat()].sort(compareProblems);
    return this.#problems;
  }

  /** revision is the git commit seen at the last applied load. */
  revision(): string | undefined {
    return this.#revision;
  }

  /** #loadFile returns the file's new state (prev itself when unchanged), or undefined when the file is really gone. */
  #loadFile(file: string, prev: FileState | undefined): FileState | undefined {
    const read = readDesiredFile(file, this.#opts);
    if (read.status === 'missing') return undefined;
    if (read.status === 'error') {
      const problem = read.problem.message.startsWith('is a symbolic link') ? this.#problem(describeLink(this.dir, file), file) : read.problem;
      return { entries: prev?.entries ?? [], problems: [problem] };
    }
    const textHash = sha256Hex(read.text);
    if (prev && prev.textHash === textHash) return prev;
    const load = parseDesiredText(read.text, file, this.#opts);
    const entries = contribution(load, prev);
    // Reuse the old entry list when nothing changed, so nothing is re-indexed or persisted again.
    const same = prev !== undefined && prev.entries.length === entries.length && entries.every((e, i) => e === prev.entries[i] || (e.key === prev.entries[i]!.key && !changed(e, prev.entries[i]!) && canonicalJson(e.source) === canonicalJson(prev.entries[i]!.source)));
    return { ...(load.problems.length === 0 ? { textHash } : {}), entries: same ? prev.entries : entries, problems: load.problems };
  }

  /** #commit applies the changed files, persists their last good objects and reports the diff. */
  #commit(changes: Map<string, FileState | undefined>, dirProblems: Problem[]): LoadReport {
    const problemChanges: ProblemChange[] = [];
    for (const [file, next] of changes) {
      const before = this.#files.get(file)?.problems ?? [];
      const after = next?.problems ?? [];
      if ((before.length || after.length) && signature(before) !== signature(after)) problemChanges.push({ file: displayFile(file, this.#opts.cwd), problems: after });
    }
    if (signature(this.#dirProblems) !== signature(dirProblems)) problemChanges.push({ file: displayFile(this.dir, this.#opts.cwd), problems: dirProblems });
    const diff = this.#apply(changes, true);
    if (problemChanges.length || diff.dupChanged) this.#problems = undefined;
    this.#dirProblems = dirProblems;
    if (this.#opts.git !== false) this.#revision = readGitRevision(this.dir);
    return this.#report(true, diff.added.sort(), diff.updated.sort(), diff.removed.sort(), problemChanges);
  }

  /** #apply swaps file states in and re-indexes only the keys those files had or have; duplicates stay exact. */
  #apply(changes: Map<string, FileState | undefined>, persist: boolean): { added: string[]; updated: string[]; removed: string[]; dupChanged: boolean } {
    const touched = new Set<string>();
    for (const [file, next] of changes) {
      const prev = this.#files.get(file);
      if (next) this.#files.set(file, next); else this.#files.delete(file);
      if (prev?.entries === next?.entries) continue;
      for (const e of prev?.entries ?? []) {
        touched.add(e.key);
        const copies = this.#copies.get(e.key)?.filter((c) => c !== e) ?? [];
        if (copies.length) this.#copies.set(e.key, copies); else this.#copies.delete(e.key);
      }
      for (const e of next?.entries ?? []) {
        touched.add(e.key);
        const copies = this.#copies.get(e.key);
        if (copies) copies.push(e); else this.#copies.set(e.key, [e]);
      }
      if (persist && this.#opts.lastGood) {
        if (next) this.#opts.lastGood.save(this.dir, file, { ...(next.textHash ? { textHash: next.textHash } : {}), entries: next.entries });
        else this.#opts.lastGood.remove(this.dir, file);
      }
    }
    const added: string[] = [];
    const updated: string[] = [];
    const removed: string[] = [];
    let dupChanged = false;
    for (const key of touched) {
      const copies = this.#copies.get(key) ?? [];
      const old = this.#index.get(key);
      if (copies.length > 1) {
        // Neither copy is applied; a version already in force stays.
        this.#duplicates.set(key, duplicateProblems([...copies].sort(bySource), old !== undefined));
        dupChanged = true;
        continue;
      }
      if (this.#duplicates.delete(key)) dupChanged = true;
      const now = copies[0];
      if (now) {
        this.#index.set(key, now);
        if (!old) added.push(key);
        else if (changed(old, now)) updated.push(key);
      } else if (old) {
        this.#index.delete(key);
        removed.push(key);
      }
    }
    return { added, updated, removed, dupChanged };
  }

  #refuse(message: string): LoadReport {
    const dirProblems = [this.#problem(message, this.dir)];
    const problemChanges = signature(this.#dirProblems) !== signature(dirProblems) ? [{ file: displayFile(this.dir, this.#opts.cwd), problems: dirProblems }] : [];
    this.#dirProblems = dirProblems;
    this.#problems = undefined;
    return this.#report(false, [], [], [], problemChanges);
  }

  #problem(message: string, path: string): Problem {
    return { file: displayFile(path, this.#opts.cwd), line: 1, col: 1, message };
  }

  #report(applied: boolean, added: string[], updated: string[], removed: string[], problemChanges: ProblemChange[]): LoadReport {
    return { applied, added, updated, removed, problems: this.problems(), problemChanges, objects: this.#index.size, files: this.#files.size, revision: this.#revision };
  }
}
