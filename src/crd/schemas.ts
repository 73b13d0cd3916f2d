// The published JSON Schemas (generated from crds/ into crds/schemas/), keyed by kind.
import appDeployment from '../../crds/schemas/appdeployment.json' with { type: 'json' };
import dnsRecord from '../../crds/schemas/dnsrecord.json' with { type: 'json' };
import server from '../../crds/schemas/server.json' with { type: 'json' };
import type { KindName } from './generated.js';

/** publishedSchemas holds the whole-object JSON Schema of each kind, as editors see it. */
export const publishedSchemas: Readonly<Record<KindName, Readonly<Record<string, unknown>>>> = {
  AppDeployment: appDeployment,
  DNSRecord: dnsRecord,
  Server: server,
};
