// Safe loader for desired YAML files: bounded parsing, validation, and problems located at FILE:LINE:COL.
import { LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import { check, isKind } from '../crd/registry.js';
import { specHash } from '../crd/canonical.js';
import { displayPath } from '../crd/pointer.js';
import { objectKey, type DesiredObject, type Problem, type Resource } from '../engine/types.js';
import type { ValidationIssue } from '../crd/issues.js';
import { displayFile } from './ignore.js';
import { offsetOf } from './yaml-position.js';
import { fastParse } from './yaml-fast.js';
import { decodeDesiredText, readBounded } from './read-file.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ALIAS_COUNT = 100;

/** LoaderOptions bound what one file may cost and say how paths are shown. */
export interface LoaderOptions {
  /** Files above this size are refused before parsing (default 1 MiB). */
  maxFileBytes?: number;
  /** Alias expansions allowed per document (default 100); stops billion-laughs files. */
  maxAliasCount?: number;
  /** Problems show files relative to this directory when they are below it (default process.cwd()). */
  cwd?: string;
  /** Checks beyond the CRDs that the kinds add (an AppDeployment against its app template), with JSON pointers. */
  kindChecks?: (object: Resource) => ValidationIssue[];
}

/** checked runs the CRD check, then the kinds' own checks on a valid object. */
function checked(value: unknown, opts: LoaderOptions): ReturnType<typeof check> {
  const result = check(value, { owned: true });
  if (!result.object || !opts.kindChecks) return result;
  const more = opts.kindChecks(result.object);
  return more.length ? { issues: more } : result;
}

/** FileLoad is the outcome of loading one file. */
export interface FileLoad {
  /** Absolute path. */
  file: string;
  /** Valid objects, in file order (a key may repeat when the file defines it twice). */
  objects: DesiredObject[];
  /** Keys of documents that name a known kind and a name but failed validation. */
  invalidKeys: string[];
  /** False when some document could not be tied to a key (bad YAML, unknown kind, missing name, unreadable file). */
  complete: boolean;
  problems: Problem[];
}

/** ReadResult says whether a file could be read, and why not. */
export type ReadResult = { status: 'ok'; text: string } | { status: 'missing' } | { status: 'error'; problem: Problem };

/** readDesiredFile reads a regular file through a bounded, non-blocking open and decodes strict UTF-8; missing is not an error. */
export function readDesiredFile(file: string, opts: LoaderOptions = {}): ReadResult {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const at = (o: { line: number; col: number; message: string }): ReadResult => ({ status: 'error', problem: { file: displayFile(file, opts.cwd), line: o.line, col: o.col, message: o.message } });
  const read = readBounded(file, max);
  if (read.status !== 'ok') return read.status === 'missing' ? read : at(read);
  const decoded = decodeDesiredText(read.bytes);
  return decoded.status === 'ok' ? decoded : decoded.status === 'missing' ? decoded : at(decoded);
}

const PARSE_OPTIONS = {
  schema: 'core',
  version: '1.2',
  resolveKnownTags: false,
  uniqueKeys: true,
  stringKeys: true,
  merge: false,
  strict: true,
  prettyErrors: false,
} as const;

/** yamlMessage words a parser error or warning; every warning counts as an error here. */
function yamlMessage(e: YAMLError): string {
  if (e.code === 'TAG_RESOLVE_FAILED') {
    const tag = e.message.replace(/^Unresolved tag:\s*/, '').replace('tag:yaml.org,2002:', '!!');
    return `invalid YAML: unknown tag ${tag}; custom tags are not allowed`;
  }
  if (e.code === 'DUPLICATE_KEY') return 'invalid YAML: duplicate key';
  return `invalid YAML: ${e.message}`;
}

const isEmptyDocument = (doc: Document): boolean => {
  const c = doc.contents as { value?: unknown; items?: unknown } | null;
  return c === null || (c.items === undefined && c.value === null);
};

const start = (doc: Document): number | undefined => (doc.contents as { range?: number[] } | null)?.range?.[0];

/** Issues at these paths mean the document's key itself is in doubt. */
const IDENTITY_PATHS = /^(\/apiVersion|\/kind|\/metadata(\/name)?)$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** parseDesiredText parses and validates every document of one file's text. */
export function parseDesiredText(text: string, file: string, opts: LoaderOptions = {}): FileLoad {
  return fastLoad(text, file, opts) ?? fullLoad(text, file, opts);
}

/** fastLoad handles files whose documents are all valid; any doubt returns undefined for the full, positional load. */
function fastLoad(text: string, file: string, opts: LoaderOptions): FileLoad | undefined {
  const docs = fastParse(text);
  if (!docs) return undefined;
  const shownFile = displayFile(file, opts.cwd);
  const out: FileLoad = { file, objects: [], invalidKeys: [], complete: true, problems: [] };
  for (const d of docs) {
    const result = checked(d.value, opts);
    if (!result.object) return undefined;
    const obj = result.object;
    out.objects.push({ key: objectKey(obj.kind, obj.metadata.name), object: obj, source: { file: shownFile, line: d.line, col: d.col }, specHash: specHash(obj.spec) });
  }
  return out;
}

/** fullLoad parses with source positions so every problem gets its exact LINE:COL. */
function fullLoad(text: string, file: string, opts: LoaderOptions): FileLoad {
  const shownFile = displayFile(file, opts.cwd);
  const out: FileLoad = { file, objects: [], invalidKeys: [], complete: true, problems: [] };
  const lc = new LineCounter();
  const at = (offset: number, message: string, kind?: string, name?: string): Problem => {
    const { line, col } = lc.linePos(offset);
    return { file: shownFile, line, col, ...(kind ? { kind } : {}), ...(name ? { name } : {}), message };
  };
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lc }) as Document[];
  } catch (err) {
    out.complete = false;
    out.problems.push(at(0, `invalid YAML: ${(err as Error).message}`));
    return out;
  }
  for (const doc of docs) {
    const docStart = doc.range?.[0] ?? 0;
    const yamlErrors = [...doc.errors, ...doc.warnings];
    if (yamlErrors.length > 0) {
      out.complete = false;
      for (const e of yamlErrors) out.problems.push(at(e.pos[0], yamlMessage(e)));
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT });
    } catch (err) {
      out.complete = false;
      const limit = opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
      const msg = err instanceof ReferenceError && /alias/i.test(err.message) ? `too many alias expansions (limit ${limit})` : (err as Error).message;
      out.problems.push(at(start(doc) ?? docStart, `invalid YAML: ${msg}`));
      continue;
    }
    const v = (value ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
    const kind = str(v.kind);
    const name = str(typeof v.metadata === 'object' && v.metadata !== null ? v.metadata.name : undefined);
    const result = checked(value, opts);
    if (!result.object) {
      // Only a document whose kind and name are themselves valid can keep "its" last good version; for any other
      // we cannot tell which object it was meant to be, so the whole file keeps its last good objects.
      const identified = kind && name && isKind(kind) && !result.issues.some((i) => IDENTITY_PATHS.test(i.path));
      if (identified) out.invalidKeys.push(objectKey(kind, name));
      else out.complete = false;
      const located = result.issues.map((issue) => ({ issue, offset: offsetOf(doc, issue.path) }));
      for (const { issue, offset } of located.sort((a, b) => a.offset - b.offset)) {
        const where = displayPath(issue.path);
        out.problems.push(at(offset, where ? `${where}: ${issue.message}` : issue.message, kind, name));
      }
      continue;
    }
    const obj = result.object;
    const { line, col } = lc.linePos(offsetOf(doc, '/kind'));
    out.objects.push({
      key: objectKey(obj.kind, obj.metadata.name),
      object: obj,
      source: { file: shownFile, line, col },
      specHash: specHash(obj.spec),
    });
  }
  return out;
}

/** loadDesiredFile reads and parses one file; undefined means the file does not exist. */
export function loadDesiredFile(file: string, opts: LoaderOptions = {}): FileLoad | undefined {
  const read = readDesiredFile(file, opts);
  if (read.status === 'missing') return undefined;
  if (read.status === 'error') return { file, objects: [], invalidKeys: [], complete: false, problems: [read.problem] };
  return parseDesiredText(read.text, file, opts);
}
