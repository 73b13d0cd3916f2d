#!/usr/bin/env node
// The `livchat` entrypoint: the only place in the project that exits the process.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signals: process,
});
process.exitCode = code;
// Let stdout drain, then leave even if a stray handle (an idle socket) would keep the loop alive.
setImmediate(() => process.exit(code));
