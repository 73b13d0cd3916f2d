// Marks the built CLI entrypoint executable so `npx livchat` works after `npm install`.
import { chmodSync, existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);
