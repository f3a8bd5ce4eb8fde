import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Code as status } from '../../src/common/status';
import type { CreateSandboxRequest } from '../../src/generated/agent';
import {
  createContainer,
  expectCode,
  readAll,
  run,
  sandboxCgroupExists,
  startHarness,
  type Harness,
  SUITE_TIMEOUT_MS,
} from '../../tools/testkit/containers';

const runtime = 'crun';

function sandboxRequest(h: Harness, extra: Partial<CreateSandboxRequest> = {}): CreateSandboxRequest {
  return {
    hostname: '',
    dns: [],
    storages: [],
    sandbox_pidns: false,
    sandbox_id: h.sandboxId,
    guest_hook_path: '',
    kernel_modules: [],
    ...extra,
  };
}

/** Mounts under `dir`, except the runtime binary the agent exposes for its whole life. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m?.startsWith(dir) && !m.includes('/run/kata-agent/bin/'));
}

/** A fake modprobe that records its arguments, failing for modules named "broken". */
function fakeModprobe(): { path: string; log: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modprobe-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'calls');
  const script = path.join(dir, 'modprobe');
  writeFileSync(
    script,
    `#!/bin/sh\necho "$@" >> ${log}\ncase "$3" in broken) echo "FATAL: Module broken not found" >&2; exit 1;; esac\n`,
  );
  chmodSync(script, 0o755);
  return { path: script, log };
}

