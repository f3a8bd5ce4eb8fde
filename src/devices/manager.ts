// The DeviceManager container creation uses: validates each device of the
// request, lets its type's handler find the guest node, then rewrites the spec.
import { stat } from 'node:fs/promises';
import type { Device } from '../generated/agent';
import { splitDevT } from '../guest/kernel';
import { errorText } from '../common/error-text';
import { internal, invalidArgument } from '../common/errors';
import { deviceHandlerTable, type DeviceHandler } from './handlers';
import type { DeviceLocator } from './locate';
import { DeviceSpecEditor } from './spec';
import type { DeviceManager, SpecDevices } from './types';

export class GuestDeviceManager implements DeviceManager {
  private readonly handlers: Map<string, DeviceHandler>;

  constructor(
    private readonly locator: DeviceLocator,
    handlers: readonly DeviceHandler[],
  ) {
    this.handlers = deviceHandlerTable(handlers);
  }

  handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  async applyDevices(devices: readonly Device[], spec: SpecDevices): Promise<void> {
    if (!spec) throw invalidArgument('invalid spec');
    // Everything is checked before anything waits, so a bad entry fails fast.
    const work = devices.filter(Boolean).map((d) => ({ device: d, handler: this.handlerFor(d) }));
    const editor = new DeviceSpecEditor(spec);
    for (const { device, handler } of work) {
      const node = await handler.locate(device, this.locator);
      editor.update(device.container_path, await deviceNumbers(node));
    }
  }

  private handlerFor(device: Device): DeviceHandler {
    const what = JSON.stringify({ id: device.id, type: device.type, vm_path: device.vm_path });
    if (!device.type) throw invalidArgument(`invalid type for device ${what}`);
    if (!device.id && !device.vm_path) throw invalidArgument(`invalid ID and VM path for device ${what}`);
    if (!device.container_path) throw invalidArgument(`invalid container path for device ${what}`);
    const handler = this.handlers.get(device.type);
    if (!handler) throw invalidArgument(`Unknown device type ${JSON.stringify(device.type)}`);
    return handler;
  }
}

/** Major/minor of a device node. */
async function deviceNumbers(node: string): Promise<{ major: number; minor: number }> {
  let info;
  try {
    info = await stat(node, { bigint: true });
  } catch (err) {
    throw internal(`cannot stat device ${node}: ${errorText(err)}`);
  }
  if (!info.isBlockDevice() && !info.isCharacterDevice()) throw internal(`${node} is not a device node`);
  return splitDevT(info.rdev);
}
