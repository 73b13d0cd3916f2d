// Resolves what a user may type for a kind (kind, plural, singular or short name, any case) to the kind, as kubectl does.
import { KINDS, KIND_NAMES, type KindName } from './generated.js';

const GROUP_SUFFIX = '.livchat.ai';

/** Every accepted spelling, lower-cased, mapped to its kind; built once from the CRD names. */
const ALIASES: ReadonlyMap<string, KindName> = new Map(
  KINDS.flatMap((kind) => {
    const n = KIND_NAMES[kind];
    return [kind, n.plural, n.singular, ...n.shortNames].map((alias) => [alias.toLowerCase(), kind] as const);
  }),
);

/**
 * resolveKindAlias maps `dns`, `DNSRecords`, `server`, `srv` or `dnsrecords.livchat.ai` to the kind they name, and
 * anything else to undefined. Kind, plural and singular may carry the API group, like kubectl's `resource.group`.
 */
export function resolveKindAlias(word: string): KindName | undefined {
  const lower = word.trim().toLowerCase();
  const direct = ALIASES.get(lower);
  if (direct) return direct;
  if (!lower.endsWith(GROUP_SUFFIX)) return undefined;
  const bare = lower.slice(0, -GROUP_SUFFIX.length);
  const kind = ALIASES.get(bare);
  // Short names are not qualified by group in kubectl either.
  return kind && !KIND_NAMES[kind].shortNames.includes(bare) ? kind : undefined;
}

/** kindAliases lists the names a kind answers to, for help texts and errors. */
export function kindAliases(kind: KindName): string[] {
  const n = KIND_NAMES[kind];
  return [kind, n.plural, n.singular, ...n.shortNames];
}
