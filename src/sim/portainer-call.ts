// What a Portainer simulator route handler receives: its instance, the engine context, the caller and the sim time.
import type { SimClock, SimRequest, SimResponse } from './framework.js';
import type { Principal } from './portainer-auth.js';
import type { InstanceRecord, PortainerWorld } from './portainer-state.js';
import type { SwarmCtx } from './portainer-swarm.js';

export interface Call {
  readonly ctx: SwarmCtx;
  readonly inst: InstanceRecord;
  readonly world: PortainerWorld;
  readonly req: SimRequest;
  /** Sim time when the request arrived (after settling). */
  readonly now: number;
  /** The authenticated caller; absent on public routes. */
  readonly who?: Principal;
  readonly clock: SimClock;
  /** settle catches the instance up with the clock again (for handlers that wait). */
  settle(): void;
}

/** PRoute is a route below `/api` of one instance. */
export interface PRoute {
  method: string;
  /** Template below `/api`, e.g. `/stacks/{id}`. */
  template: string;
  handler(c: Call): SimResponse | Promise<SimResponse>;
  /** Served without credentials (admin check/init, login, status). */
  public?: boolean;
  /** Still served after the admin initialisation timeout locked the instance. */
  duringTimeout?: boolean;
  mutates?: boolean;
}
