// PID 1 mode, for real: a node process is PID 1 of fresh pid, mount and network
// namespaces with a scratch directory as its root prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { enabledControllers, subtreeControlLine } from '../../src/guest/cgroup-mounts';
import { parseMountInfo } from '../../src/guest/pid1-mounts';
import { sysRootFromArgv } from '../../src/guest/init';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { HealthCheckResponse_ServingStatus } from '../../src/generated/health';
import { within } from '../helpers/native';
import { waitFor } from '../helpers/wait-for';
import { artifactArgs } from '../../tools/testkit/artifact';

const DIST_SRC = path.join(__dirname, '..', '..', 'src');
const UNSHARE = ['--pid', '--mount', '--net', '--fork', '--propagation', 'private', '--'];

test('enabled controllers and the subtree_control line', () => {
  const text =
    '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\ncpu\t1\t1\t1\nnet_cls\t0\t1\t0\n\n';
  assert.deepEqual(enabledControllers(text), ['cpuset', 'cpu']);
  assert.equal(subtreeControlLine('cpuset cpu io memory pids\n'), '+cpuset +cpu +io +memory +pids');
  assert.equal(subtreeControlLine('\n'), '');
});

test('mountinfo lines and the early --sys-root flag', () => {
  const info = parseMountInfo(
    '22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n' +
      '40 22 0:40 / /tmp/a\\040b rw,relatime - tmpfs tmpfs rw\n',
  );
  assert.deepEqual(info, [
    { mountPoint: '/proc', fstype: 'proc', options: 'rw,nosuid,nodev,noexec,relatime' },
    { mountPoint: '/tmp/a b', fstype: 'tmpfs', options: 'rw,relatime' },
  ]);
  assert.equal(sysRootFromArgv(['--listen', 'x', '--sys-root', '/r']), '/r');
  assert.equal(sysRootFromArgv(['--sys-root=/q']), '/q');
  assert.equal(sysRootFromArgv([]), '');
});

// Runs in the namespaces as PID 1; talks over stdio: JSON report, then commands.
const PROBE = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const src = process.argv[1], root = process.argv[2], unified = process.argv[3] === 'unified';
const init = require(src + '/guest/init.js');
const { currentMounts } = require(src + '/guest/pid1-mounts.js');
const { sharedReaper } = require(src + '/process/shared-reaper.js');
const { native } = require(src + '/native/index.js');
const { logger: log } = require(src + '/logging/logger.js').createLogger({
  level: 'debug', primary: (l) => process.stderr.write(l) });
