// The AppDeployment kind's reasons catalog: what each condition reason means and whether a human must act.
import type { ReasonCatalog } from '../../src/engine/reasons.js';

export const APP_REASONS: ReasonCatalog = {
  Available: { needsHuman: false, description: 'the app answers on its health path over HTTPS with a valid certificate' },
  WaitingForServer: { needsHuman: false, description: 'the Server or its infrastructure (Traefik, Portainer) is not Ready yet' },
  InfrastructureMissing: { needsHuman: true, description: 'the Server has no spec.infrastructure or no spec.dns' },
  Deploying: { needsHuman: false, description: 'Portainer is deploying the stack (asynchronous in Portainer 2.45)' },
  RollingOut: { needsHuman: false, description: 'the services are updating' },
  RollingBack: { needsHuman: false, description: 'an update failed; the last good stack is being redeployed as a unit' },
  RolledBack: { needsHuman: true, description: 'the desired version failed and the last good one runs; change the spec or annotate livchat.ai/retry' },
  Converged: { needsHuman: false, description: 'every service runs its desired tasks' },
  UpdateFailed: { needsHuman: false, description: 'a service update paused or rolled back' },
  DeadlineExceeded: { needsHuman: false, description: 'the rollout did not converge within the template\'s deadline' },
  DeployFailed: { needsHuman: true, description: 'Portainer could not deploy the stack and there is no earlier good version' },
  RollbackFailed: { needsHuman: true, description: 'the rollback to the last good version failed too' },
  WaitingForTasks: { needsHuman: false, description: 'the desired tasks are not all running and healthy yet' },
  WaitingForDns: { needsHuman: false, description: 'the app\'s DNS record is not Ready or does not resolve to the server yet' },
  WaitingForCertificate: { needsHuman: false, description: 'Traefik has no valid certificate for the host yet' },
  Unhealthy: { needsHuman: false, description: 'the health path does not answer 2xx' },
  InvalidSpec: { needsHuman: true, description: 'the spec does not fit the app template (unknown input, version not allowed, …)' },
  UnknownApp: { needsHuman: true, description: 'no template with that name in the catalog' },
  Conflict: { needsHuman: true, description: 'a stack with this name exists and is not this app\'s' },
  Deleting: { needsHuman: false, description: 'the stack is being removed' },
  Deleted: { needsHuman: false, description: 'the stack is gone' },
  Orphaned: { needsHuman: false, description: 'the stack keeps running without livchat' },
};
