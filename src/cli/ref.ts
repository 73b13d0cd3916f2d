// Parsing of object references given on the command line.
import { CliError, EXIT } from './io.js';

/** parseRef reads `KIND/NAME` (kind case-insensitive). */
export function parseRef(ref: string): { kind: string; name: string } {
  const m = /^([A-Za-z]+)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(ref);
  if (!m) throw new CliError(`invalid reference ${JSON.stringify(ref)}: expected KIND/NAME`, EXIT.usage);
  return { kind: m[1]!, name: m[2]! };
}
