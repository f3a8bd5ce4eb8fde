#!/usr/bin/env node
// A demo without a VM: starts kata-agent on a unix socket with its guest paths in a
// temporary directory, then, through the client library, runs a busybox container
// the way a Kata host runtime would (CreateSandbox, CreateContainer, StartContainer,
// ReadStdout/ReadStderr, WaitProcess, RemoveContainer,
// DestroySandbox) and prints what the container wrote. Needs root, crun (or runc)
// and busybox-static; scripts/demo-local.sh runs it in private namespaces.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AgentClient } from '../client/agent-client';
import { connectUnix } from '../client/dial';
import { RpcError } from '../client/grpc-unary';
import { CreateContainerRequest } from '../generated/agent';
import { Process, Spec } from '../generated/oci';
import { buildBusyboxRootfs } from '../tools/busybox-rootfs';

const { values } = parseArgs({ options: { runtime: { type: 'string', default: 'crun' } } });

function processOf(args: string[], terminal = false): Process {
  return Process.fromPartial({
    Terminal: terminal,
    Args: args,
    Env: ['PATH=/bin', 'HOME=/root', 'TERM=xterm'],
    Cwd: '/',
    User: { UID: 0, GID: 0 },
    Capabilities: {
      Bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      Effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      Permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    },
    Rlimits: [{ Type: 'RLIMIT_NOFILE', Hard: 1024, Soft: 1024 }],
    NoNewPrivileges: true,
  });
}

async function readToEnd(read: () => Promise<{ data: Buffer }>): Promise<string> {
  let out = '';
  for (;;) {
    try {
      out += (await read()).data.toString();
    } catch (err) {
      if (err instanceof RpcError && err.details === 'EOF') return out;
      throw err;
    }
  }
}

async function waitForSocket(file: string): Promise<AgentClient> {
  for (let i = 0; ; i++) {
    try {
      return new AgentClient(await connectUnix(file, 1000));
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-demo-'));
  const guestRoot = path.join(dir, 'guest');
  buildBusyboxRootfs(path.join(guestRoot, 'run/kata-containers/shared/containers/demo/rootfs'));
  mkdirSync(path.join(guestRoot, 'etc'), { recursive: true });
  writeFileSync(path.join(guestRoot, 'etc/resolv.conf'), '');
  writeFileSync(path.join(dir, 'cmdline'), '');
  const socket = path.join(dir, 'agent.sock');
  const agentArgs = [
    path.join(__dirname, 'agent.js'),
    '--listen',
    `unix://${socket}`,
    '--guest-root',
    guestRoot,
  ];
  agentArgs.push('--cmdline', path.join(dir, 'cmdline'), '--runtime', values.runtime!, '--log-level', 'warn');
  const agent = spawn(process.execPath, agentArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
  const say = (line: string): boolean => process.stdout.write(`demo: ${line}\n`);
  try {
    const client = await waitForSocket(socket);
    const api = client.agent;
    say(`agent ${JSON.stringify((await client.health.version({ service: '' })).agent_version)} is serving`);
    await api.createSandbox({
      hostname: 'demo-sandbox',
      dns: ['nameserver 10.0.2.3'],
      storages: [],
      sandbox_pidns: false,
      sandbox_id: 'demo',
      guest_hook_path: '',
      kernel_modules: [],
    });
    const script =
      'echo "Hello from a busybox container on $(hostname)"; uname -sr; id; echo "to stderr" >&2; exit 7';
    await api.createContainer(
      CreateContainerRequest.fromPartial({
        container_id: 'demo',
        exec_id: 'demo',
        OCI: Spec.fromPartial({
          Version: '1.0.2',
          Process: processOf(['sh', '-c', script]),
          Root: { Path: 'rootfs', Readonly: false },
          Mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: [] }],
          Linux: { Namespaces: [{ Type: 'mount' }] },
        }),
      }),
    );
    say('container "demo" created; starting it');
    await api.startContainer({ container_id: 'demo' });
    const ids = { container_id: 'demo', exec_id: 'demo' };
    const [stdout, stderr, wait] = await Promise.all([
      readToEnd(() => api.readStdout({ ...ids, len: 4096 })),
      readToEnd(() => api.readStderr({ ...ids, len: 4096 })),
      api.waitProcess(ids),
    ]);
    const show = (name: string, text: string): void => {
      for (const line of text.split('\n').slice(0, -1)) process.stdout.write(`  ${name}| ${line}\n`);
    };
    show('stdout', stdout);
    show('stderr', stderr);
    say(`exit status ${wait.status}`);
    await api.removeContainer({ container_id: 'demo', timeout: 10 });
    say('container removed');
    await api.destroySandbox({});
    say('sandbox destroyed');
    client.destroy();
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
