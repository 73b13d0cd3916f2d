// Checks the Ansible tree: syntax, builtin-only modules, renderable firewall/sshd templates, and the playbook hash.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFile, cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syntaxCheck } from '../../src/host/ansible.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { hashPlaybooks } from '../../src/host/playbook-hash.js';
import { hostToolsMissing, SSHD_BIN } from '../helpers/sshd.js';

const ROOT = join(import.meta.dirname, '../..');
const ANSIBLE_DIR = join(ROOT, 'ansible');
const SMOKE = join(ROOT, 'test/fixtures/ansible/smoke.yml');
const missing = hostToolsMissing();
if (missing) console.warn(`test/host/playbooks.test.ts ${missing}`);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Top-level YAML files in ansible/ are playbooks; role files are task lists pulled in by them. */
const playbooks = readdirSync(ANSIBLE_DIR).filter((n) => /\.ya?ml$/.test(n)).map((n) => join(ANSIBLE_DIR, n));

const TASK_KEYWORDS = new Set([
  'name', 'when', 'register', 'loop', 'loop_control', 'notify', 'listen', 'changed_when', 'failed_when', 'check_mode', 'args',
  'vars', 'retries', 'delay', 'until', 'tags', 'become', 'become_user', 'block', 'rescue', 'always', 'ignore_errors', 'no_log',
  'environment', 'delegate_to', 'run_once',
]);

/** Ansible's `!unsafe` marks a string Jinja must not expand; for this check it is a plain string. */
const yamlOpts = { customTags: [{ tag: '!unsafe', resolve: (s: string) => s }] };

/** moduleNames lists the module each task (recursively through blocks) calls. */
function moduleNames(tasks: unknown): string[] {
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((t: Record<string, unknown>) => {
    if (t.block) return [...moduleNames(t.block), ...moduleNames(t.rescue), ...moduleNames(t.always)];
    return Object.keys(t).filter((k) => !TASK_KEYWORDS.has(k));
  });
}

describe('ansible tree', () => {
  it('has the entry playbook and the four roles', () => {
    expect(playbooks.map((p) => relative(ANSIBLE_DIR, p))).toContain('site.yml');
    for (const role of ['base', 'firewall', 'docker', 'swarm']) {
      expect(existsSync(join(ANSIBLE_DIR, 'roles', role, 'tasks/main.yml'))).toBe(true);
    }
  });

  it('uses only ansible.builtin modules (no collections are installed)', () => {
    const mods: string[] = [];
    for (const pb of [...playbooks, SMOKE]) {
      for (const play of parse(readFileSync(pb, 'utf8'), yamlOpts) as Array<Record<string, unknown>>) {
        for (const section of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) mods.push(...moduleNames(play[section]));
      }
    }
    for (const file of walk(join(ANSIBLE_DIR, 'roles')).filter((f) => /\/(tasks|handlers)\/[^/]+\.yml$/.test(f))) {
      mods.push(...moduleNames(parse(readFileSync(file, 'utf8'), yamlOpts)));
    }
    expect(mods.length).toBeGreaterThan(30);
    expect(mods.filter((m) => !m.startsWith('ansible.builtin.'))).toEqual([]);
  });
});

describe.skipIf(!!missing)('ansible-playbook --syntax-check', () => {
  it.each([...playbooks, SMOKE].map((p) => [relative(ROOT, p), p]))('%s', async (_name, pb) => {
    const res = await syntaxCheck(pb);
    expect(res.output).toContain('playbook:');
    expect(res.ok).toBe(true);
  });

  it('reports a broken playbook', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livchat-bad-'));
    try {
      await writeFile(join(dir, 'bad.yml'), '- hosts: all\n  tasks:\n    - ansible.builtin.nonexistent_module: {}\n');
      const res = await syntaxCheck(join(dir, 'bad.yml'));
      expect(res.ok).toBe(false);
      expect(res.output).toMatch(/nonexistent_module/);
    } finally { await rm(dir, { recursive: true, force: true }); }
  });
});

