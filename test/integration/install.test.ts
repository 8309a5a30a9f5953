import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { startSessionBus } from '../helpers/buses.js';
import type { Stage } from '../helpers/ops.js';
import {
  ROOT,
  SocatClient,
  VERSION,
  cleanEnv,
  ensureBuilt,
  fileModes,
  isSocket,
  mustInstall,
  newStage,
  runInstall,
  snapshot,
  spawnTracked,
  staged,
  tempDir,
  waitExit,
  waitFor,
} from '../helpers/ops.js';

/**
 * install.sh as users run it, into a temporary DESTDIR and HOME (there is no user systemd here, so
 * the staged install prints the systemctl commands instead of running them). The installed
 * program is run for real: --version, check-config, the wrapper, and `serve` on a private bus
 * with a client through socat.
 */

const UNIT_DIR = '.config/systemd/user';
const MANIFEST = '.local/share/dbus-mcp/install-manifest';

/** The tree a default (--prod-only) staged install produces: file → mode. */
function expectedTree(stage: Stage, prefix = 'usr/local'): Record<string, string> {
  const home = stage.home.slice(1);
  // The program's chunks (scripts/build.mjs), imported from bin/ as ../lib/dbus-mcp/, and the
  // worker snapshot's script beside them.
  const chunks = readdirSync(join(ROOT, 'dist/lib/dbus-mcp')).filter((f) => /\.[mc]js$/.test(f));
  return {
    [`${prefix}/bin/dbus-mcp`]: '0755',
    ...Object.fromEntries(chunks.map((f) => [`${prefix}/lib/dbus-mcp/${f}`, '0644'])),
    [`${prefix}/bin/dbus-mcp-socket-wrapper`]: '0755',
    'etc/dbus-mcp/config': '0644',
    [`${home}/${UNIT_DIR}/dbus-mcp-standalone.socket`]: '0644',
    [`${home}/${UNIT_DIR}/dbus-mcp-standalone.service`]: '0644',
    [`${home}/${MANIFEST}`]: '0644',
  };
}

const unitFile = (stage: Stage, name: string): string => staged(stage, join(stage.home, UNIT_DIR, name));

