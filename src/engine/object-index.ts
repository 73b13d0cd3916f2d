// The engine's view of desired objects: those from files plus owned objects derived by controllers.
import type { DesiredObject, Problem, Resource } from './types.js';
import { objectKey } from './types.js';
import { hashValue } from './hash.js';

/** DesiredSource is what the engine needs from the desired/ directory store. */
export interface DesiredSource {
  get(key: string): DesiredObject | undefined;
  list(kind?: string): DesiredObject[];
  problems(): Problem[];
  /** True when the directory is empty or unreadable, so removals must not be acted on. */
  unsafeToPrune(): boolean;
}

/** ObjectIndex merges file objects and owned objects; a file object always wins a key clash. */
export class ObjectIndex {
  readonly #owned = new Map<string, DesiredObject>();
  readonly #byOwner = new Map<string, Set<string>>();

  constructor(readonly files: DesiredSource) {}

  get(key: string): DesiredObject | undefined {
    return this.files.get(key) ?? this.#owned.get(key);
  }

  list(kind?: string): DesiredObject[] {
    const all = [...this.files.list(kind), ...[...this.#owned.values()].filter((o) => (!kind || o.object.kind === kind) && !this.files.get(o.key))];
    return all.sort((a, b) => a.key.localeCompare(b.key));
  }

  isOwned(key: string): boolean { return !this.files.get(key) && this.#owned.has(key); }

  /** setOwned replaces the owner's derived objects; returns the keys that changed and any clashes. */
  setOwned(ownerKey: string, children: Resource[]): { changed: string[]; clashes: string[] } {
    const [ownerKind, ownerName] = splitKey(ownerKey);
    const before = this.#byOwner.get(ownerKey) ?? new Set<string>();
    const after = new Set<string>();
    const changed: string[] = [];
    const clashes: string[] = [];
    for (const child of children) {
      const key = objectKey(child.kind, child.metadata.name);
      if (this.files.get(key)) { clashes.push(key); continue; }
      const other = this.#owned.get(key);
      if (other && ownerOf(other) !== ownerKey) { clashes.push(key); continue; }
      const obj: Resource = { ...child, metadata: { ...child.metadata, ownerReferences: [{ kind: ownerKind, name: ownerName }] } };
      const desired: DesiredObject = { key, object: obj, specHash: hashValue(obj.spec) };
      if (!other || hashValue(other.object) !== hashValue(obj)) changed.push(key);
      this.#owned.set(key, desired);
      after.add(key);
    }
    for (const key of before) {
      if (!after.has(key)) { this.#owned.delete(key); changed.push(key); }
    }
    if (after.size) this.#byOwner.set(ownerKey, after); else this.#byOwner.delete(ownerKey);
    return { changed, clashes };
  }

  ownedBy(ownerKey: string): string[] { return [...(this.#byOwner.get(ownerKey) ?? [])]; }
}

function ownerOf(o: DesiredObject): string | undefined {
  const ref = o.object.metadata.ownerReferences?.[0];
  return ref ? objectKey(ref.kind, ref.name) : undefined;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
