// Tests for createMetrics: every metric is exposed with its type, labels work, registries are independent.
import { describe, expect, it } from 'vitest';
import { createMetrics, RECONCILE_BUCKETS, WORKQUEUE_BUCKETS } from '../../src/obs/metrics.js';
import { register as globalRegistry } from 'prom-client';

const EXPECTED: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  controller_runtime_reconcile_total: 'counter',
  controller_runtime_reconcile_errors_total: 'counter',
  controller_runtime_terminal_reconcile_errors_total: 'counter',
  controller_runtime_reconcile_panics_total: 'counter',
  controller_runtime_reconcile_time_seconds: 'histogram',
  controller_runtime_active_workers: 'gauge',
  controller_runtime_max_concurrent_reconciles: 'gauge',
  workqueue_depth: 'gauge',
  workqueue_adds_total: 'counter',
  workqueue_retries_total: 'counter',
  workqueue_queue_duration_seconds: 'histogram',
  workqueue_work_duration_seconds: 'histogram',
  livchat_objects: 'gauge',
  livchat_provider_api_requests_total: 'counter',
  livchat_desired_parse_errors_total: 'counter',
  livchat_desired_problems: 'gauge',
  livchat_drift_detected_total: 'counter',
};

describe('createMetrics', () => {
  it('has no rate-limit-remaining gauge: nothing ever set it (dead metric removed)', async () => {
    expect(await createMetrics().text()).not.toContain('livchat_provider_rate_limit_remaining');
  });

  it('exposes every metric with the right type, plus default process metrics', async () => {
    const text = await createMetrics().text();
    for (const [name, type] of Object.entries(EXPECTED)) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(text).toMatch(/# TYPE process_cpu_user_seconds_total counter/);
    expect(text).toMatch(/# TYPE nodejs_heap_size_used_bytes gauge/);
  });

  it('records labelled samples', async () => {
    const m = createMetrics();
    m.recordReconcile('DNSRecord', 'success', 0.02);
    m.recordReconcile('DNSRecord', 'error', 0.3);
    m.recordReconcile('DNSRecord', 'terminal', 0.1);
    m.recordReconcile('Server', 'requeue_after', 2);
    m.reconcilePanics.inc({ controller: 'Server' });
    m.activeWorkers.set({ controller: 'Server' }, 2);
    m.maxConcurrentReconciles.set({ controller: 'Server' }, 4);
    m.workqueueDepth.set({ name: 'dnsrecord' }, 3);
    m.workqueueAdds.inc({ name: 'dnsrecord' }, 5);
    m.workqueueRetries.inc({ name: 'dnsrecord' });
    m.workqueueQueueDuration.observe({ name: 'dnsrecord' }, 0.0005);
    m.workqueueWorkDuration.observe({ name: 'dnsrecord' }, 1.5);
    m.setObjectCounts('DNSRecord', { True: 7, False: 1 });
    m.providerApiRequests.inc({ provider: 'cloudflare', operation: 'dns.list', code: '200' });
    m.desiredParseErrors.inc();
    m.desiredProblems.set(2);
    m.driftDetected.inc({ kind: 'DNSRecord', field: 'spec.content' });
    const text = await m.text();
    const lines = [
      'controller_runtime_reconcile_total{controller="DNSRecord",result="success"} 1',
      'controller_runtime_reconcile_total{controller="DNSRecord",result="error"} 1',
      'controller_runtime_reconcile_total{controller="DNSRecord",result="terminal"} 1',
      'controller_runtime_reconcile_total{controller="Server",result="requeue_after"} 1',
      'controller_runtime_reconcile_errors_total{controller="DNSRecord"} 2',
      'controller_runtime_terminal_reconcile_errors_total{controller="DNSRecord"} 1',
      'controller_runtime_reconcile_panics_total{controller="Server"} 1',
      'controller_runtime_reconcile_time_seconds_bucket{le="0.025",controller="DNSRecord"} 1',
      'controller_runtime_reconcile_time_seconds_bucket{le="60",controller="Server"} 1',
      'controller_runtime_reconcile_time_seconds_count{controller="DNSRecord"} 3',
      'controller_runtime_active_workers{controller="Server"} 2',
      'controller_runtime_max_concurrent_reconciles{controller="Server"} 4',
      'workqueue_depth{name="dnsrecord"} 3',
      'workqueue_adds_total{name="dnsrecord"} 5',
      'workqueue_retries_total{name="dnsrecord"} 1',
      'workqueue_queue_duration_seconds_bucket{le="0.001",name="dnsrecord"} 1',
      'workqueue_work_duration_seconds_count{name="dnsrecord"} 1',
      'livchat_objects{kind="DNSRecord",ready="True"} 7',
      'livchat_objects{kind="DNSRecord",ready="False"} 1',
      'livchat_objects{kind="DNSRecord",ready="Unknown"} 0',
      'livchat_provider_api_requests_total{provider="cloudflare",operation="dns.list",code="200"} 1',
      'livchat_desired_parse_errors_total 1',
      'livchat_desired_problems 2',
      'livchat_drift_detected_total{kind="DNSRecord",field="spec.content"} 1',
    ];
    for (const l of lines) expect(text).toContain(`${l}\n`);
    expect(text).not.toContain('controller_runtime_reconcile_errors_total{controller="Server"}');
  });

  it('uses controller-runtime and client-go buckets', () => {
    expect(RECONCILE_BUCKETS[0]).toBe(0.005);
    expect(RECONCILE_BUCKETS.at(-1)).toBe(60);
    expect(WORKQUEUE_BUCKETS).toEqual([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000]);
  });

  it('builds independent registries, never the global one', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.workqueueAdds.inc({ name: 'q' });
    expect(await a.text()).toContain('workqueue_adds_total{name="q"} 1');
    expect(await b.text()).not.toContain('workqueue_adds_total{name="q"}');
    expect(await globalRegistry.metrics()).not.toContain('controller_runtime_reconcile_total');
    expect(a.contentType).toContain('text/plain');
  });
});
