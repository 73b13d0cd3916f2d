// DNS resync cost benchmark: one resync's decisions for N objects in a zone of N records, indexed view vs copy-and-scan.
//
// Run: npm run build && node dist/bench/dns-resync.js. The copy-and-scan column replays what each reconcile did before
// the zone cache was indexed (copy the zone's list, filter it by marker and by name): O(N·R) per resync.
import { decide } from '../controllers/dns-record/controller.js';
import { ownerKeys, ownerMarker } from '../controllers/dns-record/marker.js';
import { wanted, type ObservedRecord } from '../controllers/dns-record/normalize.js';
import type { ZoneView } from '../controllers/dns-record/zone-cache.js';
import { SharedList } from '../src/engine/shared-list.js';
import { realClock } from '../src/engine/clock.js';

async function measure(n: number): Promise<{ n: number; indexedMs: number; copyAndScanMs: number }> {
  const recs: ObservedRecord[] = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, type: 'A', name: `h${i}.example.com`, content: '203.0.113.1', ttl: 1, comment: ownerMarker('prod', `h${i}`) }));
  const wants = recs.map((_, i) => wanted({ zone: 'example.com', name: `h${i}`, type: 'A', content: '203.0.113.1' }, '203.0.113.1'));
  const list = new SharedList(async () => recs, (r) => r.id, realClock, Number.MAX_SAFE_INTEGER, {
    indexes: { owner: (r) => ownerKeys(r), name: (r) => [`${r.type} ${r.name}`] },
  });
  const v = await list.view();
  const view: ZoneView = { owned: (m) => v.get('owner', m), at: (name, type) => v.get('name', `${type} ${name}`), all: () => v.all(), size: v.size };
  let t0 = performance.now();
  for (let i = 0; i < n; i++) decide(wants[i]!, view, 'prod', `h${i}`, false);
  const indexedMs = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const copy = v.all();
    const m = ownerMarker('prod', `h${i}`);
    copy.filter((r) => r.comment?.includes(m));
    copy.filter((r) => r.type === 'A' && r.name === wants[i]!.name);
  }
  const copyAndScanMs = performance.now() - t0;
  return { n, indexedMs: Math.round(indexedMs * 10) / 10, copyAndScanMs: Math.round(copyAndScanMs * 10) / 10 };
}

for (const n of [1000, 3500]) console.log(JSON.stringify({ bench: 'dns-resync', ...(await measure(n)) }));
