// Encrypted secrets vault: AES-256-GCM entries in <stateDir>/vault.json under a master key kept outside the file.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createFileExclusive, writeFileAtomic } from './atomic.js';
import { SecretRegistry } from '../obs/redact.js';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type VaultErrorCode = 'InvalidName' | 'InvalidValue' | 'KeyMissing' | 'KeyInvalid' | 'KeyInsecure' | 'Corrupt' | 'AuthFailed';

/** VaultError explains what is wrong with the vault or its key; its message never holds key or secret material. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
  readonly code: VaultErrorCode;
  constructor(code: VaultErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Where the master key came from. */
export interface MasterKeyInfo {
  source: 'env-file' | 'credentials' | 'state-dir';
  path: string;
  /** True when the key was created by this call. */
  generated: boolean;
  /** Always false on a returned key: a key readable by group or others is refused (KeyInsecure). */
  insecurePermissions: boolean;
}

export interface VaultOptions {
  stateDir: string;
  env?: NodeJS.ProcessEnv;
  secrets?: SecretRegistry;
}

interface Entry { iv: string; tag: string; data: string }
interface VaultFile { version: 1; entries: Record<string, Entry> }

/**
 * resolveMasterKey finds the key: $LIVCHAT_MASTER_KEY_FILE, else $CREDENTIALS_DIRECTORY/master.key (systemd),
 * else <stateDir>/master.key, generated on first use.
 */
export function resolveMasterKey(stateDir: string, env: NodeJS.ProcessEnv = process.env): { key: Buffer; info: MasterKeyInfo } {
  const explicit = env['LIVCHAT_MASTER_KEY_FILE'];
  if (explicit !== undefined && explicit !== '') {
    // An explicitly named file must exist: silently generating another key would orphan the existing vault.
    return { key: readKeyFile(explicit), info: keyInfo('env-file', explicit, false) };
  }
  const credDir = env['CREDENTIALS_DIRECTORY'];
  if (credDir !== undefined && credDir !== '') {
    const path = join(credDir, 'master.key');
    if (exists(path)) return { key: readKeyFile(path), info: keyInfo('credentials', path, false) };
  }
  const path = join(stateDir, 'master.key');
  const generated = !exists(path) && generateKeyFile(stateDir, path);
  return { key: readKeyFile(path), info: keyInfo('state-dir', path, generated) };
}

/** parseMasterKey accepts 32 raw bytes, or base64 / hex text of 32 bytes; `label` names the source in errors. */
export function parseMasterKey(content: Buffer, label: string): Buffer {
  if (content.length === KEY_BYTES) return Buffer.from(content);
  const text = content.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new VaultError('KeyInvalid', `master key file ${label} is invalid: expected 32 raw bytes, or base64 or hex encoding of 32 bytes`);
}

/** Vault stores named secrets; every value read or written is registered for scrubbing from all output. */
export class Vault {
  private constructor(
    private readonly path: string,
    private readonly key: Buffer,
    private readonly registry: SecretRegistry,
    /** Where the master key came from and whether its file permissions are too open. */
    readonly keyInfo: MasterKeyInfo,
  ) {}

  /** open resolves the master key and authenticates every existing entry, so a wrong key or tampering fails early. */
  static async open(opts: VaultOptions): Promise<Vault> {
    const { key, info } = resolveMasterKey(opts.stateDir, opts.env ?? process.env);
    const vault = new Vault(join(opts.stateDir, 'vault.json'), key, opts.secrets ?? new SecretRegistry(), info);
    const file = vault.load();
    for (const name of Object.keys(file.entries)) vault.registry.register(vault.decrypt(name, file.entries[name]!));
    return vault;
  }

  /** The vault file path (names and ciphertext only). */
  get file(): string {
    return this.path;
  }

  /** True when the master key file is group/world readable. */
  get insecureKeyPermissions(): boolean {
    return this.keyInfo.insecurePermissions;
  }

