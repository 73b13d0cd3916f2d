// Persisted last good objects of every desired file, so a file broken while the daemon was down keeps them in force.
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { DesiredObject } from '../engine/types.js';
import { writeFileAtomic } from './atomic.js';

/** LastGoodFile is what one desired file last put in force. */
export interface LastGoodFile {
  /** Hash of the text, only when that text loaded without problems (an unchanged clean file is not parsed again). */
  textHash?: string;
  entries: DesiredObject[];
}

/** LastGoodPort is what the desired store needs; plan uses a read-only one. */
export interface LastGoodPort {
  load(root: string): { files: Map<string, LastGoodFile>; errors: string[] };
  save(root: string, file: string, state: LastGoodFile): void;
  remove(root: string, file: string): void;
}

interface Record { version: 1; root: string; file: string; textHash?: string; entries: DesiredObject[] }

/**
 * LastGoodStore keeps one small JSON file per desired file under `<state>/last-good/`, written atomically, so
 * saving after an edit costs in proportion to the edited file, not to the whole tree.
 */
export class LastGoodStore implements LastGoodPort {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'last-good');
  }

  /** load returns the saved files of desired directory root, by absolute path; unreadable records are skipped. */
  load(root: string): { files: Map<string, LastGoodFile>; errors: string[] } {
    const abs = resolve(root);
    const files = new Map<string, LastGoodFile>();
    const errors: string[] = [];
    let names: string[];
    try { names = readdirSync(this.#dir); } catch { return { files, errors }; }
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const rec = JSON.parse(readFileSync(join(this.#dir, name), 'utf8')) as Record;
        if (rec.version !== 1 || rec.root !== abs || !Array.isArray(rec.entries)) continue;
        files.set(join(abs, rec.file), { ...(rec.textHash ? { textHash: rec.textHash } : {}), entries: rec.entries });
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
      }
    }
    return { files, errors };
  }

  /** save records what one file puts in force now. */
  save(root: string, file: string, state: LastGoodFile): void {
    const abs = resolve(root);
    const rec: Record = { version: 1, root: abs, file: relative(abs, file), ...(state.textHash ? { textHash: state.textHash } : {}), entries: state.entries };
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    // The directory is not fsynced per record: a lost rename only loses one file's record, which the hold then covers.
    writeFileAtomic(this.#path(abs, file), JSON.stringify(rec), 0o600, { syncDir: false });
  }

  /** readOnly returns a port that loads but never writes (for plan). */
  readOnly(): LastGoodPort {
    return { load: (root) => this.load(root), save: () => {}, remove: () => {} };
  }

  /** remove forgets a file that is really gone. */
  remove(root: string, file: string): void {
    try { unlinkSync(this.#path(resolve(root), file)); } catch { /* already gone */ }
  }

  #path(root: string, file: string): string {
    const id = createHash('sha256').update(`${root}\0${relative(root, file)}`).digest('hex').slice(0, 32);
    return join(this.#dir, `${id}.json`);
  }
}