/** A socket file nobody listens on any more, as a stopped socket unit or a killed server leaves it. */
function leaveSocketFile(path: string): void {
  const r = spawnSync('/usr/bin/python3', [
    '-c',
    'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
    path,
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  assert.ok(isSocket(path));
}

describe('install.sh', () => {
  before(ensureBuilt);

  it('--help describes every mode and option', () => {
    const r = spawnSync('bash', [join(ROOT, 'install.sh'), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    for (const flag of [
      '--prod-only',
      '--dev-only',
      '--uninstall',
      '--purge',
      '--prefix',
      '--no-systemd',
      '--dry-run',
      'DESTDIR',
    ]) {
      assert.ok(r.stdout.includes(flag), `--help does not mention ${flag}`);
    }
  });

  it('refuses unknown options, two modes and a relative --prefix', () => {
    const stage = newStage();
    for (const args of [['--bogus'], ['--prod-only', '--dev-only'], ['--prefix', 'opt']]) {
      const r = runInstall(stage, args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, /install\.sh: error: /);
    }
    assert.equal(existsSync(stage.destdir), false);
  });

  it('--prod-only (the default) stages the program, wrapper, config, units and manifest with their modes', () => {
    const stage = newStage();
    const out = mustInstall(stage, ['--no-build']);
    assert.deepEqual(fileModes(stage.destdir), expectedTree(stage));
    // The bundle as built; only the shebang names node by path when node is not on systemd's PATH.
    const [shebang, ...body] = readFileSync(staged(stage, '/usr/local/bin/dbus-mcp'), 'utf8').split('\n');
    assert.match(shebang ?? '', /^#!(\/usr\/bin\/env node|\/\S+\/node)$/);
    assert.equal(
      body.join('\n'),
      readFileSync(join(ROOT, 'dist/dbus-mcp.mjs'), 'utf8').replace(/^[^\n]*\n/, ''),
    );
    assert.equal(
      readFileSync(staged(stage, '/etc/dbus-mcp/config'), 'utf8'),
      readFileSync(join(ROOT, 'config/config.example'), 'utf8'),
    );
    const service = readFileSync(unitFile(stage, 'dbus-mcp-standalone.service'), 'utf8');
    assert.match(service, /^ExecStart=\/usr\/local\/bin\/dbus-mcp serve$/m);
    assert.equal(
      readFileSync(unitFile(stage, 'dbus-mcp-standalone.socket'), 'utf8'),
      readFileSync(join(ROOT, 'systemd/dbus-mcp-standalone.socket'), 'utf8'),
    );
    // No systemd is touched in a staged install; the exact commands are printed instead.
    assert.match(out, /systemctl --user daemon-reload/);
    assert.match(out, /systemctl --user enable --now dbus-mcp-standalone\.socket/);
  });

  it('the installed program runs: --version, check-config, and the wrapper with its config', () => {
    const stage = newStage();
    mustInstall(stage, ['--no-build']);
    const program = staged(stage, '/usr/local/bin/dbus-mcp');
    const config = staged(stage, '/etc/dbus-mcp/config');
    const env = cleanEnv({ HOME: stage.home });

    const version = spawnSync(program, ['--version'], { encoding: 'utf8', env });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);

    const check = spawnSync(program, ['check-config', '--config', config], { encoding: 'utf8', env });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, new RegExp(`^SAFETY_LEVEL="high"  # ${config}:\\d+$`, 'm'));
    assert.match(check.stdout, /^MAX_CLIENTS="16"  # default$/m);

    // The wrapper execs `dbus-mcp serve --config FILE`: a bad value stops it with exit 78, file:line.
    const bad = join(tempDir('badconfig'), 'config');
    writeFileSync(bad, 'SAFETY_LEVEL="reckless"\n');
    const wrapper = staged(stage, '/usr/local/bin/dbus-mcp-socket-wrapper');
    const r = spawnSync(wrapper, [], { encoding: 'utf8', env: { ...env, DBUS_MCP_CONFIG: bad } });
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, new RegExp(`${bad}:1: SAFETY_LEVEL="reckless" is not allowed`));
    const missing = spawnSync(wrapper, [], {
      encoding: 'utf8',
      env: { ...env, DBUS_MCP_CONFIG: '/nonexistent/config' },
    });
    assert.equal(missing.status, 78);
    assert.match(missing.stderr, /cannot read the configuration file \/nonexistent\/config/);
  });

  it('the installed program serves a client through socat on a private bus, via the wrapper', async () => {
    const stage = newStage();
    mustInstall(stage, ['--no-build']);
    const bus = await startSessionBus();
    const socket = join(tempDir('serve'), 'dbus-mcp.sock');
    const env = cleanEnv({ HOME: stage.home, DBUS_SESSION_BUS_ADDRESS: bus.address });
    env.DBUS_MCP_CONFIG = staged(stage, '/etc/dbus-mcp/config');
    const server = spawnTracked(
      staged(stage, '/usr/local/bin/dbus-mcp-socket-wrapper'),
      ['--socket', socket, '--log-level', 'warn'],
      env,
    );
    await waitFor(`the socket (server output: ${server.output()})`, () => isSocket(socket));

    const client = new SocatClient(socket);
    const init = await client.initialize();
    assert.ok(init.result, JSON.stringify(init));
    assert.equal(typeof init.result.protocolVersion, 'string');
    const listed = await client.request('tools/call', {
      name: 'list_services',
      arguments: { bus: 'session' },
    });
    assert.ok(listed.result, JSON.stringify(listed));
    assert.match(JSON.stringify(listed.result), /org\.freedesktop\.DBus/);
    await client.close();

    server.child.kill('SIGTERM');
    assert.equal(await waitExit(server.child, 15_000), 0);
    assert.equal(isSocket(socket), false, 'serve removes the socket it bound itself');
    await bus.stop();
  });

  it('is idempotent: a second run changes nothing and keeps an edited config', () => {
    const stage = newStage();
    mustInstall(stage, ['--no-build']);
    const config = staged(stage, '/etc/dbus-mcp/config');
    appendFileSync(config, 'SAFETY_LEVEL="medium"\n');
    const before = snapshot(stage.destdir);
    const out = mustInstall(stage, ['--no-build']);
    assert.deepEqual(snapshot(stage.destdir), before);
    assert.match(out, /keeping the existing .*etc\/dbus-mcp\/config/);
    assert.match(readFileSync(config, 'utf8'), /SAFETY_LEVEL="medium"\n$/);
    // An edited installed unit is restored by the next run; the edited config still is not touched.
    writeFileSync(unitFile(stage, 'dbus-mcp-standalone.service'), '# edited\n');
    mustInstall(stage, ['--no-build']);
    assert.deepEqual(snapshot(stage.destdir), before);
  });

  it('--dry-run prints every action and changes nothing', () => {
    const stage = newStage();
    const fresh = runInstall(stage, ['--dry-run']);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.equal(existsSync(stage.destdir), false);
    assert.equal(existsSync(stage.home), false);
    assert.match(fresh.stdout, /\(dry run\) npm run --silent build/);
    assert.match(fresh.stdout, /\(dry run\) install -m 0755 .* \S+\/usr\/local\/bin\/dbus-mcp\.new-\d+/);
    assert.match(
      fresh.stdout,
      /\(dry run\) install -m 0644 .*config\.example \S+\/etc\/dbus-mcp\/config\.new-\d+/,
    );
    assert.match(fresh.stdout, /\(dry run\) install -m 0644 .*dbus-mcp-standalone\.socket/);

    mustInstall(stage, ['--no-build']);
    const before = snapshot(stage.destdir);
    for (const args of [
      ['--dry-run', '--uninstall', '--purge'],
      ['--dry-run', '--dev-only', '--no-build'],
      ['--dry-run', '--prefix', '/opt/dm', '--no-build'],
    ]) {
      const r = runInstall(stage, args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\(dry run\) /, args.join(' '));
      assert.deepEqual(snapshot(stage.destdir), before, args.join(' '));
    }
  });

  it('--uninstall leaves only the kept config; --purge removes it too', () => {
    const stage = newStage();
    mustInstall(stage, ['--no-build', '--relax-namespaces']);
    assert.ok(existsSync(unitFile(stage, 'dbus-mcp-standalone.service.d/relax-namespaces.conf')));
    const out = mustInstall(stage, ['--uninstall']);
    assert.match(out, /kept .*etc\/dbus-mcp\/config/);
    assert.deepEqual(Object.keys(snapshot(stage.destdir)), ['etc', 'etc/dbus-mcp', 'etc/dbus-mcp/config']);

    // --purge after an uninstall removes the kept config (and its directory).
    mustInstall(stage, ['--purge']);
    assert.deepEqual(fileModes(stage.destdir), {});
    assert.equal(existsSync(staged(stage, '/etc/dbus-mcp')), false);

    const fresh = newStage();
    mustInstall(fresh, ['--no-build']);
    mustInstall(fresh, ['--uninstall', '--purge']);
    assert.deepEqual(snapshot(fresh.destdir), {});
  });

  it('--prefix moves the program and the wrapper, and the unit ExecStart follows', () => {
    const stage = newStage();
    mustInstall(stage, ['--no-build', '--prefix', '/opt/dbus-mcp']);
    assert.deepEqual(fileModes(stage.destdir), expectedTree(stage, 'opt/dbus-mcp'));
    const service = readFileSync(unitFile(stage, 'dbus-mcp-standalone.service'), 'utf8');
    assert.match(service, /^ExecStart=\/opt\/dbus-mcp\/bin\/dbus-mcp serve$/m);
    const version = spawnSync(staged(stage, '/opt/dbus-mcp/bin/dbus-mcp'), ['--version'], {
      encoding: 'utf8',
    });
    assert.equal(version.stdout.trim(), VERSION);
    // The manifest remembers the prefix: uninstall needs no --prefix.
    mustInstall(stage, ['--uninstall', '--purge']);
    assert.deepEqual(snapshot(stage.destdir), {});
  });

  it('--dev-only installs only units that run the checkout, nothing in the prefix or /etc', () => {
    const stage = newStage();
    mustInstall(stage, ['--dev-only', '--no-build']);
    const home = stage.home.slice(1);
    assert.deepEqual(fileModes(stage.destdir), {
      [`${home}/${UNIT_DIR}/dbus-mcp-standalone.socket`]: '0644',
      [`${home}/${UNIT_DIR}/dbus-mcp-standalone.service`]: '0644',
      [`${home}/${MANIFEST}`]: '0644',
    });
    const service = readFileSync(unitFile(stage, 'dbus-mcp-standalone.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(service)?.[1];
    assert.equal(execStart, `"${process.execPath}" "${join(ROOT, 'dist/dbus-mcp.mjs')}" serve`);
    mustInstall(stage, ['--uninstall']);
    assert.deepEqual(snapshot(stage.destdir), {});
  });

  it('with a reachable user systemd: reload, enable the socket, restart a running service; uninstall stops first', () => {
    // A stand-in for `systemctl` that records its calls: this machine has no user manager. --dev-only
    // touches nothing outside HOME, so this runs without DESTDIR, as on a desktop.
    const dir = tempDir('fake-systemctl');
    const log = join(dir, 'calls');
    writeFileSync(
      join(dir, 'systemctl'),
      [
        '#!/bin/sh',
        `echo "$*" >> ${log}`,
        'case "$*" in',
        '  *is-active*) for u in $FAKE_ACTIVE; do case "$*" in *"$u"*) exit 0 ;; esac; done; exit 3 ;;',
        '  *is-failed*) [ -n "$FAKE_FAILED" ] || exit 1 ;;',
        '  *"show -p Listen"*) [ -z "$FAKE_LISTEN" ] || echo "$FAKE_LISTEN (Stream)"; exit 0 ;;',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const home = join(tempDir('home'), 'user');
    const runtime = tempDir('runtime');
    const run = (args: string[], active: string, failed = '') => {
      writeFileSync(log, '');
      const r = spawnSync('bash', [join(ROOT, 'install.sh'), ...args], {
        encoding: 'utf8',
        env: cleanEnv({
          HOME: home,
          PATH: `${dir}:${process.env.PATH}`,
          FAKE_ACTIVE: active,
          FAKE_FAILED: failed,
          XDG_RUNTIME_DIR: runtime,
        }),
      });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(log, 'utf8').trim().split('\n');
    };
    const mutating = (calls: string[]) =>
      calls.filter((c) => !/show-environment|is-active|is-failed|^--user (cat|show) /.test(c));

    // Fresh: the socket is enabled and started; no service to restart.
    assert.deepEqual(mutating(run(['--dev-only', '--no-build'], '')), [
      '--user daemon-reload',
      '--user enable dbus-mcp-standalone.socket',
      '--user start dbus-mcp-standalone.socket',
    ]);
    // Upgrade over a running, socket-activated service: restart it (the socket keeps queueing).
    assert.deepEqual(
      mutating(run(['--dev-only', '--no-build'], 'dbus-mcp-standalone.socket dbus-mcp-standalone.service')),
      [
        '--user daemon-reload',
        '--user enable dbus-mcp-standalone.socket',
        '--user restart dbus-mcp-standalone.service',
      ],
    );
    // Units that failed before (a start limit, a sandbox the host could not set up, then fixed with
    // --relax-namespaces) are reset first, or systemd would refuse to start them.
    assert.deepEqual(mutating(run(['--dev-only', '--no-build'], '', 'failed')), [
      '--user daemon-reload',
      '--user reset-failed dbus-mcp-standalone.service dbus-mcp-standalone.socket',
      '--user enable dbus-mcp-standalone.socket',
      '--user start dbus-mcp-standalone.socket',
    ]);
    // A service started without its socket: stop it, start the socket, start the service again.
    assert.deepEqual(mutating(run(['--dev-only', '--no-build'], 'dbus-mcp-standalone.service')), [
      '--user daemon-reload',
      '--user enable dbus-mcp-standalone.socket',
      '--user stop dbus-mcp-standalone.service',
      '--user start dbus-mcp-standalone.socket',
      '--user start dbus-mcp-standalone.service',
    ]);
    // Uninstall stops and disables before removing anything, and reloads afterwards; the sockets
    // the stopped units leave in $XDG_RUNTIME_DIR (systemd's listening socket, the control socket)
    // go too, and nothing else there.
    const leftovers = ['dbus-mcp.sock', 'dbus-mcp.sock.ctl'].map((name) => join(runtime, name));
    for (const path of leftovers) leaveSocketFile(path);
    writeFileSync(join(runtime, 'bus'), ''); // someone else's file
    const calls = mutating(run(['--uninstall'], 'dbus-mcp-standalone.socket dbus-mcp-standalone.service'));
    assert.deepEqual(calls.slice(0, 3), [
      '--user disable --now dbus-mcp-standalone.socket',
      '--user disable --now dbus-mcp-standalone.service',
      '--user daemon-reload',
    ]);
    assert.equal(existsSync(join(home, '.config')), false);
    assert.equal(existsSync(join(home, '.local')), false);
    for (const path of leftovers) assert.equal(existsSync(path), false, `${path} was left behind`);
    assert.ok(existsSync(join(runtime, 'bus')));
  });

  it('--uninstall removes the sockets where the socket unit listened, also when a drop-in moved ListenStream=', () => {
    const dir = tempDir('fake-systemctl');
    writeFileSync(
      join(dir, 'systemctl'),
      [
        '#!/bin/sh',
        'case "$*" in',
        '  *"show -p Listen"*) echo "$FAKE_LISTEN (Stream)" ;;',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const home = join(tempDir('home'), 'user');
    const runtime = tempDir('runtime');
    const moved = join(runtime, 'elsewhere.sock');
    for (const path of [moved, `${moved}.ctl`]) leaveSocketFile(path);
    const env = cleanEnv({ HOME: home, PATH: `${dir}:${process.env.PATH}`, XDG_RUNTIME_DIR: runtime });
    const install = spawnSync('bash', [join(ROOT, 'install.sh'), '--dev-only', '--no-build'], {
      encoding: 'utf8',
      env,
    });
    assert.equal(install.status, 0, install.stderr);
    const r = spawnSync('bash', [join(ROOT, 'install.sh'), '--uninstall'], {
      encoding: 'utf8',
      env: { ...env, FAKE_LISTEN: moved },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\+ rm -f -- ${moved}\\n`));
    assert.equal(existsSync(moved), false);
    assert.equal(existsSync(`${moved}.ctl`), false);
  });

  it('--no-systemd installs no units and runs no systemctl', () => {
    const stage = newStage();
    const out = mustInstall(stage, ['--no-build', '--no-systemd']);
    assert.equal(existsSync(staged(stage, join(stage.home, UNIT_DIR))), false);
    assert.doesNotMatch(out, /systemctl/);
    assert.ok(existsSync(staged(stage, '/usr/local/bin/dbus-mcp')));
  });
});
