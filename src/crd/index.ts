// Public surface of the resource model: validator, generated types, schema helpers.
export * from './generated.js';
export { check, isKind, kinds, schemaFor, validate, type CheckResult } from './registry.js';
export type { ValidationIssue } from './issues.js';
export { canonicalJson, specHash } from './canonical.js';
export { kindAliases, resolveKindAlias } from './aliases.js';
export { isHostname, resolveRecordName, type ResolvedName } from './dns-name.js';
export { displayPath, toPointer, toSegments } from './pointer.js';
