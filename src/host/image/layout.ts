// What goes into the initrd, and where: busybox with relative applet links, the
// machine's node and crun with the shared libraries ldd names, the agent under
// /opt/kata-agent, the guest's kernel modules, a few /etc files and /init.
import { statSync } from 'node:fs';
import path from 'node:path';
import { appletPaths } from '../busybox';
import { sharedLibraries } from './elf';
import { agentFiles } from './agent-files';
import { initScript, powerButtonAction } from './init-script';
import type { GuestKernel } from './kernel';
import { ImagePlan } from './plan';
import { GUEST_FLOOR } from './floor';

export const GUEST_AGENT_DIR = '/opt/kata-agent';
const GUEST_NODE = '/usr/bin/node';
const MODULES_FILE = '/etc/kata-vm/modules';
const AGENT_PID_FILE = '/run/kata-agent.pid';

interface LayoutInput {
  repo: string;
  kernel: GuestKernel;
  node: string;
  busybox: string;
  crun: string;
  /** Strip debug symbols from node and the addon (about 15 MB less to load). */
  strip: boolean;
  agentIsInit: boolean;
  nodeFlags: string[];
  /** The benchmark's floor program (floor.ts), run instead of the agent with kata_vm_mode=floor. */
  floor: string;
}

async function addBinary(plan: ImagePlan, source: string, dest: string, strip: boolean): Promise<void> {
  plan.add({ kind: 'file', dest, source, mode: 0o755, strip });
  for (const lib of await sharedLibraries(source))
    plan.add({ kind: 'file', dest: lib, source: lib, mode: 0o755 });
}

export async function planImage(input: LayoutInput): Promise<ImagePlan> {
  const plan = new ImagePlan();
  for (const dir of ['dev', 'proc', 'sys', 'run', 'root', 'mnt', 'etc', 'var', 'opt']) {
    plan.add({ kind: 'dir', dest: dir, mode: 0o755 });
  }
  plan.add({ kind: 'dir', dest: 'tmp', mode: 0o1777 });
  plan.add({ kind: 'symlink', dest: 'var/run', target: '../run' });

  plan.add({ kind: 'file', dest: 'bin/busybox', source: input.busybox, mode: 0o755 });
  for (const applet of await appletPaths(input.busybox)) {
    if (applet === 'bin/busybox') continue;
    plan.add({ kind: 'symlink', dest: applet, target: path.relative(path.dirname(applet), 'bin/busybox') });
  }
  await addBinary(plan, input.node, GUEST_NODE, input.strip);
  await addBinary(plan, input.crun, '/usr/bin/crun', false);
  plan.add({ kind: 'file', dest: GUEST_FLOOR, source: input.floor, mode: 0o755, byContent: true });

  const files = agentFiles(input.repo);
  const blob = files.find((f) => f.relative.endsWith('.blob'));
  for (const f of files) {
    plan.add({
      kind: 'file',
      dest: path.join(GUEST_AGENT_DIR, f.relative),
      source: f.source,
      byContent: true,
      strip: input.strip && f.relative.endsWith('.node'),
    });
  }

  const { kernel } = input;
  const guestModules = `/lib/modules/${kernel.release}`;
  for (const name of ['modules.dep', 'modules.builtin', 'modules.order', ...kernel.moduleOrder]) {
    plan.add({
      kind: 'file',
      dest: path.join(guestModules, name),
      source: path.join(kernel.modulesDir, name),
    });
  }
  plan.add({
    kind: 'text',
    dest: MODULES_FILE,
    text: kernel.moduleOrder.map((ko) => path.join(guestModules, ko)).join('\n') + '\n',
  });

  plan.add({ kind: 'text', dest: 'etc/passwd', text: 'root:x:0:0:root:/root:/bin/sh\n' });
  plan.add({ kind: 'text', dest: 'etc/group', text: 'root:x:0:\n' });
  plan.add({ kind: 'text', dest: 'etc/hostname', text: 'kata-guest\n' });
  plan.add({
    kind: 'text',
    dest: 'etc/acpi/PWRF/00000080',
    text: powerButtonAction(AGENT_PID_FILE),
    mode: 0o755,
  });
  plan.add({
    kind: 'text',
    dest: 'init',
    mode: 0o755,
    text: initScript({
      modulesFile: MODULES_FILE,
      node: GUEST_NODE,
      agentMain: path.join(GUEST_AGENT_DIR, 'kata-agent.js'),
      agentSnapshot: blob && {
        path: path.join(GUEST_AGENT_DIR, blob.relative),
        bytes: statSync(blob.source).size,
      },
      floor: GUEST_FLOOR,
      nodeFlags: input.nodeFlags,
      agentIsInit: input.agentIsInit,
      agentPidFile: AGENT_PID_FILE,
    }),
  });
  return plan;
}
