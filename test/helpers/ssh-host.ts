import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { spawnTracked, waitFor } from './ops.js';

/**
 * A "remote machine" for SSH tests: a network namespace the test creates, joined to this one by
 * a veth pair on a /30 that nothing else uses (the traffic never leaves this machine), with a
 * real OpenSSH sshd inside it. Login is by a key pair made for this run (root, the key in an
 * AuthorizedKeysFile in the temp dir); the client checks the host key against a known_hosts
 * written here. The remote session's environment is set by the sshd config (PATH with a
 * `dbus-mcp` wrapper for the built program first, XDG_RUNTIME_DIR, DBUS_MCP_CONFIG), as a login
 * on a real machine gets it from pam_systemd and /usr/local/bin. Everything is torn down at
 * cleanup: sshd and every process left in the namespace, the link, the namespace.
 */

export interface SshHost {
  /** The Host alias in `sshConfig`. */
  readonly alias: string;
  /** `ssh -F <this>` reaches the host without prompts or anything from ~/.ssh. */
  readonly sshConfig: string;
  readonly address: string;
  /** The remote user's XDG_RUNTIME_DIR (the socket and the session bus link live there). */
  readonly runtimeDir: string;
  /** The remote DBUS_MCP_CONFIG. */
  readonly configFile: string;
  /** The pids of sshd's per-connection processes (each serves one client connection). */
  sessionPids(): number[];
  /** Takes the host side of the link down (or up again): the network is gone, nothing says so. */
  setLink(up: boolean): void;
  /** `ip netns exec NS` + argv, for programs that run "on the remote machine". */
  inside(argv: string[]): string[];
}

/** Why SSH tests cannot run here, or undefined when they can. */
export function sshUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, sshd)';
  for (const bin of ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen']) {
    if (!existsSync(bin)) return `${bin} is missing (apt-get install openssh-server)`;
  }
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'ip netns does not work here';
  return undefined;
}

/**
 * Sets the host up; `dir` is a temp dir of the test (keys, configs, the wrapper, the runtime
 * dir). `program` is the built dbus-mcp.mjs the remote wrapper runs with this node.
 */
export async function startSshHost(dir: string, program: string): Promise<SshHost> {
  // Names and a /30 per run, so parallel runs on one machine do not meet.
  const tag = `dm${process.pid % 100_000}`;
  const ns = `${tag}-remote`;
  const hostIf = `${tag}h`;
  const nsIf = `${tag}n`;
  const octet3 = (process.pid >> 6) & 0xff;
  const base = (process.pid & 0x3f) << 2;
  const hostAddress = `10.254.${octet3}.${base + 1}`;
  const address = `10.254.${octet3}.${base + 2}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

  ip('netns', 'add', ns);
  onCleanup(() => {
    // Whatever still runs on the "remote machine" goes with it.
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('ip', ['link', 'del', hostIf]);
    spawnSync('ip', ['netns', 'del', ns]);
  });
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  ip('link', 'set', nsIf, 'netns', ns);
  ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsIf);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');

  const keygen = (file: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dbus-mcp-test', '-f', file]);
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `${address} ${hostKey}\n`);

  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'dbus-mcp'), `#!/bin/sh\nexec '${process.execPath}' '${program}' "$@"\n`);
  chmodSync(join(bin, 'dbus-mcp'), 0o755);
  const runtimeDir = join(dir, 'run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  const configFile = join(dir, 'remote-config');
  writeFileSync(configFile, '');

  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress ${address}:22`,
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp dir hangs below the world-writable /tmp.
      'StrictModes no',
      'PidFile none',
      `SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR=${runtimeDir} DBUS_MCP_CONFIG=${configFile}`,
      // The server side notices a dead client too, and ends its session.
      'ClientAliveInterval 1',
      'ClientAliveCountMax 3',
      '',
    ].join('\n'),
  );
  const alias = 'dbus-mcp-remote';
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(
    sshConfig,
    [
      `Host ${alias}`,
      `  HostName ${address}`,
      '  User root',
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '  ConnectTimeout 10',
      '',
    ].join('\n'),
  );

  // sshd wants its privilege separation directory (the package's unit creates it at boot).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const inside = (argv: string[]) => ['netns', 'exec', ns, ...argv];
  const sshd = spawnTracked(
    'ip',
    inside(['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')]),
    process.env,
  );
  await waitFor('sshd to listen', () => sshd.output().includes('Server listening'), 15_000).catch(
    (e: Error) => {
      throw new Error(`${e.message}: ${sshd.output()}`);
    },
  );
  const sshdPid = sshd.child.pid as number;

  return {
    alias,
    sshConfig,
    address,
    runtimeDir,
    configFile,
    sessionPids: () => childrenOf(sshdPid),
    setLink: (up) => ip('link', 'set', hostIf, up ? 'up' : 'down'),
    inside,
  };
}

/** Direct children of `pid` (from /proc, field 4 of stat). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
