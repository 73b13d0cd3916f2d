// Everything a pass derives from the spec before it looks at Portainer: template, inputs, hosts, secrets, the render, the owned DNS records.
import { TerminalError } from '../../src/engine/errors.js';
import type { Resource } from '../../src/engine/types.js';
import { findTemplate, templateNames } from './catalog/index.js';
import { renderStack, RenderError, stackName, type RenderedStack } from './render.js';
import { resolveHosts, resolveVersion, validateDeployment, type AppDeploymentInput, type AppTemplate, type TemplateSecret } from './template.js';
import type { ResolvedSecrets } from './secrets.js';
import { CERT_RESOLVER } from '../../src/host/infra-versions.js';


/** What an app needs from the Server it runs on, read through ctx.depend (the Server kind declares these fields). */
export interface AppServer { name: string; id: number; ipv4: string; endpointId: number; dnsName: string; zone: string }

export interface PrepareInput {
  name: string;
  instance: string;
  spec: Record<string, unknown>;
  server: { name: string; dnsName: string; zone: string };
  /** Hosts whose TLS router may be deployed (their DNS answers with the server's address). */
  tlsHosts: ReadonlySet<string>;
  /** Issuance is paused (Let's Encrypt back-off): no TLS router at all. */
  certBlocked: boolean;
  secrets(specs: readonly TemplateSecret[]): ResolvedSecrets;
  /** Template lookup; the built-in catalog by default (tests and, later, AppTemplate files add their own). */
  templates?: (name: string) => AppTemplate | undefined;
}

export interface Prepared {
  template: AppTemplate;
  stackName: string;
  version: string;
  hosts: string[];
  healthPath: string;
  deadlineMs: number;
  children: Resource[];
  render: RenderedStack & { envMap: Record<string, string>; serviceNames: string[]; secretValues: Array<{ name: string; value: string; labels: Record<string, string> }> };
}

/** appHosts lists the FQDNs an AppDeployment answers on, without rendering (plan, validate). */
export function appHosts(t: AppTemplate, spec: AppDeploymentInput, dnsName: string): string[] {
  return [...new Set(Object.values(resolveHosts(t, spec, dnsName)))].sort();
}

/** relativeName turns an FQDN into a record name inside the zone, or undefined when it lies outside. */
function relativeName(fqdn: string, zone: string): string | undefined {
  if (fqdn === zone) return '@';
  return fqdn.endsWith(`.${zone}`) ? fqdn.slice(0, -(zone.length + 1)) : undefined;
}

/** prepare validates and renders; a spec that does not fit the template is a terminal InvalidSpec naming the field. */
export function prepare(o: PrepareInput): Prepared {
  const spec = o.spec as unknown as AppDeploymentInput;
  const template = (o.templates ?? findTemplate)(spec.app);
  if (!template) throw new TerminalError('UnknownApp', `no app template named ${JSON.stringify(spec.app)}; the catalog has ${templateNames().join(', ')}`);
  const issues = validateDeployment(template, spec);
  if (issues.length) throw new TerminalError('InvalidSpec', issues.map((i) => `${i.path.slice(1).replace(/\//g, '.')}: ${i.message}`).join('; '));
  const hostsByPrefix = resolveHosts(template, spec, o.server.dnsName);
  const hosts = [...new Set(Object.values(hostsByPrefix))].sort();
  const children: Resource[] = hosts.map((fqdn, i) => {
    const name = relativeName(fqdn, o.server.zone);
    if (!name) throw new TerminalError('InvalidSpec', `spec.domain: ${fqdn} is outside the Server's DNS zone ${o.server.zone}`);
    return {
      apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord',
      metadata: { name: hosts.length === 1 ? 'dns' : `dns-${i}` },
      spec: { zone: o.server.zone, name, type: 'A', contentFrom: { server: o.server.name, address: 'ipv4' }, ttl: 'auto', deletionPolicy: spec.deletionPolicy ?? 'Delete' },
    };
  });
  const resolved = o.secrets(template.secrets ?? []);
  const tls: Record<string, boolean> = Object.fromEntries(hosts.map((h) => [h, !o.certBlocked && o.tlsHosts.has(h)]));
  let render: RenderedStack;
  try {
    render = renderStack(template, spec, { app: o.name, stack: stackName(o.name), hosts: hostsByPrefix, resolver: CERT_RESOLVER, secrets: resolved.values, tls });
  } catch (err) {
    if (err instanceof RenderError) throw new TerminalError('InvalidSpec', err.message);
    throw err;
  }
  const envMap = Object.fromEntries(render.env.map((e) => [e.name, e.value]));
  const secretValues = render.dockerSecrets.map((d) => ({ name: d.name, value: resolved.values[d.secret]!, labels: d.labels }));
  return {
    template, stackName: render.stack, version: resolveVersion(template, spec), hosts, healthPath: render.health.path, deadlineMs: render.deadlineMs, children,
    render: { ...render, envMap, serviceNames: render.services.map((s) => s.name), secretValues },
  };
}
