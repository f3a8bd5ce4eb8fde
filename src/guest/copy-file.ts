// CopyFile: the host copies a file into the guest in chunks. Only places below
// <guest root>/run may be written, and the path is walked one directory at a
// time from an open directory without following any symbolic link, so nothing a
// container plants under /run can redirect a write elsewhere. Chunks go into a
// private temporary file beside the target, which is renamed into place once the
// announced size is reached.
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { CopyFileRequest } from '../generated/agent';
import { failedPrecondition, invalidArgument } from '../common/errors';
import { KeyedMutex } from '../common/mutex';
import { pathInOpenDirectory } from '../common/system-paths';
import { isCode } from './sysfs-io';

const O = constants;
const DIRECTORY = O.O_RDONLY | O.O_DIRECTORY | O.O_NOFOLLOW;
// O_NONBLOCK: a FIFO planted where a file is expected fails at open instead of blocking.
const NEW_TEMP = O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW | O.O_NONBLOCK;
const EXISTING_TEMP = O.O_WRONLY | O.O_NOFOLLOW | O.O_NONBLOCK;
const NAME_MAX = 255;

export class FileCopier {
  private readonly busy = new KeyedMutex<string>();

  constructor(
    /** Prefix of the guest's filesystem ("" in a guest). */
    private readonly guestRoot: string,
    /** Largest file_size accepted. */
    private readonly maxBytes: number,
  ) {}

  async copy(request: CopyFileRequest): Promise<void> {
    const components = checkPath(request.path);
    checkNumbers(request, this.maxBytes);
    // Chunks of one file are applied in order, one at a time.
    await this.busy.run(request.path, () => this.writeChunk(request, components));
  }

  private async writeChunk(request: CopyFileRequest, components: string[]): Promise<void> {
    const dirMode = request.dir_mode & 0o7777;
    let dir = await openDirectory(path.join(this.guestRoot || '/', 'run'), '/run');
    try {
      let shown = '/run';
      for (const name of components.slice(1, -1)) {
        shown += '/' + name;
        const next = await enterDirectory(dir, name, dirMode, shown);
        await dir.close();
        dir = next;
      }
      const name = components[components.length - 1];
      await checkTarget(dir, name, request.path);
      await writeTemporary(dir, name, request);
    } finally {
      await dir.close();
    }
  }
}

/** The components of an absolute, canonical path strictly below /run. */
function checkPath(p: string): string[] {
  if (!p) throw invalidArgument('CopyFile path is empty');
  if (!p.startsWith('/')) throw invalidArgument(`CopyFile path ${JSON.stringify(p)} is not absolute`);
  if (p.includes('\0')) throw invalidArgument('CopyFile path contains a NUL byte');
  const components = p.split('/').slice(1);
  if (components.some((c) => c === '' || c === '.' || c === '..')) {
    throw invalidArgument(
      `CopyFile path ${JSON.stringify(p)} is not canonical (empty, '.' or '..' components)`,
    );
  }
  if (components[0] !== 'run' || components.length < 2) {
    throw invalidArgument(
      `CopyFile path ${JSON.stringify(p)} is not below /run: only files below /run can be copied`,
    );
  }
  // The temporary name adds a few characters to the last component.
  if (components.some((c) => Buffer.byteLength(c) > NAME_MAX - 16)) {
    throw invalidArgument(`CopyFile path ${JSON.stringify(p)} has a component too long`);
  }
  return components;
}

function checkNumbers(request: CopyFileRequest, maxBytes: number): void {
  const { file_size: size, offset, data } = request;
  if (size < 0n) throw invalidArgument(`invalid file_size ${size}`);
  if (size > BigInt(maxBytes))
    throw invalidArgument(`file_size ${size} exceeds the limit of ${maxBytes} bytes`);
  if (offset < 0n) throw invalidArgument(`invalid offset ${offset}`);
  if (offset + BigInt(data.length) > size) {
    throw invalidArgument(`chunk of ${data.length} bytes at offset ${offset} goes past file_size ${size}`);
  }
  for (const [field, id] of [
    ['uid', request.uid],
    ['gid', request.gid],
  ] as const) {
    if (!Number.isInteger(id) || id < -1) throw invalidArgument(`invalid ${field} ${id}`);
  }
}

