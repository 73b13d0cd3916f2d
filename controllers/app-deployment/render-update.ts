// Swarm update_config and rollback_config by service class: stateless services start the new task first, services with volumes stop first.

/** ServiceClass decides how a service is updated: stateless, or stateful (it mounts a volume). */
export type ServiceClass = 'stateless' | 'stateful';

/** UpdateSettings is the compose form of one update_config or rollback_config block. */
export interface UpdateSettings {
  parallelism: number;
  order: 'start-first' | 'stop-first';
  failure_action: 'rollback' | 'pause';
  monitor: string;
}

/** MONITOR is how long Swarm watches a new task before calling the update a success (its default of 5 s misses slow crashes). */
export const MONITOR = '30s';

/**
 * updateSettings renders both blocks. Stateful services stop first because two tasks on one volume (a database's
 * data directory, a storage folder) would write it at once; a failed update rolls back, and a failed rollback pauses
 * instead of looping.
 */
export function updateSettings(cls: ServiceClass): { update_config: UpdateSettings; rollback_config: UpdateSettings } {
  const order = cls === 'stateless' ? 'start-first' : 'stop-first';
  return {
    update_config: { parallelism: 1, order, failure_action: 'rollback', monitor: MONITOR },
    rollback_config: { parallelism: 1, order, failure_action: 'pause', monitor: MONITOR },
  };
}
