// CreateContainer after validation: devices and storages, the guest spec, the
// bundle, then `runtime create` with the init process held until StartContainer.
// Any failure undoes what was done: no runtime state, mounts, files or fds remain.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { guestRootDenyRule } from '../devices/rootfs';
import type { DeviceManager, SpecDevices } from '../devices/types';
import type { CreateContainerRequest } from '../generated/agent';
import { toOciSpec } from '../runtime/oci-spec';
import type { OciHooks } from '../runtime/oci-types';
import type { MountedStorage } from '../storage/types';
import { Container } from './container';
import { prepareSpec } from './container-spec';
import { launchProcess, writeJson, type RuntimeContext } from './runtime-context';
import { errorText } from '../common/error-text';

interface SandboxNamespaceView {
  ipcNs: string;
  utsNs: string;
  /** "" new PID namespace, a path to join, undefined to share the agent's. */
  pidNs: string | undefined;
  defaultCgroupsPath: string;
  guestHooks: OciHooks | undefined;
}

export async function createContainer(
  ctx: RuntimeContext,
  devices: DeviceManager,
  view: SandboxNamespaceView,
  req: CreateContainerRequest,
): Promise<Container> {
  const id = req.container_id;
  const log = ctx.log.child({ container: id });
  const converted = toOciSpec(req.OCI!);
  for (const w of converted.warnings) log.warn(w);
  const spec = converted.value;
  const bundle = ctx.paths.bundle(id);
  let storages: MountedStorage[] = [];
  let runtimeCalled = false;
  try {
    await devices.applyDevices(req.devices, spec as SpecDevices);
    storages = await ctx.storage.mountAll(req.storages);
    const prepared = prepareSpec(spec, {
      containerId: id,
      paths: ctx.paths,
      sysRoot: ctx.sysRoot,
      ipcNs: view.ipcNs,
      utsNs: view.utsNs,
      pidNs: view.pidNs,
      defaultCgroupsPath: view.defaultCgroupsPath,
      guestHooks: view.guestHooks,
      username: req.OCI!.Process?.User?.Username ?? '',
      rootDenyRule: await guestRootDenyRule(ctx.paths.guest('/')),
    });
    for (const w of prepared.warnings) log.warn(w);
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    writeJson(path.join(bundle, 'config.json'), prepared.spec);
    const files = { pidFile: path.join(bundle, 'init.pid'), logFile: path.join(bundle, 'create.log') };
    const init = await launchProcess(
      ctx,
      req.exec_id,
      spec.process?.terminal === true,
      true,
      files,
      (stdio) => {
        runtimeCalled = true;
        return ctx.runtime.create({
          id,
          bundle,
          pidFile: files.pidFile,
          consoleSocket: stdio.consoleSocket,
          noPivot: ctx.noPivot,
          stdio: stdio.childFds,
          logFile: files.logFile,
        });
      },
    );
    return new Container(
      id,
      bundle,
      prepared.rootfs,
      prepared.cgroupsPath,
      prepared.spec,
      init,
      storages,
      ctx,
    );
  } catch (err) {
    if (runtimeCalled) {
      await ctx.runtime
        .delete(id, true)
        .catch((e: Error) => log.debug({ error: errorText(e) }, 'nothing to delete'));
    }
    await ctx.storage
      .releaseAll(storages)
      .catch((e: Error) =>
        log.warn({ error: errorText(e) }, 'cannot release storages of a failed container'),
      );
    await rm(bundle, { recursive: true, force: true });
    throw err;
  }
}
