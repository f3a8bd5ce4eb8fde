// The host's side of a container process, as a Kata runtime drives it: read
// stdout/stderr until the agent says EOF, then WaitProcess for the exit code.
import { Code } from '../common/status';
import type { AgentClient } from '../client/agent-client';
import { RpcError } from '../client/grpc-unary';
import { CreateContainerRequest, ExecProcessRequest, type Storage } from '../generated/agent';
import { Process, type Spec } from '../generated/oci';

const READ_SIZE = 32 * 1024;

interface ProcessResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function isEof(err: unknown): boolean {
  return err instanceof RpcError && err.code === Code.UNKNOWN && err.details === 'EOF';
}

/** Reads one stream of a process until EOF, passing each chunk on as it arrives. */
async function readToEnd(
  client: AgentClient,
  containerId: string,
  execId: string,
  stream: 'stdout' | 'stderr',
  onChunk?: (text: string) => void,
): Promise<string> {
  const read = stream === 'stdout' ? client.agent.readStdout : client.agent.readStderr;
  let text = '';
  for (;;) {
    try {
      const { data } = await read({ container_id: containerId, exec_id: execId, len: READ_SIZE });
      const chunk = Buffer.from(data).toString();
      text += chunk;
      onChunk?.(chunk);
    } catch (err) {
      if (isEof(err)) return text;
      throw err;
    }
  }
}

/** Drains both streams, then waits: the order 1.x requires (waiting first loses unread output). */
export async function collect(
  client: AgentClient,
  containerId: string,
  execId: string,
  onStdout?: (text: string) => void,
): Promise<ProcessResult> {
  const [stdout, stderr] = await Promise.all([
    readToEnd(client, containerId, execId, 'stdout', onStdout),
    readToEnd(client, containerId, execId, 'stderr'),
  ]);
  const { status: exitCode } = await client.agent.waitProcess({ container_id: containerId, exec_id: execId });
  return { stdout, stderr, exitCode };
}

interface NewContainer {
  id: string;
  spec: Spec;
  storages?: Storage[];
  /** Share the agent's PID namespace (to look at the agent's own /proc entry). */
  agentPidns?: boolean;
}

export async function createContainer(client: AgentClient, c: NewContainer): Promise<void> {
  await client.agent.createContainer(
    CreateContainerRequest.fromPartial({
      container_id: c.id,
      exec_id: c.id,
      OCI: c.spec,
      storages: c.storages ?? [],
      agent_pidns: c.agentPidns ?? false,
    }),
  );
}

let execCounter = 0;
const EXEC_PATH = 'PATH=/bin:/usr/bin:/sbin:/usr/sbin';

/** Runs `args` in a running container and collects its output and exit code. */
async function execIn(
  client: AgentClient,
  containerId: string,
  args: string[],
  env: string[] = [],
): Promise<ProcessResult> {
  const execId = `exec-${++execCounter}`;
  await client.agent.execProcess(
    ExecProcessRequest.fromPartial({
      container_id: containerId,
      exec_id: execId,
      process: Process.fromPartial({
        Args: args,
        Env: [EXEC_PATH, ...env],
        Cwd: '/',
        User: { UID: 0, GID: 0 },
      }),
    }),
  );
  return collect(client, containerId, execId);
}

/** Runs an exec and insists on exit status 0; returns its stdout. */
export async function execOk(
  client: AgentClient,
  containerId: string,
  args: string[],
  env: string[] = [],
): Promise<string> {
  const r = await execIn(client, containerId, args, env);
  if (r.exitCode !== 0) {
    throw new Error(`${args.join(' ')} exited with ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}
