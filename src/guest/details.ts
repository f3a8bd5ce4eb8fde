// GetGuestDetails: what the host needs to know before hot-plugging memory, and
// what this agent can do.
import { stat, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { AgentDetails, GuestDetailsRequest, GuestDetailsResponse } from '../generated/agent';
import { unknown } from '../common/errors';
import { AGENT_VERSION } from '../version';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { isCode, readOptionalAttribute } from './sysfs-io';

export interface AgentCapabilities {
  deviceHandlers(): string[];
  storageDrivers(): string[];
}

export async function guestDetails(
  paths: SystemPaths,
  request: GuestDetailsRequest,
  capabilities: AgentCapabilities,
): Promise<GuestDetailsResponse> {
  return {
    mem_block_size_bytes: request.mem_block_size ? BigInt(await memoryBlockSize(paths)) : 0n,
    support_mem_hotplug_probe: request.mem_hotplug_probe ? await supportsProbe(paths) : false,
    agent_details: await agentDetails(paths, capabilities),
  };
}

/** Size of a memory hotplug block; 0 when the kernel has no memory hotplug. */
export async function memoryBlockSize(paths: SystemPaths): Promise<number> {
  const file = paths.memoryBlockSize;
  let text: string | undefined;
  try {
    text = await readOptionalAttribute(file);
  } catch (err) {
    throw unknown(`cannot read ${file}: ${errorText(err)}`);
  }
  if (text === undefined) return 0;
  if (!text) throw unknown(`${file} is empty`);
  const hex = text.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,13}$/.test(hex)) throw unknown(`${file}: ${JSON.stringify(text)} is not a hex number`);
  return parseInt(hex, 16);
}

/**
 * Whether the host should use MemHotplugByProbe: the probe file exists and ACPI
 * memory hotplug, which adds memory by itself, is not enabled.
 */
export async function supportsProbe(paths: SystemPaths): Promise<boolean> {
  try {
    await stat(paths.memoryProbe);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw unknown(`cannot stat ${paths.memoryProbe}: ${errorText(err)}`);
  }
  const acpi = await readOptionalAttribute(paths.acpiMemoryHotplug).catch(() => undefined);
  return acpi !== '1';
}

async function agentDetails(paths: SystemPaths, capabilities: AgentCapabilities): Promise<AgentDetails> {
  return {
    version: AGENT_VERSION,
    init_daemon: process.pid === 1,
    device_handlers: capabilities.deviceHandlers(),
    storage_handlers: capabilities.storageDrivers(),
    supports_seccomp: await kernelSupportsSeccomp(paths),
  };
}

/** The kernel reports a Seccomp mode for every task when built with seccomp; else ask its config. */
export async function kernelSupportsSeccomp(paths: SystemPaths): Promise<boolean> {
  try {
    const status = await readFile(paths.selfStatus, 'utf8');
    if (/^Seccomp:/m.test(status)) return true;
  } catch {
    // no procfs: fall through to the kernel config
  }
  try {
    const config = gunzipSync(await readFile(paths.kernelConfig)).toString('utf8');
    return /^CONFIG_SECCOMP=y$/m.test(config);
  } catch {
    return false;
  }
}
