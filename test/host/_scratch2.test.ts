import { test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { startSshd } from '../helpers/sshd.js';
import { execFileSync } from 'node:child_process';
test('x', async () => {
  const s = await startSshd();
  writeFileSync('/tmp/k', s.clientKey.privateKey, { mode: 0o600 });
  for (let i = 0; i < 2; i++) {
    const t = Date.now();
    const out = execFileSync('ssh', ['-vvv', '-i', '/tmp/k', '-p', String(s.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', 'root@127.0.0.1', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    console.log('ssh took', Date.now() - t);
  }
  const t = Date.now();
  execFileSync('python3', ['-c', 'import ansible']); console.log('py', Date.now() - t);
  await s.stop();
});
