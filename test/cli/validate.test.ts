import { it } from 'vitest';
import { cli, tempDir, writeFiles, dnsYaml } from '../helpers/cli.js';
it('probe', async () => {
  const dir = tempDir();
  writeFiles(dir, {
    'good.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5' }),
    'bad.yaml': dnsYaml('bad', { zone: 'example.com', name: 'x', type: 'ZZZ', content: '1' }) + '---\n' + dnsYaml('bad2', { zone: 'example.com', name: 'x', type: 'A', content: '203.0.113.1', extra: 1 }),
    'broken.yml': 'apiVersion: [\n',
    'dup.yaml': dnsYaml('www', { zone: 'example.com', name: 'www2', type: 'A', content: '203.0.113.5' }),
  });
  console.log(await cli(['validate', dir]));
  console.log(await cli(['validate', dir, '-o', 'json']));
  console.log(await cli(['validate', dir, '--bogus']));
  console.log(await cli(['validate', dir, '-o', 'xml']));
  console.log(await cli(['nosuch']));
  console.log(await cli(['get', 'DNSRecord', '--state-dir', dir]));
  console.log(await cli(['describe', 'bad ref', '--state-dir', dir]));
  console.log(await cli(['wait', 'DNSRecord/x', '--state-dir', dir]));
  console.log(await cli(['wait', 'DNSRecord/x', '--for', 'foo', '--state-dir', dir]));
  console.log(await cli(['apply', dir, '--timeout', 'abc', '--state-dir', dir]));
  console.log(await cli(['apply', dir, '--sim', 'http://203.0.113.1:1', '--state-dir', dir]));
  console.log(await cli(['secret', 'frob', '--state-dir', dir]));
  console.log(await cli(['secret', 'set', '--state-dir', dir]));
  console.log(await cli([]));
});
