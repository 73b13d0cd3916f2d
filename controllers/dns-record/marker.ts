// DNS ownership marker: one whole-token encoding per (instance, object) that always fits a free zone's 100-character comment.
import { createHash } from 'node:crypto';

/** COMMENT_LIMIT is Cloudflare's comment length per plan: 100 characters on free zones, 500 on paid ones. */
export function commentLimit(plan: string | undefined): number {
  return !plan || plan === 'free' ? 100 : 500;
}

/** MARKER_MAX bounds every marker, so at least 100 − MARKER_MAX − 1 characters of a user's comment survive adoption. */
export const MARKER_MAX = 48;

const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
// Whole tokens only: a token is the entire run between whitespace, so `web1` never matches inside `web10`.
const READABLE_RE = new RegExp(`^livchat:(${LABEL}):DNSRecord/(${LABEL}(?:\\.${LABEL})*)$`);
const HASH_RE = /^livchat:#[0-9a-f]{24}$/;

/**
 * ownerMarker is the canonical marker: `livchat:<instance>:DNSRecord/<name>` when it fits MARKER_MAX, else
 * `livchat:#<first 96 bits of sha256("<instance>/<name>")>` (32 characters). A readable marker longer than
 * MARKER_MAX (written before the budget) is still recognised and becomes the hashed one with the next write.
 */
export function ownerMarker(instance: string, name: string): string {
  const readable = readableMarker(instance, name);
  if (readable.length <= MARKER_MAX) return readable;
  return `livchat:#${createHash('sha256').update(`${instance}/${name}`).digest('hex').slice(0, 24)}`;
}

/** readableMarker is the unhashed form, whatever its length. */
export function readableMarker(instance: string, name: string): string {
  return `livchat:${instance}:DNSRecord/${name}`;
}

/** MarkerToken is one ownership token found in a comment: the owner key it stands for and, when readable, who. */
export interface MarkerToken { token: string; key: string; owner?: { instance: string; name: string } }

/** parseMarkers returns every ownership token of a comment, each keyed by its owner's canonical marker. */
export function parseMarkers(comment: string | null | undefined): MarkerToken[] {
  const out: MarkerToken[] = [];
  for (const token of (comment ?? '').split(/\s+/)) {
    if (!token.startsWith('l')) continue;
    const m = READABLE_RE.exec(token);
    if (m) {
      const owner = { instance: m[1]!, name: m[2]! };
      out.push({ token, key: ownerMarker(owner.instance, owner.name), owner });
    } else if (HASH_RE.test(token)) out.push({ token, key: token });
  }
  return out;
}

/** tagOwner reads the ownership tags of a paid-plan record, exactly: one instance tag and one object tag. */
export function tagOwner(tags: readonly string[] | undefined): { instance: string; name: string } | undefined {
  const inst = (tags ?? []).filter((t) => t.startsWith(TAG_INSTANCE));
  const obj = (tags ?? []).filter((t) => t.startsWith(TAG_OBJECT));
  if (inst.length !== 1 || obj.length !== 1) return undefined;
  return { instance: inst[0]!.slice(TAG_INSTANCE.length), name: obj[0]!.slice(TAG_OBJECT.length) };
}

export const TAG_INSTANCE = 'livchat-instance:';
export const TAG_OBJECT = 'livchat-object:';

/** ownerTags are the tags written on paid plans beside the comment marker. */
export function ownerTags(instance: string, name: string): string[] {
  return [`${TAG_INSTANCE}${instance}`, `${TAG_OBJECT}${name}`];
}

/** ownerKeys lists the canonical markers that claim a record: its comment tokens, else its ownership tags. */
export function ownerKeys(record: { comment?: string | null; tags?: readonly string[] }): string[] {
  const keys = [...new Set(parseMarkers(record.comment).map((t) => t.key))];
  if (keys.length) return keys;
  const t = tagOwner(record.tags);
  return t ? [ownerMarker(t.instance, t.name)] : [];
}

/** isOwnedBy tells whether a record carries exactly this object's marker (either format) or tags. */
export function isOwnedBy(record: { comment?: string | null; tags?: readonly string[] }, instance: string, name: string): boolean {
  return ownerKeys(record).includes(ownerMarker(instance, name));
}

/** userComment is the comment without any ownership token, whitespace folded (newlines are not allowed). */
export function userComment(comment: string | null | undefined): string {
  const marks = new Set(parseMarkers(comment).map((t) => t.token));
  return (comment ?? '').split(/\s+/).filter((t) => t && !marks.has(t)).join(' ');
}

/** withMarker builds the comment: the user's text (cut to fit the plan's limit) followed by the canonical marker. */
export function withMarker(existing: string | null | undefined, instance: string, name: string, plan?: string): string {
  const marker = ownerMarker(instance, name);
  const user = userComment(existing);
  if (!user) return marker;
  const room = commentLimit(plan) - marker.length - 1;
  return `${[...user].slice(0, room).join('').trimEnd()} ${marker}`;
}

/** withoutMarker removes this object's tokens (both formats) and leaves everything else as it was. */
export function withoutMarker(comment: string | null | undefined, instance: string, name: string): string {
  const key = ownerMarker(instance, name);
  const mine = new Set(parseMarkers(comment).filter((t) => t.key === key).map((t) => t.token));
  return (comment ?? '').split(/\s+/).filter((t) => t && !mine.has(t)).join(' ');
}
