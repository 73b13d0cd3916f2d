// The typed dependency accessor: depend(kind, name) is dependency(key) with the kind's observed type.
import type { Dependency, DependencyReader, DependencyView, ObservedKind } from './reconciler.js';
import { objectKey } from './types.js';

/** dependencyReader adds `depend` to a context's `dependency(key)`; both register the same edge. */
export function dependencyReader(dependency: (key: string) => DependencyView): DependencyReader {
  return {
    dependency,
    depend<K extends ObservedKind>(kind: K, name: string): Dependency<K> {
      const view = dependency(objectKey(kind, name));
      return { ...view, observed: view.status?.observed as Dependency<K>['observed'] };
    },
  };
}
