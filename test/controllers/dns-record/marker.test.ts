// Ownership marker tests: whole-token matching for prefix-related names, the 100-character budget, both formats.
import { describe, expect, it } from 'vitest';
import { commentLimit, isOwnedBy, MARKER_MAX, ownerKeys, ownerMarker, parseMarkers, readableMarker, withMarker, withoutMarker } from '../../../controllers/dns-record/marker.js';
import { decide } from '../../../controllers/dns-record/controller.js';
import { wanted } from '../../../controllers/dns-record/normalize.js';

const PAIRS: Array<[string, string]> = [['web1', 'web10'], ['p1', 'p1-a'], ['api', 'api-v2']];

describe('ownership marker', () => {
  it.each(PAIRS)('%s never claims %s, nor the other way round', (short, long) => {
    const rec = (name: string) => ({ comment: `deploy note ${ownerMarker('prod', name)} kept` });
    expect(isOwnedBy(rec(long), 'prod', short)).toBe(false);
    expect(isOwnedBy(rec(short), 'prod', long)).toBe(false);
    expect(isOwnedBy(rec(long), 'prod', long)).toBe(true);
    // The same holds for the readable form glued to other text and for instance names that are prefixes.
    expect(isOwnedBy({ comment: `${readableMarker('prod', long)},x` }, 'prod', long)).toBe(false);
    expect(isOwnedBy({ comment: ownerMarker('prod-2', short) }, 'prod', short)).toBe(false);
  });

  it('the longest instance (32) and object name (63) give a marker that fits with a cut user comment in 100 characters', () => {
    const inst = `i${'x'.repeat(30)}z`;
    const name = `n${'y'.repeat(61)}z`;
    const m = ownerMarker(inst, name);
    expect(m.length).toBeLessThanOrEqual(MARKER_MAX);
    expect(m).toMatch(/^livchat:#[0-9a-f]{24}$/);
    // A different long pair gets a different hash: ownership stays unambiguous.
    expect(ownerMarker(inst, `${name.slice(0, -1)}q`)).not.toBe(m);
    const comment = withMarker('a'.repeat(300), inst, name, 'free');
    expect(comment.length).toBeLessThanOrEqual(commentLimit('free'));
    expect(comment.endsWith(` ${m}`)).toBe(true);
    expect(isOwnedBy({ comment }, inst, name)).toBe(true);
    expect(withMarker('b'.repeat(600), inst, name, 'pro').length).toBe(500);
  });

  it('short pairs keep the readable format, so existing markers stay the same', () => {
    expect(ownerMarker('test', 'api')).toBe('livchat:test:DNSRecord/api');
    expect(parseMarkers('x livchat:test:DNSRecord/api y')).toEqual([{ token: 'livchat:test:DNSRecord/api', key: 'livchat:test:DNSRecord/api', owner: { instance: 'test', name: 'api' } }]);
  });

  it('recognises a long readable marker written before the budget, keyed to the hashed canonical one', () => {
    const inst = 'production-cluster-eu';
    const name = 'customer-portal-frontend-blue';
    const old = readableMarker(inst, name);
    expect(old.length).toBeGreaterThan(MARKER_MAX);
    expect(ownerKeys({ comment: old })).toEqual([ownerMarker(inst, name)]);
    expect(isOwnedBy({ comment: old }, inst, name)).toBe(true);
    expect(withMarker(`hello ${old}`, inst, name)).toBe(`hello ${ownerMarker(inst, name)}`);
  });

  it('withoutMarker removes only that object\'s token and folds newlines', () => {
    const c = `ops\nnote ${ownerMarker('prod', 'api')} ${ownerMarker('prod', 'api-v2')}`;
    expect(withoutMarker(c, 'prod', 'api')).toBe(`ops note ${ownerMarker('prod', 'api-v2')}`);
    expect(withMarker('line one\nline two', 'prod', 'api')).toBe(`line one line two ${ownerMarker('prod', 'api')}`);
  });

  it('tags on paid plans are matched exactly too', () => {
    expect(isOwnedBy({ comment: null, tags: ['livchat-instance:prod', 'livchat-object:web10'] }, 'prod', 'web1')).toBe(false);
    expect(isOwnedBy({ comment: null, tags: ['livchat-instance:prod', 'livchat-object:web1'] }, 'prod', 'web1')).toBe(true);
  });

  it('decide() creates web1 beside web10 instead of taking web10 over', () => {
    const want = wanted({ zone: 'example.com', name: 'web1', type: 'A', content: '203.0.113.1' }, '203.0.113.1');
    const web10 = { id: 'r10', type: 'A', name: 'web10.example.com', content: '203.0.113.10', ttl: 1, comment: ownerMarker('prod', 'web10') };
    expect(decide(want, [web10], 'prod', 'web1', false)).toEqual({ type: 'create', want });
  });

  it('decide() never adopts a record another livchat object owns, even when annotated', () => {
    const want = wanted({ zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.1' }, '203.0.113.1');
    const taken = { id: 'r', type: 'A', name: 'www.example.com', content: '203.0.113.9', ttl: 1, comment: ownerMarker('other', 'www') };
    expect(decide(want, [taken], 'prod', 'www', true)).toEqual({ type: 'conflict', record: taken });
    const free = { ...taken, comment: 'made by hand' };
    expect(decide(want, [free], 'prod', 'www', true)).toMatchObject({ type: 'update', adopt: true });
  });
});
