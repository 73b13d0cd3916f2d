// The reasons catalog: every reason the controllers and their helpers can write is named in the merged catalog.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { ENGINE_REASONS, mergeCatalogs, needsHuman } from '../../src/engine/reasons.js';
import { verdict } from '../../src/engine/convergence.js';
import type { ObjectState } from '../../src/engine/state.js';
import { createDnsRecordController } from '../../controllers/dns-record/controller.js';
import { createServerController } from '../../controllers/server/controller.js';
import { createAppDeploymentController } from '../../controllers/app-deployment/controller.js';

const ROOT = resolve(import.meta.dirname, '../..');
const clock = new ManualClock();
const server = createServerController({ clock } as never);
const dns = createDnsRecordController({ clock } as never);
const app = createAppDeploymentController({ clock } as never);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** reasonsIn finds reason literals: error constructors (also across lines), `reason: '…'` inputs and progress phases. */
function reasonsIn(src: string): Set<string> {
  const out = new Set<string>();
  for (const re of [/new (?:TerminalError|WaitError|RetryableError)\(\s*'([A-Za-z]+)'/g, /reason: '([A-Za-z]+)'/g, /phase: '([A-Za-z]+)'/g, /progress\(\s*'([A-Za-z]+)'/g, /addEvent\([^,]+,\s*'(?:Normal|Warning)',\s*'([A-Za-z]+)'/g]) {
    for (const m of src.matchAll(re)) out.add(m[1]!);
  }
  return out;
}

describe('reasons catalog', () => {
  it('every reason a controller writes is in its kind catalog or the engine catalog', () => {
    const missing: string[] = [];
    // Each kind folder writes only its own reasons and the engine's.
    const byFolder: Record<string, ReturnType<typeof mergeCatalogs>> = {
      'controllers/server/': mergeCatalogs(ENGINE_REASONS, server.reasons),
      'controllers/dns-record/': mergeCatalogs(ENGINE_REASONS, dns.reasons),
      'controllers/app-deployment/': mergeCatalogs(ENGINE_REASONS, app.reasons),
    };
    const all = mergeCatalogs(ENGINE_REASONS, server.reasons, dns.reasons, app.reasons);
    const scanned = [...files(join(ROOT, 'controllers')), ...['src/host', 'src/daemon', 'src/providers', 'src/engine'].flatMap((d) => files(join(ROOT, d)))];
    let found = 0;
    for (const f of scanned) {
      const rel = relative(ROOT, f);
      const cat = Object.entries(byFolder).find(([dir]) => rel.startsWith(dir))?.[1] ?? all;
      for (const r of reasonsIn(readFileSync(f, 'utf8'))) { found++; if (!cat[r]) missing.push(`${rel}: ${r}`); }
    }
    expect(found).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it('the reasons that needed a human before the catalog still do, and progress reasons do not', () => {
    const all = mergeCatalogs(ENGINE_REASONS, server.reasons, dns.reasons, app.reasons);
    for (const r of ['ReplacementRequired', 'DeletionProtected', 'ReconcilePaused', 'DeletionHeld']) expect(needsHuman(all, r), r).toBe(true);
    for (const r of ['Creating', 'Resizing', 'WaitingForServer', 'Conflict', 'RateLimited']) expect(needsHuman(all, r), r).toBe(false);
  });

  it('a kind cannot redefine an engine reason', () => {
    expect(mergeCatalogs(ENGINE_REASONS, { ReconcilePaused: { needsHuman: false } }).ReconcilePaused!.needsHuman).toBe(true);
  });

  it('verdict blocks on a kind reason only with the catalog that names it', () => {
    const st: ObjectState = {
      key: 'Server/a', generation: 1, specHash: 'h', createdAt: '', internal: {},
      status: { observedGeneration: 1, events: [], conditions: [
        { type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '', observedGeneration: 1 },
        { type: 'Synced', status: 'False', reason: 'ReplacementRequired', message: '', lastTransitionTime: '', observedGeneration: 1 },
      ] },
    };
    expect(verdict(st, true, mergeCatalogs(ENGINE_REASONS, server.reasons))).toBe('blocked');
    expect(verdict(st, true, ENGINE_REASONS)).toBe('progressing');
  });
});
