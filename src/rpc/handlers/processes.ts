// Process RPCs: exec, signal, wait, and stdio (WriteStdin, ReadStdout,
// ReadStderr, CloseStdin, TtyWinResize). Reads, writes and waits block only their
// own call.
import type { ContainerProcess } from '../../process/container-process';
import type { Sandbox } from '../../sandbox/sandbox';
import { invalidArgument } from '../../common/errors';
import type { AgentHandlers } from '../types';
import { requireField, requireId } from '../validate';

const EMPTY = {};
const MAX_SIGNAL = 64;

export function processHandlers(sandbox: Sandbox) {
  const lookup = (req: { container_id: string; exec_id: string }): ContainerProcess => {
    requireId(req.container_id, 'container_id');
    requireId(req.exec_id, 'exec_id');
    sandbox.requireRunning('Sandbox not started');
    return sandbox.container(req.container_id).process(req.exec_id);
  };

  return {
    async execProcess(req) {
      requireId(req.container_id, 'container_id');
      requireId(req.exec_id, 'exec_id');
      const proc = requireField(req.process, 'process');
      if (proc.Args.length === 0) throw invalidArgument('process.Args is empty');
      sandbox.requireRunning('Sandbox not started, impossible to exec a process');
      await sandbox.container(req.container_id).exec(req.exec_id, proc);
      return EMPTY;
    },

    async signalProcess(req) {
      requireId(req.container_id, 'container_id');
      if (req.exec_id) requireId(req.exec_id, 'exec_id');
      if (req.signal > MAX_SIGNAL) throw invalidArgument(`signal ${req.signal} is not valid`);
      sandbox.requireRunning('Sandbox not started, impossible to signal the container');
      await sandbox.container(req.container_id).signal(req.exec_id, req.signal);
      return EMPTY;
    },

    async waitProcess(req) {
      return { status: await lookup(req).wait() };
    },

    async writeStdin(req) {
      return { len: await lookup(req).io.stdin.write(req.data) };
    },

    // A read withdrawn when its caller goes away takes no bytes: the next reader gets them.
    async readStdout(req, call) {
      return { data: await lookup(req).io.stdout.read(req.len, (withdraw) => call.onCancel(withdraw)) };
    },

    async readStderr(req, call) {
      return { data: await lookup(req).io.stderr.read(req.len, (withdraw) => call.onCancel(withdraw)) };
    },

    async closeStdin(req) {
      lookup(req).io.stdin.close();
      return EMPTY;
    },

    async ttyWinResize(req) {
      lookup(req).io.resize(req.row, req.column);
      return EMPTY;
    },
  } satisfies Partial<AgentHandlers>;
}
