// Parsing of HOST:PORT listen addresses.
import { CliError, EXIT } from './io.js';

/** parseListen reads `host:port` or `[v6]:port`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CliError(`invalid listen address ${JSON.stringify(text)}: expected HOST:PORT`, EXIT.usage);
  return { host: (m[1] ?? m[2])!, port };
}
