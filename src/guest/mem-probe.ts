// MemHotplugByProbe: on kernels without ACPI memory hotplug the host tells the
// guest where new memory lies, one physical address per write to the probe file.
import { invalidArgument } from '../common/errors';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { writeAttribute } from './sysfs-io';

export async function probeMemory(paths: SystemPaths, addresses: readonly bigint[]): Promise<void> {
  for (const address of addresses) {
    if (address < 0n) {
      throw invalidArgument(`invalid memory probe address ${address}`);
    }
  }
  for (const address of addresses) {
    const text = `0x${address.toString(16)}`;
    try {
      await writeAttribute(paths.memoryProbe, text);
    } catch (err) {
      throw new Error(`could not probe memory at ${text} (${paths.memoryProbe}): ${errorText(err)}`);
    }
  }
}
