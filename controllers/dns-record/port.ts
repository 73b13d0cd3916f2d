// The DNSRecord kind's domain port: zones and records, as the Cloudflare client offers them after its mapping.
import type { ObservedRecord } from './normalize.js';

/** DnsRecordInput is what the port writes: an observed record without its id, with a plain comment. */
export type DnsRecordInput = Omit<ObservedRecord, 'id' | 'comment'> & { comment?: string };

/** DnsPort is the controller's only I/O: the Cloudflare client satisfies it structurally. */
export interface DnsPort {
  findZone(name: string): Promise<{ id: string; name: string; plan?: string } | undefined>;
  listRecords(zoneId: string): Promise<ObservedRecord[]>;
  createRecord(zoneId: string, input: DnsRecordInput): Promise<ObservedRecord>;
  editRecord(zoneId: string, id: string, patch: Partial<DnsRecordInput>): Promise<ObservedRecord>;
  deleteRecord(zoneId: string, id: string): Promise<void>;
  /** getRecord reads one record by id; used only when a lagging list misses a record this object recorded. */
  getRecord(zoneId: string, id: string): Promise<ObservedRecord | undefined>;
}
