// Prometheus metrics: a private prom-client registry with controller-runtime style names and LivChat gauges.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue_after' | 'wait' | 'terminal';
export type ReadyState = 'True' | 'False' | 'Unknown';

/** controller-runtime's reconcile_time_seconds buckets. */
export const RECONCILE_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2,
  2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go workqueue buckets: powers of ten from 10ns to 1000s (written as literals to avoid float noise). */
export const WORKQUEUE_BUCKETS: readonly number[] = Array.from({ length: 12 }, (_, i) => Number(`1e${i - 8}`));

export interface Metrics {
  registry: Registry;
  /** The Content-Type header to serve `text()` with. */
  contentType: string;
  /** Prometheus text exposition of every metric in this registry. */
  text(): Promise<string>;

  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  terminalReconcileErrors: Counter<'controller'>;
  reconcilePanics: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrentReconciles: Gauge<'controller'>;

  workqueueDepth: Gauge<'name'>;
  workqueueAdds: Counter<'name'>;
  workqueueRetries: Counter<'name'>;
  workqueueQueueDuration: Histogram<'name'>;
  workqueueWorkDuration: Histogram<'name'>;

  objects: Gauge<'kind' | 'ready'>;
  providerApiRequests: Counter<'provider' | 'operation' | 'code'>;
  desiredParseErrors: Counter;
  desiredProblems: Gauge;
  driftDetected: Counter<'kind' | 'field'>;
  statusWriteFailures: Counter;
  statusWriteFailing: Gauge;

  /** recordReconcile counts one reconcile: total by result, errors (error and terminal, as controller-runtime does), time. */
  recordReconcile(controller: string, result: ReconcileResult, seconds: number): void;
  /** setObjectCounts sets all three ready states of a kind, so a state that dropped to zero is not left stale. */
  setObjectCounts(kind: string, counts: Partial<Record<ReadyState, number>>): void;
}

/** createMetrics builds a fresh registry (never the global one), so several daemons or tests in one process never clash. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> =>
    new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers });

  const m: Metrics = {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),

    reconcileTotal: counter('controller_runtime_reconcile_total', 'Total number of reconciliations per controller and result', ['controller', 'result']),
    reconcileErrors: counter('controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller', ['controller']),
    terminalReconcileErrors: counter('controller_runtime_terminal_reconcile_errors_total', 'Total number of terminal reconciliation errors per controller', ['controller']),
    reconcilePanics: counter('controller_runtime_reconcile_panics_total', 'Total number of reconciliations that threw unexpectedly per controller', ['controller']),
    reconcileTime: histogram('controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller', ['controller'], RECONCILE_BUCKETS),
    activeWorkers: gauge('controller_runtime_active_workers', 'Number of currently used workers per controller', ['controller']),
    maxConcurrentReconciles: gauge('controller_runtime_max_concurrent_reconciles', 'Maximum number of concurrent reconciles per controller', ['controller']),

    workqueueDepth: gauge('workqueue_depth', 'Current depth of workqueue', ['name']),
    workqueueAdds: counter('workqueue_adds_total', 'Total number of adds handled by workqueue', ['name']),
    workqueueRetries: counter('workqueue_retries_total', 'Total number of retries handled by workqueue', ['name']),
    workqueueQueueDuration: histogram('workqueue_queue_duration_seconds', 'How long in seconds an item stays in workqueue before being requested', ['name'], WORKQUEUE_BUCKETS),
    workqueueWorkDuration: histogram('workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes', ['name'], WORKQUEUE_BUCKETS),

    objects: gauge('livchat_objects', 'Number of desired objects per kind and Ready condition status', ['kind', 'ready']),
    providerApiRequests: counter('livchat_provider_api_requests_total', 'Provider API requests per provider, operation and HTTP status code', ['provider', 'operation', 'code']),
    desiredParseErrors: counter('livchat_desired_parse_errors_total', 'Total number of desired-state files that failed to parse', []),
    desiredProblems: gauge('livchat_desired_problems', 'Number of problems in the currently loaded desired state', []),
    driftDetected: counter('livchat_drift_detected_total', 'Total number of drifted fields detected per kind and field', ['kind', 'field']),
    statusWriteFailures: counter('livchat_status_write_failures_total', 'Total number of status file writes that failed (disk full, read-only, ...)', []),
    statusWriteFailing: gauge('livchat_status_write_failing', '1 while some status change could not be written to disk, else 0', []),

    recordReconcile(controller, result, seconds) {
      m.reconcileTotal.inc({ controller, result });
      if (result === 'error' || result === 'terminal') m.reconcileErrors.inc({ controller });
      if (result === 'terminal') m.terminalReconcileErrors.inc({ controller });
      m.reconcileTime.observe({ controller }, seconds);
    },
    setObjectCounts(kind, counts) {
      for (const ready of ['True', 'False', 'Unknown'] as const) m.objects.set({ kind, ready }, counts[ready] ?? 0);
    },
  };
  return m;
}
