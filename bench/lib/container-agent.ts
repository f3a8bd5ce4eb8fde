// An agent process ready to run containers, as the container benchmarks use
// it: its guest root holds the busybox rootfs, a sandbox is created, and runs
// go through the client library the way a host drives them.
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { AgentClient } from '../../src/client/agent-client';
import { CreateContainerRequest, CreateSandboxRequest } from '../../src/generated/agent';
import { CGROUP_PARENT } from '../../src/sandbox/support';
import { busyboxProcess, busyboxSpec } from '../../tools/testkit/containers';
import { busyboxRootfs } from '../../tools/testkit/rootfs';
import { readToEnd } from '../../tools/testkit/streams';
import { spawnAgent, type StartedProcess } from './processes';

export interface ContainerAgent {
  proc: StartedProcess;
  client: AgentClient;
  /** This machine's path of the agent's guest root. */
  guest: string;
  /** crun's state directory (--root) as the agent uses it. */
  stateRoot: string;
  sandboxId: string;
  create(id: string, args: string[]): Promise<void>;
  /** create + start + wait (both streams drained) + remove; the exit code. */
  lifecycle(id: string, args: string[]): Promise<number>;
  exec(containerId: string, execId: string, args: string[]): Promise<void>;
  /** Waits for a process and drains its streams, as a host does. */
  finish(containerId: string, execId: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startContainerAgent(nodeArgs: string[] = []): Promise<ContainerAgent> {
  const proc = await spawnAgent({ nodeArgs, realSysRoot: true });
  const guest = path.join(proc.dir, 'guest');
  symlinkSync(busyboxRootfs(), path.join(guest, 'rootfs'));
  const client = await proc.client();
  const sandboxId = `bench${process.pid}`;
  await client.agent.createSandbox(CreateSandboxRequest.fromPartial({ sandbox_id: sandboxId }));
  const create = async (id: string, args: string[]): Promise<void> => {
    await client.agent.createContainer(
      CreateContainerRequest.fromPartial({ container_id: id, exec_id: id, OCI: busyboxSpec(args) }),
    );
  };
  const finish = async (containerId: string, execId: string): Promise<number> => {
    const [{ status }] = await Promise.all([
      client.agent.waitProcess({ container_id: containerId, exec_id: execId }),
      readToEnd(client, containerId, execId, 'stdout', { len: 32 * 1024 }),
      readToEnd(client, containerId, execId, 'stderr', { len: 32 * 1024 }),
    ]);
    return status;
  };
  return {
    proc,
    client,
    guest,
    stateRoot: path.join(guest, 'run/kata-agent/runtime/crun'),
    sandboxId,
    create,
    async lifecycle(id, args) {
      await create(id, args);
      await client.agent.startContainer({ container_id: id });
      const status = await finish(id, id);
      await client.agent.removeContainer({ container_id: id, timeout: 0 });
      return status;
    },
    async exec(containerId, execId, args) {
      await client.agent.execProcess({
        container_id: containerId,
        exec_id: execId,
        string_user: undefined,
        process: busyboxProcess(args),
      });
    },
    finish,
    async stop() {
      await client.agent.destroySandbox({}).catch(() => undefined);
      await proc.stop();
      // DestroySandbox removes the sandbox's cgroup: say so when it did not.
      // Real hierarchies only: the hidden cgroup2 path is a scratch tmpfs here.
      const left = readdirSync('/sys/fs/cgroup').filter(
        (c) =>
          existsSync(path.join('/sys/fs/cgroup', c, 'cgroup.procs')) &&
          existsSync(path.join('/sys/fs/cgroup', c, CGROUP_PARENT, sandboxId)),
      );
      if (left.length)
        process.stderr.write(
          `warning: sandbox cgroup ${CGROUP_PARENT}/${sandboxId} left in ${left.join(', ')}\n`,
        );
    },
  };
}
