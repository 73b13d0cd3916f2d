// Words the problems that changed in a load for the log: per file, the first few in full plus how many there are.
import { formatProblem } from '../engine/types.js';
import type { ProblemChange } from './desired-store.js';

/** PROBLEMS_LOGGED_PER_FILE caps how many problems of one file are logged in full. */
export const PROBLEMS_LOGGED_PER_FILE = 20;

/** ProblemLogEntry is one log line: a file, its problem count, and the first problems. */
export interface ProblemLogEntry { file: string; count: number; problems: string[]; omitted: number }

/** problemLogEntries turns a load's problem changes into capped log entries; a file whose problems cleared has count 0. */
export function problemLogEntries(changes: readonly ProblemChange[], cap = PROBLEMS_LOGGED_PER_FILE): ProblemLogEntry[] {
  return changes.map((c) => ({
    file: c.file,
    count: c.problems.length,
    problems: c.problems.slice(0, cap).map(formatProblem),
    omitted: Math.max(0, c.problems.length - cap),
  }));
}
