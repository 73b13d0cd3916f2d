// Canonical JSON and the spec hash, defined in the engine (so the engine imports nothing from crd); re-exported here.
export { canonicalJson, sha256Hex, specHash } from '../engine/canonical.js';
