// Checks deploy/livchat.service: the directives the daemon relies on (state, credentials, signals, sandbox) are there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Unit = Map<string, Map<string, string[]>>;

/** parseUnit reads systemd's INI dialect: [Section], Key=Value, repeatable keys, # and ; comments, \ continuations. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq <= 0) throw new Error(`not a directive: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

const unit = parseUnit(readFileSync(new URL('../../deploy/livchat.service', import.meta.url), 'utf8'));
const service = unit.get('Service') ?? new Map<string, string[]>();
/** last returns the effective value of a single-valued directive (systemd keeps the last assignment). */
const last = (key: string): string | undefined => service.get(key)?.at(-1);

describe('deploy/livchat.service', () => {
  it('has the three sections and starts after the network at boot', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Unit')?.get('After')).toContain('network-online.target');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs `livchat run` on the desired directory as a dedicated user', () => {
    expect(last('ExecStart')).toMatch(/\/livchat run \/srv\/livchat\/desired$/);
    expect(last('User')).toBe('livchat');
    expect(last('Restart')).toBe('on-failure');
  });

  it('gives the daemon its state directory and the vault master key', () => {
    expect(last('StateDirectory')).toBe('livchat');
    expect(service.get('LoadCredential')).toContain('master.key:/etc/livchat/master.key');
    expect(service.get('ReadWritePaths')?.join(' ')).toContain('/var/lib/livchat');
  });

  it('reloads on SIGHUP and stops with SIGTERM, waiting longer than the 30 s drain', () => {
    expect(last('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(last('KillSignal')).toBe('SIGTERM');
    expect(last('KillMode')).toBe('mixed');
    expect(Number(last('TimeoutStopSec'))).toBeGreaterThan(30);
  });

  it('is sandboxed without cutting off ssh or the JIT', () => {
    expect(last('NoNewPrivileges')).toBe('yes');
    expect(last('ProtectSystem')).toBe('strict');
    expect(last('ProtectHome')).toBe('yes');
    expect(last('PrivateTmp')).toBe('yes');
    expect(last('CapabilityBoundingSet')).toBe('');
    // ansible-playbook runs ssh: IP networking must stay, and V8 needs writable executable memory.
    expect(last('RestrictAddressFamilies')?.split(/\s+/)).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6']));
    expect(last('PrivateNetwork')).not.toBe('yes');
    expect(last('IPAddressDeny')).toBeUndefined();
    expect(last('MemoryDenyWriteExecute')).not.toBe('yes');
    expect(last('InaccessiblePaths')).toBeUndefined();
  });
});
