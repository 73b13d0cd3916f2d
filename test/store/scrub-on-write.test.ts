// The status store scrubs every string of a state on its way to disk (controller-private internal data excepted).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatusStore, type ObjectState } from '../../src/store/status-store.js';
import { SecretRegistry } from '../../src/obs/redact.js';

describe('StatusStore scrubbing', () => {
  it('writes no registered secret in conditions, events, observed fields or the stall record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-scrub-'));
    const reg = new SecretRegistry();
    const token = 'secret-token-value-0123456789abcdef';
    reg.register(token);
    const store = new StatusStore(dir, { secrets: reg });
    store.update('Server/prod', (s) => {
      s.status.conditions.push({ type: 'Synced', status: 'False', reason: 'X', message: `failed with ${token}`, lastTransitionTime: 't' } as ObjectState['status']['conditions'][number]);
      s.status.events.push({ type: 'Warning', reason: 'X', message: `event ${token}`, count: 1, firstTimestamp: 't', lastTimestamp: 't' });
      s.status.observed = { nested: [{ requestId: token }] };
      s.stalled = { generation: 1, metaHash: 'm', scope: token };
      s.internal.hostKey = 'kept as is';
    }, () => ({ key: 'Server/prod', generation: 1, specHash: 'h', createdAt: 't', internal: {}, status: { conditions: [], events: [] } }));
    const text = readFileSync(join(dir, 'objects', 'Server', 'prod.json'), 'utf8');
    expect(text).not.toContain(token);
    expect(text.match(/\[REDACTED\]/g)).toHaveLength(4);
    expect(JSON.parse(text).internal.hostKey).toBe('kept as is');
    // Memory keeps the original (controllers compare against it); only what leaves the process is scrubbed.
    expect(store.get('Server/prod')!.status.events[0]!.message).toContain(token);
  });
});
