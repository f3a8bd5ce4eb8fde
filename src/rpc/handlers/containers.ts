// Sandbox and container lifecycle RPCs: validate the request, then delegate to the
// sandbox. Process and stdio RPCs are in processes.ts.
import type { OomQueue } from '../../cgroups/oom';
import type { Spec } from '../../generated/oci';
import type { Sandbox } from '../../sandbox/sandbox';
import { failedPrecondition, invalidArgument } from '../../common/errors';
import type { AgentHandlers } from '../types';
import { requireAbsolutePath, requireField, requireId } from '../validate';

const EMPTY = {};
// sethostname(2) refuses longer names.
const HOSTNAME_MAX = 64;

export function containerHandlers(sandbox: Sandbox, oom: OomQueue) {
  return {
    async createSandbox(req) {
      if (req.sandbox_id) requireId(req.sandbox_id, 'sandbox_id');
      // NUL bytes in any string field were refused by the dispatcher already.
      if (req.guest_hook_path) requireAbsolutePath(req.guest_hook_path, 'guest_hook_path');
      if (req.hostname.length > HOSTNAME_MAX || req.hostname.includes('/'))
        throw invalidArgument(`hostname ${JSON.stringify(req.hostname)} is not valid`);
      await sandbox.create(req);
      return EMPTY;
    },

    async destroySandbox() {
      await sandbox.destroy();
      return EMPTY;
    },

    async createContainer(req) {
      requireId(req.container_id, 'container_id');
      requireId(req.exec_id, 'exec_id');
      const spec = requireField(req.OCI, 'OCI');
      checkSpec(spec);
      if (spec.Linux?.Namespaces.some((ns) => ns.Type === 'NEWPID'))
        throw failedPrecondition(
          `Unexpected PID namespace received for container ${req.container_id}, should have been cleared out`,
        );
      await sandbox.createContainer(req);
      return EMPTY;
    },

    async startContainer(req) {
      requireId(req.container_id, 'container_id');
      sandbox.requireRunning('Sandbox not started, impossible to start the container');
      await sandbox.container(req.container_id).start();
      return EMPTY;
    },

    async removeContainer(req) {
      requireId(req.container_id, 'container_id');
      await sandbox.removeContainer(req.container_id, req.timeout);
      return EMPTY;
    },

    async pauseContainer(req) {
      requireId(req.container_id, 'container_id');
      await sandbox.container(req.container_id).pause();
      return EMPTY;
    },

    async resumeContainer(req) {
      requireId(req.container_id, 'container_id');
      await sandbox.container(req.container_id).resume();
      return EMPTY;
    },

    async updateContainer(req) {
      requireId(req.container_id, 'container_id');
      const resources = requireField(req.resources, 'resources');
      await sandbox.container(req.container_id).update(resources);
      return EMPTY;
    },

    async statsContainer(req) {
      requireId(req.container_id, 'container_id');
      return sandbox.container(req.container_id).stats();
    },

    async listProcesses(req) {
      requireId(req.container_id, 'container_id');
      return { process_list: await sandbox.container(req.container_id).listProcesses(req.format, req.args) };
    },

    async getOOMEvent(_req, call) {
      return { container_id: await oom.next((fn) => call.onCancel(fn)) };
    },
  } satisfies Partial<AgentHandlers>;
}

/** What every container spec needs before anything is created. */
function checkSpec(spec: Spec): void {
  const proc = requireField(spec.Process, 'OCI.Process');
  if (proc.Args.length === 0) throw invalidArgument('OCI.Process.Args is empty');
  const root = requireField(spec.Root, 'OCI.Root');
  if (!root.Path) throw invalidArgument('OCI.Root.Path is empty');
  if (root.Path.split('/').includes('..')) throw invalidArgument('OCI.Root.Path contains ..');
}
