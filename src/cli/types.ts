// Types shared by the command tree and the commands, kept apart so commands never import program.ts.
import type { CliIO } from './io.js';
import type { GlobalOptions } from '../config.js';

/** CommandFn runs one command and returns its exit code. */
export type CommandFn = (io: CliIO, g: GlobalOptions, args: string[], opts: Record<string, unknown>) => Promise<number>;
