// What container creation needs from device handling: find each device the
// host hot-plugged and make the container's OCI spec point at the guest's node.
import type { Device } from '../generated/agent';

/** The parts of an OCI runtime-spec config.json (JSON form) that device handlers rewrite; major/minor are int64 on the wire. */
export interface SpecDevices {
  linux?: {
    devices?: {
      path: string;
      type: string;
      major: bigint;
      minor: bigint;
      fileMode?: number;
      uid?: number;
      gid?: number;
    }[];
    resources?: {
      devices?: {
        allow: boolean;
        type?: string;
        major?: bigint | null;
        minor?: bigint | null;
        access?: string;
      }[];
    };
  };
}

export interface DeviceManager {
  /**
   * Waits for each device (honouring the hotplug timeout; a timeout is DEADLINE_EXCEEDED
   * naming the device) and rewrites the matching linux.devices entry and device-cgroup rules
   * of `spec` with the guest's major/minor.
   */
  applyDevices(devices: readonly Device[], spec: SpecDevices): Promise<void>;
  /** Handler type names, for GetGuestDetails. */
  handlerNames(): string[];
}
