// Builds the private temp directory one ansible-playbook run needs: key, pinned known_hosts, inventory, config.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parsePublicKeyLine } from './keys.js';

export interface WorkspaceInput {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  pinnedHostKey: string;
  extraVars: Record<string, unknown>;
  /** Parent for the temp directory; defaults to the OS temp dir. */
  tmpRoot?: string;
}

export interface Workspace {
  dir: string;
  configPath: string;
  inventoryPath: string;
  extraVarsPath: string;
  keyPath: string;
  knownHostsPath: string;
  /** Inventory alias of the single target host, as printed in the PLAY RECAP. */
  alias: string;
  dispose(): Promise<void>;
}

/** knownHostsName renders the host field OpenSSH looks up: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** shellQuote quotes one argument for the shlex split Ansible applies to ansible_ssh_common_args. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** createWorkspace writes all run files into a fresh 0700 directory; dispose() removes it, key included. */
export async function createWorkspace(input: WorkspaceInput): Promise<Workspace> {
  const pinned = parsePublicKeyLine(input.pinnedHostKey);
  const dir = await mkdtemp(join(input.tmpRoot ?? tmpdir(), 'livchat-ansible-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    const ws: Workspace = {
      dir,
      configPath: join(dir, 'ansible.cfg'),
      inventoryPath: join(dir, 'inventory.yml'),
      extraVarsPath: join(dir, 'extra-vars.json'),
      keyPath: join(dir, 'id_key'),
      knownHostsPath: join(dir, 'known_hosts'),
      alias: 'server',
      dispose,
    };
    const key = input.privateKey.endsWith('\n') ? input.privateKey : `${input.privateKey}\n`;
    await writeFile(ws.keyPath, key, { mode: 0o600 });
    await writeFile(ws.knownHostsPath, `${knownHostsName(input.host, input.port)} ${pinned.type} ${pinned.blob.toString('base64')}\n`, { mode: 0o600 });
    // Extra vars go through a file so values never show up in the process list.
    await writeFile(ws.extraVarsPath, JSON.stringify(input.extraVars), { mode: 0o600 });
    const sshArgs = [
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${ws.knownHostsPath}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'UpdateHostKeys=no',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'PasswordAuthentication=no',
      '-o', 'BatchMode=yes',
    ].map(shellQuote).join(' ');
    const inventory = {
      all: {
        hosts: {
          [ws.alias]: {
            ansible_host: input.host,
            ansible_port: input.port,
            ansible_user: input.user,
            ansible_ssh_private_key_file: ws.keyPath,
            ansible_ssh_common_args: sshArgs,
            ansible_python_interpreter: 'auto_silent',
          },
        },
      },
    };
    await writeFile(ws.inventoryPath, stringify(inventory), { mode: 0o600 });
    await mkdir(join(dir, 'local-tmp'), { mode: 0o700 });
    const cfg = [
      '[defaults]',
      'host_key_checking = True',
      'retry_files_enabled = False',
      'nocolor = True',
      'timeout = 30',
      `local_tmp = ${join(dir, 'local-tmp')}`,
      'interpreter_python = auto_silent',
      '[ssh_connection]',
      'pipelining = True',
      // No ControlPersist: a lingering master would outlive the run and could reuse a connection after a host key swap.
      'ssh_args = -o ControlMaster=no',
      '',
    ].join('\n');
    await writeFile(ws.configPath, cfg, { mode: 0o600 });
    return ws;
  } catch (err) {
    await dispose();
    throw err;
  }
}