  set(name: string, value: string): void {
    checkName(name);
    if (typeof value !== 'string') throw new VaultError('InvalidValue', `vault entry '${name}': value must be a string`);
    this.registry.register(value);
    // Read-modify-write with no await in between; the file is re-read so writes by another process are kept.
    const file = this.load();
    file.entries[name] = this.encrypt(name, value);
    this.save(file);
  }

  get(name: string): string | undefined {
    checkName(name);
    const entry = this.load().entries[name];
    if (entry === undefined) return undefined;
    const value = this.decrypt(name, entry);
    this.registry.register(value);
    return value;
  }

  has(name: string): boolean {
    checkName(name);
    return Object.hasOwn(this.load().entries, name);
  }

  /** list returns entry names only, sorted. */
  list(): string[] {
    return Object.keys(this.load().entries).sort();
  }

  remove(name: string): boolean {
    checkName(name);
    const file = this.load();
    if (!Object.hasOwn(file.entries, name)) return false;
    delete file.entries[name];
    this.save(file);
    return true;
  }

  private encrypt(name: string, value: string): Entry {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The entry name is the AAD, so moving ciphertext to another name fails authentication.
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  private decrypt(name: string, entry: Entry): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(entry.iv, 'base64'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError(
        'AuthFailed',
        `vault entry '${name}' failed authentication: the vault file was modified or the master key is wrong`,
      );
    }
  }

  private load(): VaultFile {
    let raw: string;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // JSON.parse messages quote the input, so they are deliberately not passed on.
      throw new VaultError('Corrupt', `vault file ${this.path} is not valid JSON: it was modified or truncated`);
    }
    return validateFile(parsed, this.path);
  }

  private save(file: VaultFile): void {
    const sorted: Record<string, Entry> = {};
    for (const name of Object.keys(file.entries).sort()) sorted[name] = file.entries[name]!;
    writeFileAtomic(this.path, JSON.stringify({ version: 1, entries: sorted }, null, 2) + '\n', 0o600);
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new VaultError(
      'InvalidName',
      `invalid vault entry name ${shown}: use 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

function validateFile(parsed: unknown, path: string): VaultFile {
  const corrupt = (why: string): VaultError => new VaultError('Corrupt', `vault file ${path} is malformed: ${why}`);
  if (parsed === null || typeof parsed !== 'object') throw corrupt('not an object');
  const { version, entries } = parsed as { version?: unknown; entries?: unknown };
  if (version !== 1) throw corrupt('unsupported version (expected 1)');
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) throw corrupt('"entries" is not an object');
  const out: Record<string, Entry> = {};
  for (const [name, e] of Object.entries(entries)) {
    if (!NAME_RE.test(name)) throw corrupt(`entry name ${JSON.stringify(name.slice(0, 80))} is invalid`);
    const { iv, tag, data } = (e ?? {}) as Partial<Record<keyof Entry, unknown>>;
    if (!isB64(iv, IV_BYTES) || !isB64(tag, TAG_BYTES) || typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
      throw corrupt(`entry '${name}' does not have a valid iv, tag and data`);
    }
    out[name] = { iv, tag, data };
  }
  return { version: 1, entries: out };
}

function isB64(v: unknown, bytes: number): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === bytes;
}

function readKeyFile(path: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new VaultError('KeyMissing', `cannot read master key file ${path} (${code})`);
  }
  return parseMasterKey(content, path);
}

function keyInfo(source: MasterKeyInfo['source'], path: string, generated: boolean): MasterKeyInfo {
  // Group/other permission bits: the key (and so every secret) would be exposed to other local users.
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new VaultError('KeyInsecure', `master key file ${path} has mode ${mode.toString(8).padStart(4, '0')}: it must not be accessible by group or others; run: chmod 600 ${path}`);
  }
  return { source, path, generated, insecurePermissions: false };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** generateKeyFile creates the key atomically; returns false when another process created it first. */
function generateKeyFile(stateDir: string, path: string): boolean {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // link() fails if the key exists, so concurrent first runs (daemon and CLI) agree on one key.
  return createFileExclusive(path, randomBytes(KEY_BYTES).toString('base64') + '\n', 0o600);
}
