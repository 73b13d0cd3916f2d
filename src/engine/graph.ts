// The object graph: dependency edges between objects and the owned objects of each owner, with their deletion order.
import type { ObjectIndex } from './object-index.js';
import type { StateStore } from './state.js';
import { isDerivedName, legacyLocal, nameChildren } from './child-names.js';
import { objectKey, parseKey, type Resource } from './types.js';

/** ObjectGraph knows who depends on whom (registered by reconciles) and who owns whom (declared by `own`). */
export class ObjectGraph {
  readonly #dependents = new Map<string, Set<string>>();
  readonly #deps = new Map<string, Set<string>>();

  constructor(private readonly index: ObjectIndex, private readonly store: StateStore) {}

  /** restore puts persisted owned objects into the index, moving children still named by the old scheme. */
  restore(): void {
    for (const st of this.store.list()) {
      if (!st.owned?.length || st.removed) continue;
      const { kind, name } = parseKey(st.key);
      const legacy = st.owned.some((c) => !isDerivedName(kind, name, c.metadata.name));
      const locals = st.owned.map((c) => isDerivedName(kind, name, c.metadata.name) ? c : { ...c, metadata: { ...c.metadata, name: legacyLocal(name, c.metadata.name) } });
      const owned = legacy ? nameChildren(st.key, locals, this.store, () => undefined) : st.owned;
      if (legacy) this.store.update(st.key, (s) => { s.owned = owned; });
      this.index.setOwned(st.key, owned);
    }
  }

  /** addDependency registers one edge at once, so a dependency that changes during the reconcile re-queues it. */
  addDependency(key: string, dep: string): void { this.setDependencies(key, new Set([...(this.#deps.get(key) ?? []), dep])); }

  /** setDependencies replaces a key's edges with the ones its last reconcile registered. */
  setDependencies(key: string, deps: ReadonlySet<string>): void {
    for (const old of this.#deps.get(key) ?? []) this.#dependents.get(old)?.delete(key);
    if (deps.size) this.#deps.set(key, new Set(deps)); else this.#deps.delete(key);
    for (const d of deps) {
      let set = this.#dependents.get(d);
      if (!set) this.#dependents.set(d, (set = new Set()));
      set.add(key);
    }
  }

  dependentsOf(key: string): string[] { return [...(this.#dependents.get(key) ?? [])]; }
  dependenciesOf(key: string): string[] { return [...(this.#deps.get(key) ?? [])]; }

  /**
   * removalBlockers lists removed objects that depend on key and still have state: they are deleted first.
   * Its own children are not among them: ownership orders those (the owner decides, then they go, then it is forgotten).
   */
  removalBlockers(key: string): string[] {
    return this.dependentsOf(key).filter((d) => {
      const st = this.store.get(d);
      return !!st && !this.index.get(d) && !(st.owner && objectKey(st.owner.kind, st.owner.name) === key);
    });
  }

  /** ownedWithState lists the children whose state still exists: the owner waits for their cleanup. */
  ownedWithState(ownerKey: string): string[] {
    return this.store.list().filter((s) => s.owner && objectKey(s.owner.kind, s.owner.name) === ownerKey).map((s) => s.key);
  }

  /** nameChildren derives the keys of an owner's children (see child-names.ts). */
  nameChildren(ownerKey: string, children: readonly Resource[]): Resource[] {
    return nameChildren(ownerKey, children, this.store, (k) => this.index.get(k)?.object);
  }

  /** forget drops a deleted key's edges. */
  forget(key: string): void { this.setDependencies(key, new Set()); }
}
