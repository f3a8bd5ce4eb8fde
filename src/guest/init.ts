// PID 1 mode: when the agent is the initrd's init it does what an init must.
// Order as in 1.x: the basic filesystems first (the kernel command line lives in
// /proc), then the options, then cgroups, ptmx, PATH and loopback. A PID 1
// must never exit (the kernel panics): signals a console may send (Ctrl-C,
// Ctrl-\, hang-ups) are logged and ignored; SIGTERM, which a power-button
// handler sends to init, stops the agent and powers the VM off; a fatal error
// syncs the disks and powers off too.
import fs from 'node:fs';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { bringUpLoopback } from '../network/loopback';
import { mountCgroups } from './cgroup-mounts';
import { basicMounts, bindPtmx, mountStep } from './pid1-mounts';
import { errorText } from '../common/error-text';

const PID1_PATH = '/bin:/sbin:/usr/bin:/usr/sbin';

/** Signals that must not end PID 1: console keys (INT, QUIT), hang-ups, stray ones. */
const IGNORED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'];
const SHUTDOWN_GRACE_MS = 5000;

export function isPid1(): boolean {
  return process.pid === 1;
}

/** The --sys-root flag, needed before the flags can be parsed (they read /proc/cmdline). */
export function sysRootFromArgv(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sys-root') return argv[i + 1] ?? '';
    if (argv[i].startsWith('--sys-root=')) return argv[i].slice('--sys-root='.length);
  }
  return '';
}

/** Syncs and powers off. Only ever as PID 1: anywhere else reboot(2) would hit the machine. */
export function powerOff(log: Logger, reason: string): void {
  if (!isPid1()) throw new Error('refusing to power off: not PID 1');
  log.fatal({ reason }, 'powering off');
  const n = native();
  try {
    n.sync();
    n.reboot(n.constants.LINUX_REBOOT_CMD_POWER_OFF);
  } catch (err) {
    log.fatal({ error: errorText(err) }, 'power off failed');
  }
}

export interface Pid1Guard {
  /** What SIGTERM stops before the power off (the running agent). */
  onShutdown(stop: () => Promise<void>): void;
}

/** Turns exits and fatal errors into a power off, SIGTERM into an orderly one, and ignores console signals. */
export function guardPid1(log: Logger): Pid1Guard {
  for (const signal of IGNORED_SIGNALS) {
    process.on(signal, () => log.info({ signal }, 'ignoring signal: the agent is PID 1'));
  }
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: 'SIGTERM' }, 'shutting down');
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    const stopped = (stop?.() ?? Promise.resolve()).catch((err: Error) =>
      log.error({ error: errorText(err) }, 'shutdown failed'),
    );
    void Promise.race([stopped, grace]).then(() => powerOff(log, 'SIGTERM'));
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ error: errorText(err), stack: err.stack }, 'fatal error');
    powerOff(log, `fatal error: ${err.message}`);
  });
  // Anything calling process.exit() still must not panic the kernel.
  process.on('exit', (code) => powerOff(log, `exit with code ${code}`));
  return { onShutdown: (fn) => (stop = fn) };
}

/** The filesystems needed to read the kernel command line and everything else. */
export function mountBasics(root: string, log: Logger): void {
  for (const step of basicMounts()) mountStep(root, step, log);
}

interface Pid1Options {
  root: string;
  unifiedCgroupHierarchy: boolean;
  log: Logger;
  /** See CgroupMountOptions.configure. */
  configureCgroups?: boolean;
}

/** The rest of PID 1's set-up, once the options are known. */
export async function finishPid1(options: Pid1Options): Promise<void> {
  const { root, log } = options;
  mountCgroups({
    root,
    unified: options.unifiedCgroupHierarchy,
    log,
    configure: options.configureCgroups,
  });
  bindPtmx(root, log);
  process.env.PATH = PID1_PATH;
  try {
    await bringUpLoopback();
  } catch (err) {
    log.warn({ error: errorText(err) }, 'cannot bring up the loopback interface');
  }
  log.info({ root: root || '/' }, 'guest set up as PID 1');
}

/** agent.devmode: let a crash leave a core dump. */
export function allowCoreDumps(log: Logger): void {
  const n = native();
  try {
    n.setRlimit(n.constants.RLIMIT_CORE, -1, -1);
  } catch (err) {
    // Without CAP_SYS_RESOURCE the hard limit cannot rise: take what it allows.
    const hard = coreHardLimit();
    if (hard === undefined) {
      log.warn({ error: errorText(err) }, 'cannot raise the core size limit');
    } else {
      n.setRlimit(n.constants.RLIMIT_CORE, hard, hard);
      log.warn({ limit: hard }, 'core size limit raised only to the hard limit');
    }
  }
  n.setDumpable(true);
}

function coreHardLimit(): number | undefined {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max core file size'));
    const hard = line?.trim().split(/\s+/)[5];
    if (hard === 'unlimited') return -1;
    return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
  } catch {
    return undefined;
  }
}
