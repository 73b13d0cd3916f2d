// Names of derived objects: `<owner-kind>.<owner-name>.<local>`, and the move of state kept under the old `<owner>-<local>` name.
import type { ObjectState, StateStore } from './state.js';
import { ANNOTATION_FORMER_NAMES, objectKey, parseKey, type Resource } from './types.js';

/** derivedName cannot clash with a user's object (RFC 1123 labels have no dots) nor across owner kinds. */
export function derivedName(ownerKind: string, ownerName: string, local: string): string {
  return `${ownerKind.toLowerCase()}.${ownerName}.${local}`;
}

/** isDerivedName tells whether a persisted child already carries the current scheme. */
export function isDerivedName(ownerKind: string, ownerName: string, name: string): boolean {
  return name.startsWith(`${ownerKind.toLowerCase()}.${ownerName}.`);
}

/** legacyLocal recovers the local name of a child persisted under the old `<owner>-<local>` scheme. */
export function legacyLocal(ownerName: string, name: string): string {
  return name.startsWith(`${ownerName}-`) ? name.slice(ownerName.length + 1) : name;
}

/** formerNames reads the former-names annotation. */
export function formerNames(obj: Resource | undefined): string[] {
  const v = obj?.metadata.annotations?.[ANNOTATION_FORMER_NAMES];
  return v ? v.split(',').filter(Boolean) : [];
}

function withFormerNames(obj: Resource, names: readonly string[]): Resource {
  if (!names.length) return obj;
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [ANNOTATION_FORMER_NAMES]: [...new Set(names)].sort().join(',') } } };
}

/**
 * nameChildren gives each child (named locally by its controller) its derived name. When the state of a child
 * exists under the old global name and belongs to this owner, it moves to the new key (state only, no provider
 * call) and the old name is kept in `livchat.ai/former-names`, also on later passes (`previous` is what was derived before).
 */
export function nameChildren(ownerKey: string, children: readonly Resource[], store: StateStore, previous: (key: string) => Resource | undefined): Resource[] {
  const { kind: ownerKind, name: ownerName } = parseKey(ownerKey);
  return children.map((child) => {
    const local = child.metadata.name;
    const name = derivedName(ownerKind, ownerName, local);
    const key = objectKey(child.kind, name);
    const former = new Set([...formerNames(previous(key)), ...formerNames(store.get(key)?.last)]);
    const legacy = `${ownerName}-${local}`;
    if (moveState(store, ownerKey, objectKey(child.kind, legacy), key)) former.add(legacy);
    // The moved state's `last` still has the old name: the child's next pass refreshes it like any changed object.
    return withFormerNames({ ...child, metadata: { ...child.metadata, name } }, [...former]);
  });
}

/** moveState moves an owned child's state from its old key; a crash between the two writes leaves both, and the next start finishes. */
function moveState(store: StateStore, ownerKey: string, from: string, to: string): boolean {
  const old = store.get(from);
  if (!old?.owner || objectKey(old.owner.kind, old.owner.name) !== ownerKey) return false;
  if (!store.get(to)) {
    // The former name goes with the state at once, so a crash before the owner's list is rewritten cannot lose it.
    const moved: ObjectState = { ...structuredClone(old), key: to, ...(old.last ? { last: withFormerNames(old.last, [...formerNames(old.last), parseKey(from).name]) } : {}) };
    store.update(to, () => {}, () => moved);
  }
  store.remove(from);
  return true;
}
