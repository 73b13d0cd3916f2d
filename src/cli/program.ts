// The `livchat` command tree: parses argv with commander and dispatches to one file per command.
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT, type CliIO } from './io.js';
import { validInstance, type GlobalOptions } from '../config.js';
import type { CommandFn } from './types.js';

export type { CommandFn };


const lazy = (load: () => Promise<{ default: CommandFn }>): CommandFn => async (...a) => (await load()).default(...a);

const commands = {
  validate: lazy(() => import('./commands/validate.js')),
  plan: lazy(() => import('./commands/plan.js')),
  apply: lazy(() => import('./commands/apply.js')),
  run: lazy(() => import('./commands/run.js')),
  get: lazy(() => import('./commands/get.js')),
  describe: lazy(() => import('./commands/describe.js')),
  wait: lazy(() => import('./commands/wait.js')),
  secret: lazy(() => import('./commands/secret.js')),
  simulate: lazy(() => import('./commands/simulate.js')),
  'confirm-deletions': lazy(() => import('./commands/confirm-deletions.js')),
};

/** runCli parses argv (without node and script) and returns the exit code; it never exits the process. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('livchat')
    .description('LivChat Setup: reconcile desired-state YAML into Hetzner servers, Cloudflare DNS and Swarm apps.')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(s.split('\n')[0] + '\n') })
    .option('--state-dir <dir>', 'state directory (default: $LIVCHAT_STATE_DIR or ~/.livchat)')
    .option('--instance <name>', 'installation name that marks every external resource')
    .option('--rename-instance', 'allow --instance to replace the installation name stored in the state dir')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']));

  const bind = (name: keyof typeof commands) => async (...a: unknown[]): Promise<void> => {
    const cmd = a[a.length - 1] as Command;
    const g = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    if (g.instance !== undefined && !validInstance(g.instance)) throw new CliError(`invalid --instance ${JSON.stringify(g.instance)}: use 1-32 lowercase letters, digits and '-'`, EXIT.usage);
    const args = (a.slice(0, -2).flat().filter((x) => typeof x === 'string')) as string[];
    code = await commands[name](io, { stateDir: g.stateDir, instance: g.instance, logLevel: g.logLevel, logFormat: g.logFormat as GlobalOptions['logFormat'], ...(g.renameInstance === true ? { renameInstance: true } : {}) }, args, cmd.opts());
  };
  const cloud = (c: Command): Command => c
    .option('--simulate', 'use the embedded simulated cloud, persisted under the state dir')
    .option('--sim <url>', 'use a running `livchat simulate` at URL');
  const output = (c: Command, choices: string[]): Command => c.addOption(new Option('-o, --output <format>', 'output format').choices(choices));

  output(program.command('validate').argument('[dir]', 'desired directory', 'desired').description('check desired files; one line per problem'), ['text', 'json']).action(bind('validate'));
  cloud(program.command('plan').argument('[dir]', 'desired directory', 'desired').description('show what would change; writes nothing')).action(bind('plan'));
  cloud(program.command('apply').argument('[dir]', 'desired directory', 'desired').description('reconcile until Ready, stalled, or timeout')
    .option('--timeout <duration>', 'give up after this long', '10m')
    .option('--confirm-deletions', 'confirm the deletions held because half or more of the objects (or all) disappeared')).action(bind('apply'));
  cloud(program.command('run').argument('[dir]', 'desired directory', 'desired').description('run the daemon')
    .option('--listen <host:port>', 'HTTP listen address', '127.0.0.1:9477')
    .option('--api-token-file <file>', 'bearer token file required for a non-loopback --listen')
    .option('--shutdown-timeout <duration>', 'how long in-flight reconciles may finish on SIGTERM', '30s')).action(bind('run'));
  program.command('confirm-deletions').argument('[keys...]', 'the exact held set to confirm (default: the set held now)')
    .description('confirm, on the running daemon, the deletions its mass-deletion hold keeps back')
    .option('--listen <host:port>', 'the daemon\'s HTTP address', '127.0.0.1:9477')
    .option('--api-token-file <file>', 'bearer token file, when the daemon has one').action(bind('confirm-deletions'));
  output(program.command('get').argument('[kind]').argument('[name]').description('list objects and their conditions'), ['wide', 'json', 'yaml']).action(bind('get'));
  program.command('describe').argument('<ref>', 'KIND/NAME').description('spec, status, conditions, events and what the object waits on').action(bind('describe'));
  program.command('wait').argument('<ref>', 'KIND/NAME').description('wait for a condition')
    .requiredOption('--for <condition>', 'condition=Ready (or condition=Synced, condition=Ready=False)')
    .option('--timeout <duration>', 'give up after this long', '5m').action(bind('wait'));
  program.command('secret').argument('<action>', 'set | list | rm').argument('[name]').description('manage the encrypted vault; set reads the value from stdin').action(bind('secret'));
  program.command('simulate').description('serve the simulated cloud on one port until SIGTERM')
    .option('--listen <host:port>', 'listen address (loopback only)', '127.0.0.1:0')
    .option('--state-file <file>', 'persist the simulated world here')
    .option('--zone <zone...>', 'seed a Cloudflare zone (repeatable)')
    .option('--token <token>', 'required bearer token (default: any non-empty token)')
    .option('--action-duration <ms>', 'how long simulated Hetzner actions take', '2000').action(bind('simulate'));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.error;
  }
}
