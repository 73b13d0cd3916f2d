// `livchat confirm-deletions`: lists and confirms the daemon's held set over loopback, with the bearer token file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import { DeletionHold } from '../../src/engine/prune-guard.js';
import { cli, tempDir } from '../helpers/cli.js';

const TOKEN = 'cli-confirm-token-0123456789';
const hold = new DeletionHold();
let http: Awaited<ReturnType<typeof startHttp>>;
let listen: string;
let tokenFile: string;
beforeAll(async () => {
  http = await startHttp({
    host: '127.0.0.1', port: 0, apiToken: TOKEN, ready: () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }), objects: () => [],
    heldDeletions: () => hold.held(), confirmDeletions: (keys) => hold.confirm(keys),
  });
  listen = http.url.replace('http://', '');
  tokenFile = join(tempDir('lc-confirm-'), 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
});
afterAll(async () => { await http.close(); });

describe('livchat confirm-deletions', () => {
  it('says so when nothing is held, needs the token, refuses another set, and confirms the held one', async () => {
    expect(await cli(['confirm-deletions', '--listen', listen, '--api-token-file', tokenFile])).toMatchObject({ code: 0, stdout: 'no deletions are held\n' });
    hold.recompute(['DNSRecord/a', 'DNSRecord/b', 'DNSRecord/c', 'DNSRecord/d', 'DNSRecord/e'], 5, 0);
    const noToken = await cli(['confirm-deletions', '--listen', listen]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/401/);
    const other = await cli(['confirm-deletions', '--listen', listen, '--api-token-file', tokenFile, 'DNSRecord/a']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/the held set changed.*held now:\n {2}DNSRecord\/a\n/s);
    expect(hold.held()).toHaveLength(5);
    const ok = await cli(['confirm-deletions', '--listen', listen, '--api-token-file', tokenFile]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toBe('confirmed the deletion of 5 objects:\n  DNSRecord/a\n  DNSRecord/b\n  DNSRecord/c\n  DNSRecord/d\n  DNSRecord/e\n');
    expect(hold.held()).toEqual([]);
    expect(ok.stdout + ok.stderr).not.toContain(TOKEN);
  });

  it('talks to loopback only', async () => {
    expect((await cli(['confirm-deletions', '--listen', '192.0.2.1:9477'])).code).toBe(64);
  });
});
