import { test } from 'vitest';
import { runPlaybook } from '../../src/host/ansible.js';
import { startSshd } from '../helpers/sshd.js';
test('x', async () => {
  const s = await startSshd();
  const res = await runPlaybook({ playbook: process.env.PB!, host: s.host, port: s.port, user: s.user, privateKey: s.clientKey.privateKey, pinnedHostKey: s.hostKey.publicKey,
    extraVars: JSON.parse(process.env.EV ?? '{}'), onLine: (l) => console.log(Date.now() % 100000, l) , verbosity: Number(process.env.VV ?? 0), check: process.env.CHECK === '1'});
  console.log(JSON.stringify(res));
  await s.stop();
}, 300_000);
