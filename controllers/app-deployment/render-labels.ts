// Service labels the renderer owns: livchat ownership labels and the Traefik v3 swarm routing labels.

/** LABEL_APP names the AppDeployment a service, volume or Docker secret belongs to. */
export const LABEL_APP = 'livchat.ai/app';
/** LABEL_MANAGED_BY marks everything livchat deployed. */
export const LABEL_MANAGED_BY = 'livchat.ai/managed-by';
/** MANAGED_BY is the value of LABEL_MANAGED_BY. */
export const MANAGED_BY = 'livchat';
/** DEFAULT_NETWORK is the external overlay network Traefik and routed services share. */
export const DEFAULT_NETWORK = 'traefik-public';
/** ENTRYPOINT is the only entrypoint app routers use; the web entrypoint redirects to it. */
export const ENTRYPOINT = 'websecure';

/** ownershipLabels are set on every service, volume and Docker secret of an app. */
export function ownershipLabels(app: string): Record<string, string> {
  return { [LABEL_APP]: app, [LABEL_MANAGED_BY]: MANAGED_BY };
}

/** RouterInput is one route of a service as the label renderer needs it. */
export interface RouterInput {
  /** Router name, swarm-global: `<stack>-<service>` or `<stack>-<service>-<n>`. */
  router: string;
  fqdn: string;
  pathPrefix?: string;
  /** false until the host's DNS answers with the server's address: no router, so no ACME validation is spent. */
  tls: boolean;
}

/** routerRule is the Traefik v3 rule of a route: one value per matcher. */
export function routerRule(fqdn: string, pathPrefix?: string): string {
  const host = `Host(\`${fqdn}\`)`;
  return pathPrefix ? `${host} && PathPrefix(\`${pathPrefix}\`)` : host;
}

/**
 * traefikLabels renders the labels of one routed service. Routers exist only for hosts whose TLS is enabled;
 * a routed service with none gets traefik.enable=false, so Traefik neither routes it nor invents a default rule.
 */
export function traefikLabels(opts: { traefikService: string; port: number; routers: readonly RouterInput[]; resolver: string; network: string }): Record<string, string> {
  const live = opts.routers.filter((r) => r.tls);
  if (live.length === 0) return { 'traefik.enable': 'false' };
  const labels: Record<string, string> = {
    'traefik.enable': 'true',
    'traefik.swarm.network': opts.network,
    [`traefik.http.services.${opts.traefikService}.loadbalancer.server.port`]: String(opts.port),
  };
  for (const r of live) {
    const p = `traefik.http.routers.${r.router}`;
    labels[`${p}.rule`] = routerRule(r.fqdn, r.pathPrefix);
    labels[`${p}.entrypoints`] = ENTRYPOINT;
    labels[`${p}.tls.certresolver`] = opts.resolver;
    labels[`${p}.service`] = opts.traefikService;
  }
  return labels;
}
