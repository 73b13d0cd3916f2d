// The objects a Server derives: one DNSRecord per address its `dns` block asks for (named by the engine's child scheme).
import type { Resource } from '../../src/engine/types.js';

/** dnsRecordsFor derives the DNSRecord objects a Server's `dns` block asks for; local names `a` and `aaaa`. */
export function dnsRecordsFor(owner: string, dns: { zone: string; name: string; ipv6?: boolean }, deletionPolicy: 'Delete' | 'Orphan'): Resource[] {
  const mk = (local: string, type: 'A' | 'AAAA', address: 'ipv4' | 'ipv6'): Resource => ({
    apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord',
    metadata: { name: local },
    spec: { zone: dns.zone, name: dns.name, type, contentFrom: { server: owner, address }, ttl: 'auto', deletionPolicy },
  });
  return dns.ipv6 ? [mk('a', 'A', 'ipv4'), mk('aaaa', 'AAAA', 'ipv6')] : [mk('a', 'A', 'ipv4')];
}
