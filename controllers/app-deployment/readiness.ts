// Ready means usable, checked from outside: tasks, DNS, certificate, health — the first unmet one names the reason.

export type ReadinessReason = 'WaitingForTasks' | 'WaitingForDns' | 'WaitingForCertificate' | 'Unhealthy';

/** ReadinessFacts are the observations a pass gathered, in the order they are checked. */
export interface ReadinessFacts {
  tasks: { converged: boolean; summary: string };
  dns: { recordReady: boolean; answers: readonly string[] | undefined; address: string };
  certificate: { valid: boolean; traefikDefault: boolean; error?: string } | undefined;
  health: { status: number; error?: string } | undefined;
  host: string;
  path: string;
}

/** readiness returns undefined when the app is usable, else the first unmet check with a message. */
export function readiness(f: ReadinessFacts): { reason: ReadinessReason; message: string } | undefined {
  if (!f.tasks.converged) return { reason: 'WaitingForTasks', message: f.tasks.summary };
  if (!f.dns.recordReady) return { reason: 'WaitingForDns', message: `the DNS record for ${f.host} is not Ready yet` };
  if (!f.dns.answers?.includes(f.dns.address)) {
    return { reason: 'WaitingForDns', message: `${f.host} resolves to ${f.dns.answers?.length ? f.dns.answers.join(', ') : 'nothing'} publicly, not yet ${f.dns.address}` };
  }
  if (!f.certificate?.valid) {
    const why = !f.certificate ? 'not checked yet' : f.certificate.traefikDefault ? 'Traefik still serves its default certificate' : f.certificate.error ?? 'the certificate is not valid';
    return { reason: 'WaitingForCertificate', message: `https://${f.host}: ${why}` };
  }
  if (!f.health || f.health.status < 200 || f.health.status > 299) {
    return { reason: 'Unhealthy', message: `https://${f.host}${f.path} answered ${f.health?.status ? String(f.health.status) : f.health?.error ?? 'nothing'}` };
  }
  return undefined;
}
