// An in-memory DesiredSource for engine tests: set and delete objects directly.
import type { DesiredSource } from '../../src/engine/object-index.js';
import type { DesiredObject, Problem, Resource } from '../../src/engine/types.js';
import { API_VERSION, objectKey } from '../../src/engine/types.js';
import { hashValue } from '../../src/engine/hash.js';

export class MemorySource implements DesiredSource {
  readonly objects = new Map<string, DesiredObject>();
  unsafe = false;
  get(key: string): DesiredObject | undefined { return this.objects.get(key); }
  list(kind?: string): DesiredObject[] { return [...this.objects.values()].filter((o) => !kind || o.object.kind === kind); }
  problems(): Problem[] { return []; }
  unsafeToPrune(): boolean { return this.unsafe; }
  /** put stores an object and returns its key. */
  put(kind: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): string {
    const object: Resource = { apiVersion: API_VERSION, kind, metadata: { name, ...(annotations ? { annotations } : {}) }, spec };
    const key = objectKey(kind, name);
    this.objects.set(key, { key, object, specHash: hashValue(spec), source: { file: `desired/${name}.yaml`, line: 1, col: 1 } });
    return key;
  }
  remove(key: string): void { this.objects.delete(key); }
}