async function openDirectory(p: string, shown: string): Promise<FileHandle> {
  try {
    return await open(p, DIRECTORY);
  } catch (err) {
    if (isCode(err, 'ELOOP') || isCode(err, 'ENOTDIR')) {
      throw failedPrecondition(`CopyFile: ${shown} is a symbolic link or not a directory`);
    }
    throw err;
  }
}

/** The subdirectory `name` of `dir`, created with `mode` if missing, never through a symbolic link. */
async function enterDirectory(
  dir: FileHandle,
  name: string,
  mode: number,
  shown: string,
): Promise<FileHandle> {
  const child = pathInOpenDirectory(dir.fd, name);
  let created = false;
  try {
    await mkdir(child, { mode });
    created = true;
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
  }
  const handle = await openDirectory(child, shown);
  // mkdir's mode went through the umask; the requested mode is exact.
  if (created) await handle.chmod(mode);
  return handle;
}

/** The target may be replaced only when it is missing or a regular file. */
async function checkTarget(dir: FileHandle, name: string, shown: string): Promise<void> {
  let info;
  try {
    info = await lstat(pathInOpenDirectory(dir.fd, name));
  } catch (err) {
    if (isCode(err, 'ENOENT')) return;
    throw err;
  }
  if (info.isSymbolicLink()) throw failedPrecondition(`CopyFile: ${shown} is a symbolic link`);
  if (!info.isFile()) throw failedPrecondition(`CopyFile: ${shown} exists and is not a regular file`);
}

async function writeTemporary(dir: FileHandle, name: string, request: CopyFileRequest): Promise<void> {
  const temp = pathInOpenDirectory(dir.fd, `.${name}.copying`);
  const file = request.offset === 0n ? await startTemporary(temp) : await resumeTemporary(temp, request);
  let finished = false;
  let keepTransfer = false;
  try {
    const info = await file.stat();
    // Our own file has one link, our owner, and holds exactly the chunks received.
    if (!info.isFile() || info.nlink !== 1 || info.uid !== process.geteuid?.()) {
      throw failedPrecondition(`CopyFile: the temporary file of ${request.path} was replaced`);
    }
    if (info.size !== Number(request.offset)) {
      keepTransfer = true;
      throw invalidArgument(
        `CopyFile ${request.path}: chunk offset ${request.offset} does not continue the ${info.size} bytes received`,
      );
    }
    await writeAll(file, request.data, Number(request.offset));
    if (request.offset + BigInt(request.data.length) < request.file_size) return;
    await file.chmod(request.file_mode & 0o7777);
    if (request.uid !== -1 || request.gid !== -1) await file.chown(request.uid, request.gid);
    await file.close();
    finished = true;
    await rename(temp, pathInOpenDirectory(dir.fd, name));
  } catch (err) {
    // A chunk out of order leaves the transfer as it was; anything else abandons it.
    if (!keepTransfer) await unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    if (!finished) await file.close().catch(() => undefined);
  }
}

/** The first chunk starts afresh, whatever an aborted transfer left behind. */
async function startTemporary(temp: string): Promise<FileHandle> {
  try {
    await unlink(temp);
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
  return await open(temp, NEW_TEMP, 0o600);
}

async function resumeTemporary(temp: string, request: CopyFileRequest): Promise<FileHandle> {
  try {
    return await open(temp, EXISTING_TEMP);
  } catch (err) {
    if (isCode(err, 'ENOENT')) {
      throw invalidArgument(
        `CopyFile ${request.path}: offset ${request.offset} but no transfer in progress (the first chunk has offset 0)`,
      );
    }
    if (isCode(err, 'ELOOP') || isCode(err, 'ENXIO')) {
      throw failedPrecondition(`CopyFile: the temporary file of ${request.path} was replaced`);
    }
    throw err;
  }
}

async function writeAll(file: FileHandle, data: Buffer, offset: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, offset + done);
    if (bytesWritten === 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}
