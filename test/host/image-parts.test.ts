import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrder, moduleName, parseModulesDep } from '../../src/host/image/modules';
import { parseLdd } from '../../src/host/image/elf';
import { ImagePlan } from '../../src/host/image/plan';
import { initScript, MARKER, snapshotChoice } from '../../src/host/image/init-script';
import { extractVmlinux } from '../../src/host/image/kernel';
import { relativeLink } from '../../src/host/busybox';
import { agentFiles } from '../../src/host/image/agent-files';

const DEP = `kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet_virtio.ko: kernel/drivers/virtio/virtio.ko kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko
`;

test('modules load after everything they depend on, each once', () => {
  const order = loadOrder(parseModulesDep(DEP), ['9pnet_virtio', '9p']);
  assert.deepEqual(order, [
    'kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio.ko',
    'kernel/net/9p/9pnet.ko',
    'kernel/net/9p/9pnet_virtio.ko',
    'kernel/fs/netfs/netfs.ko',
    'kernel/fs/fscache/fscache.ko',
    'kernel/fs/9p/9p.ko',
  ]);
  for (const [i, ko] of order.entries()) {
    const deps = parseModulesDep(DEP).deps.get(ko) ?? [];
    for (const d of deps) assert.ok(order.indexOf(d) < i, `${d} before ${ko}`);
  }
});

test('module names treat - and _ alike; unknown modules are an error', () => {
  assert.equal(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko'), 'virtio_rng');
  assert.deepEqual(loadOrder(parseModulesDep(DEP), ['virtio-rng']).slice(-1), [
    'kernel/drivers/char/hw_random/virtio-rng.ko',
  ]);
  assert.throws(() => loadOrder(parseModulesDep(DEP), ['ext4']), /ext4 is not in modules.dep/);
});

test('ldd output gives libraries and the interpreter; a missing library is an error', () => {
  const text = `\tlinux-vdso.so.1 (0x00007ffd)
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f24)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f24)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f24)
`;
  assert.deepEqual(parseLdd(text), [
    '/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/lib64/ld-linux-x86-64.so.2',
  ]);
  assert.throws(() => parseLdd('\tlibfoo.so.1 => not found\n', 'x'), /libfoo.so.1 => not found/);
});

test('the image hash follows file contents and the plan, and a path cannot be planned twice differently', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-test-'));
  try {
    const f = path.join(dir, 'a.js');
    writeFileSync(f, 'one');
    const plan = (): ImagePlan => {
      const p = new ImagePlan();
      p.add({ kind: 'file', dest: '/opt/a.js', source: f, byContent: true });
      p.add({ kind: 'text', dest: 'init', text: '#!/bin/sh\n', mode: 0o755 });
      return p;
    };
    const h1 = plan().hash('x');
    assert.equal(plan().hash('x'), h1);
    assert.notEqual(plan().hash('y'), h1);
    writeFileSync(f, 'two');
    assert.notEqual(plan().hash('x'), h1);
    const p = plan();
    p.add({ kind: 'text', dest: 'init', text: '#!/bin/sh\n', mode: 0o755 });
    assert.throws(() => p.add({ kind: 'text', dest: 'init', text: 'other' }), /planned twice/);
    assert.deepEqual(
      p.list().map((e) => e.dest),
      ['init', 'opt/a.js'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/init is valid sh in both agent modes and marks its stages', () => {
  for (const agentIsInit of [true, false]) {
    const text = initScript({
      modulesFile: '/etc/kata-vm/modules',
      node: '/usr/bin/node',
      agentMain: '/opt/kata-agent/kata-agent.js',
      nodeFlags: ['--max-semi-space-size=1'],
      agentIsInit,
      agentPidFile: '/run/kata-agent.pid',
    });
    const check = spawnSync('busybox', ['sh', '-n'], { input: text });
    assert.equal(check.status, 0, check.stderr.toString());
    assert.ok(text.startsWith('#!/bin/sh\n'));
    assert.ok(text.includes(`echo "${MARKER} $1 uptime=$up"`));
    assert.match(text, /^echo "kata-vm: init uptime=\$init_up"$/m);
    assert.match(text, /^mark modules-loaded$/m);
    // Output goes to the console only once the modules (virtio_console among them) are in.
    const reopen = text.indexOf('exec >"$out" 2>&1');
    assert.ok(reopen > text.indexOf('insmod') && reopen < text.indexOf('mark modules-loaded'));
    assert.equal(text.includes('exec /usr/bin/node "$@"'), agentIsInit);
  }
});

test('applet links are relative to their own directory', () => {
  assert.equal(relativeLink('bin/sh', 'bin/busybox'), 'busybox');
  assert.equal(relativeLink('usr/bin/awk', 'bin/busybox'), '../../bin/busybox');
  assert.equal(relativeLink('sbin/modprobe', 'bin/busybox'), '../bin/busybox');
});

test('vmlinux is found inside a bzImage as an xz stream', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bzimage-test-'));
  try {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4096, 7)]);
    writeFileSync(path.join(dir, 'vmlinux.in'), elf);
    const xz = spawnSync('xz', ['-c', path.join(dir, 'vmlinux.in')]);
    assert.equal(xz.status, 0);
    // Setup code before the stream, and padding after it, as in a real bzImage.
    writeFileSync(
      path.join(dir, 'bzImage'),
      Buffer.concat([Buffer.alloc(1000, 0x90), xz.stdout, Buffer.alloc(300, 0)]),
    );
    await extractVmlinux(path.join(dir, 'bzImage'), path.join(dir, 'vmlinux'));
    assert.deepEqual(readFileSync(path.join(dir, 'vmlinux')), elf);
    writeFileSync(path.join(dir, 'plain'), Buffer.alloc(100));
    await assert.rejects(extractVmlinux(path.join(dir, 'plain'), path.join(dir, 'x')), /no xz stream/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the image ships the bundled agent only: its script, its snapshot and the addon', () => {
  const files = agentFiles(path.join(__dirname, '..', '..', '..'));
  assert.deepEqual(
    files.map((f) => f.relative),
    ['kata-agent.js', 'kata-agent.blob', 'agent_native.node'],
  );
  for (const f of files) assert.ok(statSync(f.source).size > 0, f.source);
});

test("/init starts the agent from its snapshot only when the blob is whole and node's flags are the image's", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'snapshot-choice-'));
  try {
    const blob = path.join(dir, 'kata-agent.blob');
    const choose = (env: Record<string, string> = {}): string => {
      const script = `${snapshotChoice({ path: blob, bytes: 4096 })}\necho "[$snapshot]"`;
      const run = spawnSync('busybox', ['sh', '-c', script], { env: { PATH: process.env.PATH, ...env } });
      assert.equal(run.status, 0, run.stderr.toString());
      return run.stdout.toString();
    };
    assert.match(
      choose(),
      /is missing or damaged \(not 4096 bytes\): starting the agent from its script\n\[\]\n$/,
    );
    writeFileSync(blob, Buffer.alloc(1000));
    assert.match(choose(), /is missing or damaged/);
    writeFileSync(blob, Buffer.alloc(4096));
    assert.equal(choose(), `[--snapshot-blob ${blob}]\n`);
    assert.match(choose({ kata_vm_snapshot: 'off' }), /snapshot off or node flags changed.*\n\[\]\n$/);
    assert.match(choose({ kata_vm_node_flags: '--max-old-space-size=64' }), /node flags changed.*\n\[\]\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