describe('sandbox (crun)', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('hostname, DNS, kernel modules and shared IPC/UTS namespaces; DestroySandbox releases them', async () => {
    const modprobe = fakeModprobe();
    const h = await startHarness({ runtime, noSandbox: true, config: { modprobe: modprobe.path } });
    try {
      mkdirSync(h.guest('/etc'));
      writeFileSync(h.guest('/etc/resolv.conf'), 'nameserver 127.0.0.53\n');
      await h.c.agent.createSandbox(
        sandboxRequest(h, {
          hostname: 'sandbox-host',
          dns: ['nameserver 10.0.0.1 ', 'search example.com'],
          kernel_modules: [
            { name: 'dummy', parameters: ['numdummies=2'] },
            { name: 'veth', parameters: [] },
          ],
        }),
      );
      assert.equal(readFileSync(modprobe.log, 'utf8'), '-v -- dummy numdummies=2\n-v -- veth\n');
      assert.equal(
        readFileSync(h.guest('/etc/resolv.conf'), 'utf8'),
        'nameserver 10.0.0.1\nsearch example.com',
      );

      const ns = 'for n in ipc uts; do readlink /proc/self/ns/$n; done; hostname';
      const a = await run(h, 'ns-a', ['sh', '-c', ns]);
      const b = await run(h, 'ns-b', ['sh', '-c', ns]);
      assert.equal(a.stdout, b.stdout);
      const [ipc, uts, hostname] = a.stdout.trim().split('\n');
      assert.equal(hostname, 'sandbox-host');
      assert.notEqual(ipc, readlinkSync('/proc/self/ns/ipc'));
      assert.notEqual(uts, readlinkSync('/proc/self/ns/uts'));
      assert.equal(mountsUnder(h.guest('/run/sandbox-ns')).length, 2);

      await createContainer(h, 'left', ['cat']);
      await h.c.agent.startContainer({ container_id: 'left' });
      await h.c.agent.destroySandbox({});
      await expectCode(h.c.agent.statsContainer({ container_id: 'left' }), status.NOT_FOUND);
      assert.deepEqual(mountsUnder(h.guest('/')), [], 'no mount left');
      assert.equal(readFileSync(h.guest('/etc/resolv.conf'), 'utf8'), 'nameserver 127.0.0.53\n');
      assert.equal(sandboxCgroupExists(h), false, 'sandbox cgroups removed');
      // And a new sandbox can be made.
      await h.c.agent.createSandbox(sandboxRequest(h));
    } finally {
      await h.stop();
    }
  });

  test('a failed CreateSandbox leaves nothing and can be retried', async () => {
    const modprobe = fakeModprobe();
    const h = await startHarness({ runtime, noSandbox: true, config: { modprobe: modprobe.path } });
    try {
      await expectCode(
        h.c.agent.createSandbox(sandboxRequest(h, { kernel_modules: [{ name: 'broken', parameters: [] }] })),
        status.UNKNOWN,
        /could not load module broken: exit status 1: FATAL: Module broken not found/,
      );
      await expectCode(
        h.c.agent.createSandbox(sandboxRequest(h, { kernel_modules: [{ name: '', parameters: [] }] })),
        status.INVALID_ARGUMENT,
      );
      // Names and parameters that modprobe would read as its own options never reach it.
      for (const module of [
        { name: '-r virtio_blk', parameters: [] },
        { name: '--config=/tmp/evil.conf', parameters: [] },
        { name: '-r', parameters: ['virtio_blk'] },
        { name: 'dummy', parameters: ['--config=/tmp/evil.conf'] },
        { name: 'dummy', parameters: ['-r'] },
        { name: 'dummy', parameters: ['a=b\nc'] },
        { name: 'x'.repeat(56), parameters: [] },
      ]) {
        await expectCode(
          h.c.agent.createSandbox(sandboxRequest(h, { kernel_modules: [module] })),
          status.INVALID_ARGUMENT,
          /Kernel module/,
        );
      }
      assert.ok(
        !readFileSync(modprobe.log, 'utf8').includes('config'),
        'modprobe never saw the injected words',
      );
      const badStorage = {
        driver: 'nfs',
        driver_options: [],
        source: '',
        fstype: '',
        options: [],
        mount_point: '/run/x',
      };
      await expectCode(
        h.c.agent.createSandbox(sandboxRequest(h, { storages: [badStorage] })),
        status.INVALID_ARGUMENT,
        /Unknown storage driver/,
      );
      assert.deepEqual(mountsUnder(h.guest('/')), [], 'namespaces undone');
      await expectCode(createContainer(h, 'c', ['true']), status.FAILED_PRECONDITION);
      await h.c.agent.createSandbox(
        sandboxRequest(h, {
          storages: [
            {
              driver: 'ephemeral',
              driver_options: [],
              source: 'tmpfs',
              fstype: 'tmpfs',
              options: [],
              mount_point: '/run/kata-containers/sandbox/shm',
            },
          ],
        }),
      );
      assert.equal(h.storage.mountPoints.length, 1);
      await createContainer(h, 'c', ['cat']);
      // A failing step is reported; everything else is still released and nothing stays locked.
      h.storage.failNextRelease = true;
      await expectCode(
        h.c.agent.destroySandbox({}),
        status.UNKNOWN,
        /container c: release storages: injected release failure/,
      );
      assert.deepEqual(h.storage.mountPoints, []);
      assert.deepEqual(mountsUnder(h.guest('/')), []);
      await expectCode(h.c.agent.statsContainer({ container_id: 'c' }), status.NOT_FOUND);
      await h.c.agent.createSandbox(sandboxRequest(h));
    } finally {
      await h.stop();
    }
  });

  test('guest hooks run for every container', async () => {
    const h = await startHarness({ runtime, noSandbox: true });
    try {
      const marker = h.guest('/hook-ran');
      for (const type of ['prestart', 'poststop']) {
        mkdirSync(h.guest(`/hooks/${type}`), { recursive: true });
        const hook = h.guest(`/hooks/${type}/record`);
        // argv is [name, type]: a script sees its type as $1.
        writeFileSync(hook, `#!/bin/sh\necho "$0 $1" >> ${marker}\n`);
        chmodSync(hook, 0o755);
      }
      writeFileSync(h.guest('/hooks/prestart/not-executable'), '');
      await h.c.agent.createSandbox(sandboxRequest(h, { guest_hook_path: '/hooks' }));
      await run(h, 'hooked', ['true']);
      const lines = readFileSync(marker, 'utf8').trim().split('\n');
      assert.deepEqual(lines, [
        `${h.guest('/hooks/prestart/record')} prestart`,
        `${h.guest('/hooks/poststop/record')} poststop`,
      ]);
    } finally {
      await h.stop();
    }
  });

  test('sandbox_pidns: containers share a PID namespace held by a pause process', async () => {
    const h = await startHarness({ runtime, sandbox: { sandbox_pidns: true } });
    try {
      await createContainer(h, 'first', ['sleep', '1000']);
      await h.c.agent.startContainer({ container_id: 'first' });
      const second = await run(h, 'second', ['ps', '-o', 'pid,args']);
      assert.match(second.stdout, /sleep 1000/);
      // PID 1 is the pause process, not a container's init.
      assert.match(second.stdout, /^\s*1 /m);
      assert.doesNotMatch(second.stdout, /^\s*1 sleep/m);
    } finally {
      await h.stop();
    }
  });

  test('without sandbox_pidns, a container asking for it joins the first container', async () => {
    const h = await startHarness({ runtime });
    try {
      await createContainer(h, 'infra', ['sleep', '1000']);
      await h.c.agent.startContainer({ container_id: 'infra' });
      const joined = await run(h, 'joined', ['ps', '-o', 'args'], {});
      assert.doesNotMatch(joined.stdout, /sleep 1000/, 'own PID namespace by default');
      await createContainer(h, 'sharer', ['ps', '-o', 'args'], { sandbox_pidns: true });
      await h.c.agent.startContainer({ container_id: 'sharer' });
      const out = await readAll(h, 'sharer', 'sharer', 'stdout');
      assert.match(out, /sleep 1000/);
    } finally {
      await h.stop();
    }
  });

  test('storages and mount sources under /run/kata-containers follow the guest root', async () => {
    const h = await startHarness({ runtime, realStorage: true });
    try {
      const volume = '/run/kata-containers/shared/containers/vol';
      await createContainer(h, 'vol', ['sh', '-c', 'echo data > /vol/file'], {
        storages: [
          { driver: 'local', driver_options: [], source: '', fstype: '', options: [], mount_point: volume },
        ],
        mounts: [{ destination: '/vol', source: volume, type: 'bind', options: ['rbind', 'rw'] }],
      });
      await h.c.agent.startContainer({ container_id: 'vol' });
      assert.equal((await h.c.agent.waitProcess({ container_id: 'vol', exec_id: 'vol' })).status, 0);
      assert.equal(readFileSync(h.guest(`${volume}/file`), 'utf8'), 'data\n');
      await h.c.agent.removeContainer({ container_id: 'vol', timeout: 0 });
      assert.equal(existsSync(h.guest(volume)), false, 'local storage released');

      // A relative Root.Path lives in the container's shared directory.
      const shared = h.guest('/run/kata-containers/shared/containers/rel');
      mkdirSync(shared, { recursive: true });
      symlinkSync(h.guest('/rootfs'), path.join(shared, 'rootfs'));
      assert.equal((await run(h, 'rel', ['true'], { root: 'rootfs' })).status, 0);
    } finally {
      await h.stop();
    }
  });
});
