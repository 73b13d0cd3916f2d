#!/usr/bin/env node
// The `livchat` entrypoint: the only place in the project that exits the process.
import { runCli } from './program.js';
import { quietOnEpipe } from './io.js';
import { SecretRegistry } from '../obs/redact.js';

// `livchat validate | head -1`: a reader that went away is not an error worth a stack trace.
const gone = quietOnEpipe([process.stdout, process.stderr]);
const code = await runCli(process.argv.slice(2), {
  stdout: gone.guard(process.stdout),
  stderr: gone.guard(process.stderr),
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  secrets: new SecretRegistry(),
  signals: process,
});
process.exitCode = code;
// Let stdout drain, then leave even if a stray handle (an idle socket) would keep the loop alive.
setImmediate(() => process.exit(code));
