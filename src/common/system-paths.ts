// Every sysfs, devfs and procfs path the agent touches, built from one root so
// that tests can point the agent at a fake tree. In a guest the root is "".
import path from 'node:path';

export class SystemPaths {
  /** `root` is prepended to /sys, /dev and /proc; "" means the real ones. */
  constructor(readonly root: string = '') {}

  sys(...parts: string[]): string {
    return path.join(this.root || '/', 'sys', ...parts);
  }

  dev(...parts: string[]): string {
    return path.join(this.root || '/', 'dev', ...parts);
  }

  proc(...parts: string[]): string {
    return path.join(this.root || '/', 'proc', ...parts);
  }

  /** A sysfs devpath ("/devices/...") as a directory under our /sys. */
  devpath(devpath: string): string {
    return this.sys(devpath);
  }

  /** A guest device path given by the host ("/dev/vdb") as a path under our /dev. */
  guestDevice(devicePath: string): string {
    const rel = path.posix.relative('/dev', path.posix.normalize(devicePath));
    return this.dev(rel);
  }

  // --- devices ---
  get pciRescan(): string {
    return this.sys('bus', 'pci', 'rescan');
  }
  get platformDevices(): string {
    return this.sys('devices', 'platform');
  }
  get scsiHosts(): string {
    return this.sys('class', 'scsi_host');
  }
  get ccwDevices(): string {
    return this.sys('bus', 'ccw', 'devices');
  }
  /** Links named "major:minor" to every block device directory. */
  get blockDeviceLinks(): string {
    return this.sys('dev', 'block');
  }
  get charDeviceLinks(): string {
    return this.sys('dev', 'char');
  }
  get pciDevices(): string {
    return this.sys('bus', 'pci', 'devices');
  }

  // --- CPU and memory hotplug ---
  get cpuDir(): string {
    return this.sys('devices', 'system', 'cpu');
  }
  get onlineCpus(): string {
    return this.sys('devices', 'system', 'cpu', 'online');
  }
  get memoryDir(): string {
    return this.sys('devices', 'system', 'memory');
  }
  get memoryBlockSize(): string {
    return this.sys('devices', 'system', 'memory', 'block_size_bytes');
  }
  get memoryProbe(): string {
    return this.sys('devices', 'system', 'memory', 'probe');
  }
  get acpiMemoryHotplug(): string {
    return this.sys('firmware', 'acpi', 'hotplug', 'memory', 'enabled');
  }
  get hugepagesDir(): string {
    return this.sys('kernel', 'mm', 'hugepages');
  }
  hugepages(pageSizeKb: number): string {
    return this.sys('kernel', 'mm', 'hugepages', `hugepages-${pageSizeKb}kB`, 'nr_hugepages');
  }

  // --- cgroups ---
  get cgroupRoot(): string {
    return this.sys('fs', 'cgroup');
  }
  /** The cgroup v1 cpuset hierarchy (absent on a unified hierarchy). */
  get cpusetV1Root(): string {
    return this.sys('fs', 'cgroup', 'cpuset');
  }

  // --- misc ---
  get randomDevice(): string {
    return this.dev('random');
  }
  get selfStatus(): string {
    return this.proc('self', 'status');
  }
  get selfMountInfo(): string {
    return this.proc('self', 'mountinfo');
  }
  get netDev(): string {
    return this.proc('net', 'dev');
  }
  /** net.ipv4.ip_forward's file, from its dotted key split into parts. */
  sysctl(parts: readonly string[]): string {
    return this.proc('sys', ...parts);
  }
  get console(): string {
    return this.dev('console');
  }
  get vsockDriver(): string {
    return this.sys('bus', 'virtio', 'drivers', 'vmw_vsock_virtio_transport');
  }
  get virtioPorts(): string {
    return this.sys('class', 'virtio-ports');
  }
  get kernelConfig(): string {
    return this.proc('config.gz');
  }
}

/**
 * A name inside the directory open as `fd`, as a path the kernel resolves from that
 * directory (the /proc/self/fd entry is a link to the open directory itself, not a
 * path re-read). Always the real procfs: a fake tree cannot stand in for our own fds.
 */
export function pathInOpenDirectory(fd: number, name: string): string {
  return `/proc/self/fd/${fd}/${name}`;
}
