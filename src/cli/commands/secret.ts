// `livchat secret set|list|rm NAME`: the encrypted vault; values come from stdin and are never printed.
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { resolveStateDir } from '../../config.js';
import { Vault } from '../../store/vault.js';

const secret: CommandFn = async (io, g, args) => {
  const [action, name] = args;
  if (name !== undefined && !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
    throw new CliError(`invalid secret name ${JSON.stringify(name)}: use lowercase letters, digits, '.', '_' and '-'`, EXIT.usage);
  }
  if (!['set', 'list', 'rm'].includes(action ?? '')) throw new CliError(`unknown secret action ${JSON.stringify(action)}: use set, list or rm`, EXIT.usage);
  const vault = await Vault.open({ stateDir: resolveStateDir(g.stateDir, io.env), env: io.env });
  switch (action) {
    case 'list':
      for (const n of vault.list()) io.stdout.write(`${n}\n`);
      return EXIT.ok;
    case 'set': {
      if (!name) throw new CliError('secret set needs a NAME', EXIT.usage);
      const chunks: Buffer[] = [];
      for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer));
      // One trailing newline (from echo or a heredoc) is not part of the secret.
      const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (!value) throw new CliError('no value on stdin', EXIT.error);
      vault.set(name, value);
      io.stdout.write(`secret ${name} set\n`);
      return EXIT.ok;
    }
    case 'rm': {
      if (!name) throw new CliError('secret rm needs a NAME', EXIT.usage);
      if (!vault.remove(name)) throw new CliError(`no secret named ${name}`, EXIT.error);
      io.stdout.write(`secret ${name} removed\n`);
      return EXIT.ok;
    }
    default:
      throw new CliError(`unknown secret action ${JSON.stringify(action)}: use set, list or rm`, EXIT.usage);
  }
};
export default secret;
