// The one place for the infrastructure pins: Traefik, Portainer CE and its agent (the same version), and the resolver name.

/** Traefik ≥ 3.6.1 negotiates the API version Docker Engine 29 requires (older 3.x fail with "client version 1.24 is too old"). */
export const TRAEFIK_VERSION = 'v3.7.17';
/** Portainer ≥ 2.33.5 LTS supports Docker 29; 2.45 deploys stacks asynchronously. The agent must run the same version. */
export const PORTAINER_VERSION = '2.45.0';
export const PORTAINER_AGENT_VERSION = PORTAINER_VERSION;

export const TRAEFIK_IMAGE = `traefik:${TRAEFIK_VERSION}`;
export const PORTAINER_IMAGE = `portainer/portainer-ce:${PORTAINER_VERSION}`;
export const PORTAINER_AGENT_IMAGE = `portainer/agent:${PORTAINER_AGENT_VERSION}`;

/** The certificate resolver every router names; the Traefik stack defines exactly this one. */
export const CERT_RESOLVER = 'le';
/** The attachable overlay Traefik and every routed service share. */
export const TRAEFIK_NETWORK = 'traefik-public';
/** Portainer's HTTP port on the host's loopback, reached only through the SSH tunnel. */
export const PORTAINER_PORT = 9000;
