// Pure pre-checks of a server type change: what would make Hetzner refuse it, decided before any downtime.
import type { Server, ServerType } from '../../src/providers/hetzner-types.js';
import { serverLocation } from '../../src/providers/hetzner-types.js';

/** ResizeProblem is why a type change cannot happen now: never (terminal reason) or not at the moment (unavailable). */
export type ResizeProblem =
  | { kind: 'never'; reason: 'UnknownServerType' | 'InvalidServerType' | 'DiskTooSmall' | 'UnsupportedLocation'; message: string }
  | { kind: 'unavailable'; message: string };

/** resizeProblem compares the server with the target type as the API reports it; undefined means the change can go ahead. */
export function resizeProblem(server: Server, name: string, target: ServerType | undefined): ResizeProblem | undefined {
  if (!target) return { kind: 'never', reason: 'UnknownServerType', message: `server type ${name} does not exist at Hetzner` };
  const fromArch = server.server_type.architecture ?? 'x86';
  const toArch = target.architecture ?? 'x86';
  if (fromArch !== toArch) {
    return { kind: 'never', reason: 'InvalidServerType', message: `cannot change ${server.server_type.name} (${fromArch}) to ${name} (${toArch}): the architecture differs; a new server is needed` };
  }
  // The disk is kept on resizes, so it never shrinks: the target must hold the current disk.
  if (target.disk < server.primary_disk_size) {
    return { kind: 'never', reason: 'DiskTooSmall', message: `cannot change to ${name}: its ${target.disk} GB disk is smaller than the server's ${server.primary_disk_size} GB disk, and disks never shrink` };
  }
  const loc = serverLocation(server)?.name;
  const here = loc === undefined ? undefined : target.locations?.find((l) => l.name === loc);
  if (loc !== undefined && target.locations && !here) {
    return { kind: 'never', reason: 'UnsupportedLocation', message: `server type ${name} is not sold in ${loc}` };
  }
  if (here && !here.available) {
    return { kind: 'unavailable', message: `Hetzner has no ${name} capacity in ${loc} right now; the server keeps running as ${server.server_type.name} and the resize is retried every 5 minutes` };
  }
  return undefined;
}