const say = (tag, value) => process.stdout.write(tag + ' ' + JSON.stringify(value) + '\\n');
(async () => {
  init.guardPid1(log);
  init.mountBasics(root, log);
  await init.finishPid1({ root, unifiedCgroupHierarchy: unified, log, configureCgroups: false });
  const reaper = sharedReaper(log);
  reaper.start();
  say('REPORT', {
    pid: process.pid,
    path: process.env.PATH,
    mounts: currentMounts(root).filter((m) => m.mountPoint.startsWith(root)),
    loFlags: fs.readFileSync(root + '/sys/class/net/lo/flags', 'utf8').trim(),
    ptmxIsPts: fs.statSync(root + '/dev/ptmx').dev === fs.statSync(root + '/dev/pts/ptmx').dev,
  });
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'ping') say('PONG', process.pid);
    if (line === 'orphan') {
      const sh = spawn('sh', ['-c', 'sleep 0.1 & echo $!'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      sh.stdout.on('data', (d) => (out += d));
      sh.on('exit', () => {
        const pid = Number(out.trim());
        // A zombie keeps its /proc entry: the entry going away means it was reaped.
        const check = setInterval(() => {
          if (!fs.existsSync(root + '/proc/' + pid)) {
            clearInterval(check);
            say('ORPHAN', { pid, parentWasUs: true });
          }
        }, 5);
      });
    }
    if (line === 'crash') setImmediate(() => { throw new Error('deliberate crash'); });
  });
})();
`;

interface Pid1Process {
  child: ChildProcess;
  line(tag: string): Promise<unknown>;
  stderr(): string;
  /** The host pid of PID 1 inside (unshare forks it). */
  innerPid(): number;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function startPid1(args: string[]): Pid1Process {
  const child = spawn('unshare', [...UNSHARE, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const seen = new Map<string, unknown>();
  const waiters = new Map<string, (v: unknown) => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    const space = l.indexOf(' ');
    const tag = space < 0 ? l : l.slice(0, space);
    const value = space < 0 ? undefined : JSON.parse(l.slice(space + 1));
    seen.set(tag, value);
    waiters.get(tag)?.(value);
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    exited,
    stderr: () => err,
    line(tag) {
      if (seen.has(tag)) {
        const v = seen.get(tag);
        seen.delete(tag);
        return Promise.resolve(v);
      }
      return new Promise((resolve, reject) => {
        waiters.set(tag, (v) => {
          waiters.delete(tag);
          seen.delete(tag);
          resolve(v);
        });
        void exited.then(() => reject(new Error(`PID 1 exited before ${tag}: ${err}`)));
      });
    },
    innerPid() {
      const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
      return Number(children.split(' ')[0]);
    },
  };
}

interface Report {
  pid: number;
  path: string;
  mounts: { mountPoint: string; fstype: string; options: string }[];
  loFlags: string;
  ptmxIsPts: boolean;
}

for (const unified of [false, true]) {
  test(`as PID 1 the agent mounts the guest filesystems (cgroup ${unified ? 'v2' : 'v1'}), brings lo up, reaps orphans and ignores console signals`, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pid1-'));
    const p = startPid1([process.execPath, '-e', PROBE, DIST_SRC, root, unified ? 'unified' : 'v1']);
    try {
      const report = (await within(20_000, 'the PID 1 report', p.line('REPORT'))) as Report;
      assert.equal(report.pid, 1);
      assert.equal(report.path, '/bin:/sbin:/usr/bin:/usr/sbin');
      const at = (rel: string): string[] =>
        report.mounts.filter((m) => m.mountPoint === path.join(root, rel)).map((m) => m.fstype);
      assert.deepEqual(at('proc'), ['proc']);
      assert.deepEqual(at('sys'), ['sysfs']);
      assert.deepEqual(at('dev'), ['devtmpfs']);
      assert.deepEqual(at('dev/shm'), ['tmpfs']);
      assert.deepEqual(at('dev/pts'), ['devpts']);
      assert.deepEqual(at('run'), ['tmpfs']);
      assert.ok(at('dev/ptmx').length === 1, 'ptmx is bound to the devpts instance');
      assert.ok(report.ptmxIsPts);
      const procOptions = report.mounts.find((m) => m.mountPoint === path.join(root, 'proc'))!.options;
      assert.match(procOptions, /nosuid/);
      assert.match(procOptions, /noexec/);
      if (unified) {
        assert.deepEqual(at('sys/fs/cgroup'), ['cgroup2']);
      } else {
        const cgroup = report.mounts.find((m) => m.mountPoint === path.join(root, 'sys/fs/cgroup'))!;
        assert.equal(cgroup.fstype, 'tmpfs');
        assert.match(cgroup.options, /^ro,/, 'the cgroup tmpfs is read-only');
        const hierarchies = report.mounts
          .filter((m) => m.fstype === 'cgroup')
          .map((m) => path.basename(m.mountPoint));
        const expected = enabledControllers(fs.readFileSync('/proc/cgroups', 'utf8'));
        assert.ok(hierarchies.includes('memory') && hierarchies.includes('devices'), hierarchies.join(','));
        for (const h of hierarchies) assert.ok(expected.includes(h), h);
      }
      assert.equal(Number(report.loFlags) & 1, 1, `lo is up (flags ${report.loFlags})`);

      p.child.stdin!.write('orphan\n');
      const orphan = (await within(10_000, 'the orphan to be reaped', p.line('ORPHAN'))) as { pid: number };
      assert.ok(orphan.pid > 1);

      const inner = p.innerPid();
      for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP'] as const) process.kill(inner, signal);
      p.child.stdin!.write('ping\n');
      assert.equal(await within(10_000, 'PID 1 to answer after signals', p.line('PONG')), 1);
      await waitFor(() => /signal=SIGHUP/.test(p.stderr()), {
        what: 'the signals to be logged',
        timeoutMs: 5000,
      });
      assert.match(p.stderr(), /ignoring signal: the agent is PID 1.*signal=SIGINT/);
    } finally {
      p.child.kill('SIGKILL');
      const inner = safeInnerPid(p);
      if (inner) process.kill(inner, 'SIGKILL');
      await p.exited;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}

test('a fatal error in PID 1 syncs and powers off (in a pid namespace: its init is killed with SIGINT)', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pid1-'));
  const p = startPid1([process.execPath, '-e', PROBE, DIST_SRC, root, 'v1']);
  try {
    await within(20_000, 'the PID 1 report', p.line('REPORT'));
    p.child.stdin!.write('crash\n');
    const [code, signal] = await within(10_000, 'PID 1 to power off', p.exited);
    assert.match(p.stderr(), /level=fatal msg="fatal error" .*deliberate crash/);
    assert.match(p.stderr(), /level=fatal msg="powering off"/);
    // unshare reports its child's death by SIGINT as its own.
    assert.ok(signal === 'SIGINT' || code === 128 + 2, `exit ${code} signal ${signal}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the kata-agent command as PID 1 serves gRPC, ignores SIGINT, and powers off on SIGTERM', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pid1-agent-'));
  const socket = path.join(root, 'agent.sock');
  fs.writeFileSync(path.join(root, 'cmdline'), 'agent.devmode');
  // The shipped artifact as /init starts it: the bundle from its snapshot, as PID 1.
  const p = startPid1([
    process.execPath,
    ...artifactArgs(),
    ...['--sys-root', root, '--guest-root', root, '--listen', `unix://${socket}`],
    ...['--cmdline', path.join(root, 'cmdline')],
  ]);
  try {
    await waitFor(() => /msg="agent started"/.test(p.stderr()), {
      what: 'the agent to listen',
      timeoutMs: 20_000,
    });
    assert.match(p.stderr(), /pid1=true/);
    const client = new AgentClient(await connectUnix(socket));
    assert.equal(
      (await client.health.check({ service: '' })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    const inner = p.innerPid();
    assert.match(
      fs.readFileSync(`/proc/${inner}/limits`, 'utf8'),
      /Max core file size\s+unlimited\s+unlimited/,
    );
    process.kill(inner, 'SIGINT');
    await waitFor(() => /signal=SIGINT/.test(p.stderr()), { what: 'SIGINT to be logged', timeoutMs: 5000 });
    assert.equal(
      (await client.health.check({ service: '' })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    client.destroy();
    // What a power-button handler does: the agent stops serving, then powers off.
    process.kill(inner, 'SIGTERM');
    const [code, signal] = await within(15_000, 'the power off', p.exited);
    assert.ok(signal === 'SIGINT' || code === 128 + 2, `exit ${code} signal ${signal}`);
    assert.match(
      p.stderr(),
      /msg="shutting down"[^\n]*signal=SIGTERM[\s\S]*msg="powering off"[^\n]*reason=SIGTERM/,
    );
    assert.ok(!fs.existsSync(socket), 'the unix listener was closed');
  } finally {
    const inner = safeInnerPid(p);
    if (inner) process.kill(inner, 'SIGKILL');
    await p.exited;
    fs.rmSync(root, { recursive: true, force: true });
  }
});

function safeInnerPid(p: Pid1Process): number | undefined {
  try {
    return p.innerPid() || undefined;
  } catch {
    return undefined;
  }
}
