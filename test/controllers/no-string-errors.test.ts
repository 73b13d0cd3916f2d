// Controllers branch on closed-set error codes (hasCode) or port facts, never on error strings or vendor codes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', '..', 'controllers');
// A comparison of an error's reason/code/status, a vendor code literal, or an instanceof check on a removed class.
const FORBIDDEN = [
  /\berr(or)?\s*(as\s+\w+\s*)?\)?\s*\.\s*(reason|code|status)\s*[!=]==/,
  /\.reason\s*[!=]==\s*'/,
  /\.detail\b/,
  /'(uniqueness_error|not_found|server_not_stopped|invalid_server_type|resource_unavailable|locked|rate_limit_exceeded)'/,
  /\b810\d\d\b/,
  /ProviderError|isProviderCode/,
];

describe('controllers never compare error strings', () => {
  it('has no reason/code/status comparison or vendor code in any controller file', () => {
    const offenders: string[] = [];
    for (const f of readdirSync(DIR, { recursive: true }) as string[]) {
      if (!f.endsWith('.ts')) continue;
      readFileSync(join(DIR, f), 'utf8').split('\n').forEach((line, i) => {
        if (FORBIDDEN.some((re) => re.test(line))) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
