// Stable hashing of JSON values (sorted keys) for generations and change detection; one implementation, in crd/canonical.
export { canonicalJson, specHash as hashValue } from './canonical.js';
