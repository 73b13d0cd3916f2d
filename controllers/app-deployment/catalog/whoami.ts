// The built-in whoami template: traefik/whoami, a tiny HTTP server that proves routing, TLS and health end to end.
import type { AppTemplate } from '../template.js';

/**
 * WHOAMI: versions are written without the "v" (as the AppDeployment sample does, version: "1.11.0");
 * the image tag adds it back (traefik/whoami:v1.11.0).
 */
export const WHOAMI: AppTemplate = {
  name: 'whoami',
  description: 'Tiny Go web server that prints OS information and the HTTP request (traefik/whoami).',
  image: 'traefik/whoami',
  versions: { default: '1.11.0', allowed: ['1.10.3', '1.11.0'] },
  inputs: [
    {
      name: 'NAME',
      type: 'string',
      default: 'whoami',
      pattern: '[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}',
      description: 'Name the server prints on every answer (WHOAMI_NAME).',
    },
  ],
  secrets: [],
  services: {
    // The image is built from scratch (no shell, no wget), so no in-container healthcheck: Ready checks /health from outside.
    whoami: {
      image: '${image}:v${version}',
      environment: { WHOAMI_NAME: '${input.NAME}' },
    },
  },
  routes: [{ hostPrefix: 'whoami', service: 'whoami', port: 80 }],
  // whoami answers GET /health with 200 until told otherwise.
  health: { service: 'whoami', port: 80, path: '/health' },
  deadlineSeconds: 600,
  resources: { whoami: { memoryMB: 16, memoryLimitMB: 64 } },
};
