// Action poll pacing for Hetzner: the next poll is due when the slowest-known pending action should finish, from its progress and its command's typical duration.
import type { Action } from './hetzner-types.js';

/** Typical wall durations of Hetzner actions by command (observed orders of magnitude); unknown commands use DEFAULT_TYPICAL_MS. */
export const TYPICAL_MS: Readonly<Record<string, number>> = {
  create_server: 10_000,
  start_server: 5_000,
  stop_server: 5_000,
  shutdown_server: 2_000,
  reboot_server: 5_000,
  reset_server: 3_000,
  change_server_type: 60_000,
  rebuild_server: 30_000,
  delete_server: 5_000,
  change_protection: 1_000,
  enable_rescue: 3_000,
  create_image: 60_000,
};
export const DEFAULT_TYPICAL_MS = 5_000;
export const POLL_MIN_MS = 250;
export const POLL_CAP_MS = 10_000;

/** One observation of an action's progress at a monotonic time. */
interface Seen { at: number; progress: number }

/** ActionPacer remembers each action's last progress reading and proposes the next poll delay. */
export class ActionPacer {
  readonly #seen = new Map<number, Seen>();

  /** observe records a reading and returns the estimated ms until this action finishes (or until a reading worth taking). */
  observe(a: Action, at: number): number {
    const typical = TYPICAL_MS[a.command] ?? DEFAULT_TYPICAL_MS;
    const prev = this.#seen.get(a.id);
    this.#seen.set(a.id, { at, progress: a.progress });
    // Not moving yet (queued behind another action, or just started): look again after a quarter of its usual time.
    if (a.progress <= 0) return typical / 4;
    if (prev && a.progress > prev.progress && at > prev.at) {
      // The observed rate says when it reaches 100 %.
      return ((100 - a.progress) * (at - prev.at)) / (a.progress - prev.progress);
    }
    if (prev && a.progress === prev.progress) return typical / 4;
    return (typical * (100 - a.progress)) / 100;
  }

  /** forget drops a finished action's readings. */
  forget(id: number): void { this.#seen.delete(id); }

  /** delay clamps the soonest estimate to [POLL_MIN_MS, POLL_CAP_MS]. */
  static delay(estimates: number[]): number {
    const soonest = estimates.length ? Math.min(...estimates) : POLL_MIN_MS;
    return Math.round(Math.min(POLL_CAP_MS, Math.max(POLL_MIN_MS, soonest)));
  }
}
