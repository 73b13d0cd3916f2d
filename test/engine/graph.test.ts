// Owned objects and edges: derived names never clash, old child state migrates, deletion is ordered, owners wait for children.
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/engine/errors.js';
import { getCondition, RECONCILING } from '../../src/engine/conditions.js';
import { ANNOTATION_FORMER_NAMES, API_VERSION, type Resource } from '../../src/engine/types.js';
import type { ReconcileContext } from '../../src/engine/reconciler.js';
import { engine, gone, ok, type Fn } from './engine-setup.js';

declare module '../../src/engine/reconciler.js' {
  interface KindObserved { TestServer: { ipv4: string; id: number } }
}

const record = (name: string): Resource => ({ apiVersion: API_VERSION, kind: 'DNSRecord', metadata: { name }, spec: { zone: 'example.com' } });
/** owner derives one DNSRecord named locally `a`, and is deleted when its file is gone. */
const owner: Fn = async (ctx) => {
  if (!ctx.desired) return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: 'Delete' };
  ctx.own([record('a')]);
  return { ready: { status: 'True', reason: 'Available' } };
};

describe('object graph', () => {
  it('a Server prod and an App prod that both derive a record `a` get two distinct children, no clash', async () => {
    const seen: Record<string, Resource> = {};
    const t = engine({ Server: owner, App: owner, DNSRecord: async (ctx) => { seen[ctx.key] = ctx.object; return ok(ctx); } });
    t.source.put('Server', 'prod', {});
    t.source.put('App', 'prod', {});
    t.mgr.start();
    await t.mgr.idle();
    expect(Object.keys(seen).sort()).toEqual(['DNSRecord/app.prod.a', 'DNSRecord/server.prod.a']);
    expect(t.store.get('DNSRecord/server.prod.a')!.owner).toEqual({ kind: 'Server', name: 'prod' });
    expect(t.store.get('DNSRecord/app.prod.a')!.owner).toEqual({ kind: 'App', name: 'prod' });
    for (const k of ['Server/prod', 'App/prod']) expect(t.store.get(k)!.status.events.map((e) => e.reason)).not.toContain('OwnedObjectClash');
    // The scheme is stable: a restart reads the same keys back and reconciles nothing twice.
    await t.mgr.stop();
    const again = engine({ Server: owner, App: owner, DNSRecord: ok }, t.stateDir);
    again.source.put('Server', 'prod', {});
    again.source.put('App', 'prod', {});
    again.mgr.start();
    await again.mgr.idle();
    expect(again.calls.filter((c) => c.endsWith(':removed'))).toEqual([]);
    expect(again.store.keys().sort()).toEqual(['App/prod', 'DNSRecord/app.prod.a', 'DNSRecord/server.prod.a', 'Server/prod']);
  });

  it('state of a child under the old name `<owner>-<local>` moves to the new key with former-names, and nothing is deleted', async () => {
    const t = engine({ Server: owner, DNSRecord: ok });
    t.source.put('Server', 'prod', {});
    t.mgr.start();
    await t.mgr.idle();
    await t.mgr.stop();
    // Rewrite the state as the previous scheme left it: the child under DNSRecord/prod-a, the owner's list naming it so.
    const child = t.store.get('DNSRecord/server.prod.a')!;
    t.store.update('DNSRecord/prod-a', () => {}, () => ({ ...structuredClone(child), key: 'DNSRecord/prod-a', last: { ...child.last!, metadata: { name: 'prod-a', ownerReferences: [{ kind: 'Server', name: 'prod' }] } }, internal: { recordId: 'r-1' } }));
    t.store.remove('DNSRecord/server.prod.a');
    t.store.update('Server/prod', (s) => { s.owned = [record('prod-a')]; });
    t.store.flushAll();

    const seen: ReconcileContext[] = [];
    const again = engine({ Server: owner, DNSRecord: async (ctx) => { seen.push(ctx); return ok(ctx); } }, t.stateDir);
    again.source.put('Server', 'prod', {});
    again.mgr.start();
    await again.mgr.idle();
    expect(again.calls.filter((c) => c.endsWith(':removed'))).toEqual([]);
    expect(again.store.get('DNSRecord/prod-a')).toBeUndefined();
    const moved = again.store.get('DNSRecord/server.prod.a')!;
    expect(moved.internal).toEqual({ recordId: 'r-1' });
    expect(moved.last!.metadata.annotations?.[ANNOTATION_FORMER_NAMES]).toBe('prod-a');
    expect(seen.map((c) => [c.key, c.object.metadata.annotations?.[ANNOTATION_FORMER_NAMES], c.internal.recordId])).toContainEqual(['DNSRecord/server.prod.a', 'prod-a', 'r-1']);
    expect(again.store.get('Server/prod')!.owned!.map((o) => o.metadata.name)).toEqual(['server.prod.a']);
  });

  it('deletes a removed dependent before the removed object it depends on', async () => {
    const t = engine({
      Server: async (ctx) => (ctx.desired ? ok(ctx) : gone(ctx)),
      // Like the DNS controller, the record reads its Server only while present; its edge still orders the deletion.
      DNSRecord: async (ctx) => { if (!ctx.desired) return gone(ctx); ctx.dependency('Server/s'); return ok(ctx); },
    });
    const s = t.source.put('Server', 's', {});
    const r = t.source.put('DNSRecord', 'r', {});
    t.mgr.start();
    await t.mgr.idle();
    t.source.remove(s);
    t.source.remove(r);
    t.mgr.desiredChanged([s, r]);
    await t.mgr.idle();
    // Both are gone without any clock advance: the record's deletion re-queued the Server at once.
    expect(t.calls.filter((c) => c.endsWith(':removed'))).toEqual(['DNSRecord/r:removed', 'Server/s:removed']);
    expect(t.store.keys()).toEqual([]);
  });

  it('an owner is forgotten only after its children are cleaned up', async () => {
    let childFails = true;
    const t = engine({
      Server: owner,
      DNSRecord: async (ctx) => {
        if (ctx.desired) return ok(ctx);
        if (childFails) throw new RetryableError('ProviderUnavailable', 'try later');
        return gone(ctx);
      },
    });
    const key = t.source.put('Server', 'prod', {});
    t.mgr.start();
    await t.mgr.idle();
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    const waiting = t.store.get(key)!;
    expect(waiting.deleted).toBe(true);
    expect(getCondition(waiting.status.conditions, RECONCILING)).toMatchObject({ status: 'True', reason: 'DeletingChildren' });
    expect(t.store.get('DNSRecord/server.prod.a')).toBeDefined();
    childFails = false;
    t.clock.advance(16_000);
    await t.mgr.idle();
    expect(t.store.get('DNSRecord/server.prod.a')).toBeUndefined();
    expect(t.store.get(key)).toBeUndefined();
    expect(t.calls.filter((c) => c === 'Server/prod:removed')).toHaveLength(1);
  });

  it('depend(kind, name) reads typed observed fields and registers the edge like dependency(key)', async () => {
    let ip: string | undefined;
    const got: Array<string | undefined> = [];
    const t = engine({
      TestServer: async () => ({ ready: { status: 'True', reason: 'Available' }, observed: ip ? { ipv4: ip, id: 7 } : {} }),
      DNSRecord: async (ctx) => {
        const server = ctx.depend('TestServer', 's');
        // Typed by the KindObserved augmentation above: `ipv4` is a string, `id` a number.
        const v: string | undefined = server.observed?.ipv4;
        const id: number | undefined = server.observed?.id;
        // @ts-expect-error an unknown field of a typed kind does not compile
        void server.observed?.ipv6;
        // @ts-expect-error a kind without an observed type does not compile
        void ctx.depend('NoSuchKind', 'x');
        got.push(v && id ? `${v}#${id}` : undefined);
        expect(server.exists).toBe(true);
        return ok(ctx);
      },
    });
    t.source.put('TestServer', 's', {});
    t.source.put('DNSRecord', 'r', {});
    t.mgr.start();
    await t.mgr.idle();
    const before = got.length;
    ip = '203.0.113.7';
    t.mgr.desiredChanged(['TestServer/s']);
    await t.mgr.idle();
    expect(got.length).toBeGreaterThan(before);
    expect(got.at(-1)).toBe('203.0.113.7#7');
  });
});
