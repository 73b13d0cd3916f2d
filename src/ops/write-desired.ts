// The validated atomic writer for desired files: one object per file, desired/<kind>-<name>.yaml, never outside desired/.
import { closeSync, constants, fsyncSync, lstatSync, openSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { isKind } from '../crd/index.js';
import { formatProblem, type DesiredObject, type Problem } from '../engine/types.js';
import { scanDesired } from '../source/scan.js';
import { loadDesiredFile, parseDesiredText } from '../source/yaml-loader.js';
import { serverRefs } from './desired-refs.js';

/** RFC 1123 label: what every object name must be, so a name can never carry a path separator, dot-dot or NUL. */
const RFC1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** DesiredWriteError is a refused write; nothing was written. `problems` say why, FILE:LINE:COL where known. */
export class DesiredWriteError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'DesiredWriteError';
  }
}

export interface WriteDesiredInput {
  kind: string;
  name: string;
  /** The document as YAML text, or as an object (exactly one of them). */
  yaml?: string;
  object?: Record<string, unknown>;
}

/** desiredFileName is the only file name the writer uses: derived from kind and name, after both are checked. */
export function desiredFileName(kind: string, name: string): string {
  return `${kind.toLowerCase()}-${name}.yaml`;
}

function refuse(file: string, message: string, kind?: string, name?: string): never {
  throw new DesiredWriteError([{ file, line: 1, col: 1, ...(kind ? { kind } : {}), ...(name ? { name } : {}), message }]);
}

/** target checks kind and name and returns the real desired dir and the file inside it; refuses a symlinked or odd target. */
function target(dir: string, kind: string, name: string): { root: string; path: string } {
  if (typeof kind !== 'string' || !isKind(kind)) refuse(dir, `unknown kind ${JSON.stringify(kind)}`);
  if (typeof name !== 'string' || !RFC1123.test(name)) refuse(dir, `invalid name ${JSON.stringify(name)}: use an RFC 1123 label (lowercase letters, digits, '-', at most 63)`, kind);
  let root: string;
  try { root = realpathSync(dir); } catch (err) { refuse(dir, `cannot open desired directory: ${(err as Error).message}`); }
  if (!lstatSync(root).isDirectory()) refuse(dir, 'desired path is not a directory');
  const path = join(root, desiredFileName(kind, name));
  // Defence in depth: the checked name cannot escape, and this proves it did not.
  if (dirname(path) !== root) refuse(dir, `refusing a file outside ${root}`, kind, name);
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) refuse(path, 'target is a symbolic link; never followed', kind, name);
    if (!st.isFile()) refuse(path, 'target is not a regular file', kind, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { root, path };
}

/** others loads every desired file except `skip`; their problems are not the writer's concern, their objects are. */
function others(root: string, skip: string): DesiredObject[] {
  return scanDesired(root).files.filter((f) => f !== skip).flatMap((f) => loadDesiredFile(f, { cwd: root })?.objects ?? []);
}

/** validate parses the document and checks it against the CRDs and against everything else in desired/. */
function validate(root: string, path: string, input: WriteDesiredInput): { text: string; object: DesiredObject } {
  const { kind, name } = input;
  // Problems name the file as desired/ shows it, like the loader's own problems.
  const shown = basename(path);
  if ((input.yaml === undefined) === (input.object === undefined)) refuse(shown, 'give exactly one of yaml or object', kind, name);
  const text = input.yaml ?? stringify(input.object);
  if (text.includes('\0')) refuse(shown, 'the document contains a NUL byte', kind, name);
  const load = parseDesiredText(text, path, { cwd: root });
  if (load.problems.length) throw new DesiredWriteError(load.problems);
  if (load.objects.length !== 1) refuse(shown, `a desired file written here holds exactly one object, not ${load.objects.length}`, kind, name);
  const obj = load.objects[0]!;
  if (obj.key !== `${kind}/${name}`) refuse(shown, `the document is ${obj.key}, not ${kind}/${name}`, kind, name);
  const rest = others(root, path);
  const dup = rest.find((o) => o.key === obj.key);
  if (dup) refuse(shown, `${obj.key} is already defined in ${dup.source?.file ?? 'another file'}${dup.source ? `:${dup.source.line}` : ''}`, kind, name);
  const servers = new Set(rest.filter((o) => o.object.kind === 'Server').map((o) => o.object.metadata.name));
  for (const s of serverRefs(obj)) if (!servers.has(s)) refuse(shown, `refers to Server/${s}, which desired/ does not define`, kind, name);
  return { text, object: obj };
}

/** writeAtomic writes a fresh temp file (O_EXCL, O_NOFOLLOW) in the same dir, fsyncs it, renames it over path, fsyncs the dir. */
function writeAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.livchat-write-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* closed already */ }
    try { unlinkSync(tmp); } catch { /* renamed or gone */ }
    throw err;
  }
  try { const d = openSync(dir, 'r'); try { fsyncSync(d); } finally { closeSync(d); } } catch { /* directory fsync unsupported */ }
}

/** writeDesired validates the document and writes it atomically; on any refusal it throws DesiredWriteError and writes nothing. */
export function writeDesired(dir: string, input: WriteDesiredInput): { file: string; key: string } {
  const { root, path } = target(dir, input.kind, input.name);
  const { text, object } = validate(root, path, input);
  writeAtomic(path, text.endsWith('\n') ? text : text + '\n');
  return { file: path, key: object.key };
}

/** removeDesired removes desired/<kind>-<name>.yaml (never a symlink, never outside desired/); false when it was absent. */
export function removeDesired(dir: string, kind: string, name: string): boolean {
  const { path } = target(dir, kind, name);
  try { unlinkSync(path); } catch (err) { if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; throw err; }
  try { const d = openSync(dirname(path), 'r'); try { fsyncSync(d); } finally { closeSync(d); } } catch { /* unsupported */ }
  return true;
}