describe.skipIf(!!missing)('rendered templates are accepted by their daemons', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livchat-render-'));
    const roles = join(ANSIBLE_DIR, 'roles');
    // Renders locally into the temp dir only; role defaults are not loaded by a bare play, so pass the vars it needs.
    const play = [{
      hosts: 'localhost',
      connection: 'local',
      gather_facts: false,
      vars: { livchat_firewall_tcp_ports: [22, 80, 443], livchat_firewall_public_interfaces: ['eth0', 'ens3'], livchat_firewall_rules_path: '/etc/livchat/firewall.nft' },
      tasks: [
        { 'ansible.builtin.template': { src: join(roles, 'firewall/templates/firewall.nft.j2'), dest: join(dir, 'firewall.nft') } },
        { 'ansible.builtin.template': { src: join(roles, 'base/templates/sshd-hardening.conf.j2'), dest: join(dir, 'sshd.conf') } },
      ],
    }];
    await writeFile(join(dir, 'render.yml'), JSON.stringify(play));
    execFileSync('ansible-playbook', ['-i', 'localhost,', join(dir, 'render.yml')], {
      env: { ...process.env, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_NOCOLOR: '1' }, stdio: 'pipe',
    });
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it.skipIf(!existsSync('/usr/sbin/nft'))('firewall rules pass nft -c and only touch table inet livchat', () => {
    const rules = readFileSync(join(dir, 'firewall.nft'), 'utf8');
    expect(rules).toContain('iifname { "eth0", "ens3" } jump public_input');
    expect(rules).toContain('ct original proto-dst @allowed_tcp');
    expect(rules).not.toMatch(/flush ruleset/);
    execFileSync('/usr/sbin/nft', ['-c', '-f', join(dir, 'firewall.nft')], { stdio: 'pipe' });
  });

  it('sshd hardening drop-in passes sshd -t', async () => {
    const conf = readFileSync(join(dir, 'sshd.conf'), 'utf8');
    expect(conf).toMatch(/^PasswordAuthentication no$/m);
    expect(conf).toMatch(/^KbdInteractiveAuthentication no$/m);
    expect(conf).toMatch(/^PermitRootLogin prohibit-password$/m);
    const key = join(dir, 'hostkey');
    await writeFile(key, generateEd25519KeyPair('t').privateKey, { mode: 0o600 });
    execFileSync(SSHD_BIN, ['-t', '-f', join(dir, 'sshd.conf'), '-h', key], { stdio: 'pipe' });
  });
});

describe('hashPlaybooks', () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'livchat-hash-'));
    await cp(ANSIBLE_DIR, copy, { recursive: true });
  });
  afterAll(async () => { await rm(copy, { recursive: true, force: true }); });

  it('is stable and independent of where the tree lives', async () => {
    const a = await hashPlaybooks(ANSIBLE_DIR);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await hashPlaybooks(ANSIBLE_DIR)).toBe(a);
    expect(await hashPlaybooks(copy)).toBe(a);
  });

  it('changes when a file changes, moves or appears, but not for retry files', async () => {
    const base = await hashPlaybooks(copy);
    await writeFile(join(copy, 'site.retry'), 'server\n');
    expect(await hashPlaybooks(copy)).toBe(base);

    const defaults = join(copy, 'roles/base/defaults/main.yml');
    await appendFile(defaults, '# tweak\n');
    const edited = await hashPlaybooks(copy);
    expect(edited).not.toBe(base);

    await rename(defaults, join(copy, 'roles/base/defaults/other.yml'));
    const moved = await hashPlaybooks(copy);
    expect(moved).not.toBe(edited);

    await writeFile(join(copy, 'roles/base/defaults/new.yml'), '');
    expect(await hashPlaybooks(copy)).not.toBe(moved);
  });
});
