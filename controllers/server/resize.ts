// Pure pre-checks of a server type change: what would make the provider refuse it, decided before any downtime.
import type { ServerInfo, ServerTypeInfo } from './port.js';

/** ResizeProblem is why a type change cannot happen now: never (terminal reason) or not at the moment (unavailable). */
export type ResizeProblem =
  | { kind: 'never'; reason: 'UnknownServerType' | 'InvalidServerType' | 'DiskTooSmall' | 'UnsupportedLocation'; message: string }
  | { kind: 'unavailable'; message: string };

/** resizeProblem compares the server with the target type as the provider reports it; undefined means the change can go ahead. */
export function resizeProblem(server: ServerInfo, name: string, target: ServerTypeInfo | undefined): ResizeProblem | undefined {
  if (!target) return { kind: 'never', reason: 'UnknownServerType', message: `server type ${name} does not exist at Hetzner` };
  if (server.architecture !== target.architecture) {
    return { kind: 'never', reason: 'InvalidServerType', message: `cannot change ${server.serverType} (${server.architecture}) to ${name} (${target.architecture}): the architecture differs; a new server is needed` };
  }
  // The disk is kept on resizes, so it never shrinks: the target must hold the current disk.
  if (target.diskGb < server.diskGb) {
    return { kind: 'never', reason: 'DiskTooSmall', message: `cannot change to ${name}: its ${target.diskGb} GB disk is smaller than the server's ${server.diskGb} GB disk, and disks never shrink` };
  }
  const loc = server.location;
  const here = loc === undefined ? undefined : target.locations?.find((l) => l.name === loc);
  if (loc !== undefined && target.locations && !here) {
    return { kind: 'never', reason: 'UnsupportedLocation', message: `server type ${name} is not sold in ${loc}` };
  }
  if (here && !here.available) {
    return { kind: 'unavailable', message: `Hetzner has no ${name} capacity in ${loc} right now; the server keeps running as ${server.serverType} and the resize is retried every 5 minutes` };
  }
  return undefined;
}
