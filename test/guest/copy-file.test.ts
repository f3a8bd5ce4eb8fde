import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Code as status } from '../../src/common/status';
import { FileCopier } from '../../src/guest/copy-file';
import type { CopyFileRequest } from '../../src/generated/agent';
import { AgentError } from '../../src/common/errors';

const MAX = 1024 * 1024;

function guestTree(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'copyfile-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'run/dir'), { recursive: true });
  mkdirSync(path.join(root, 'outside'));
  writeFileSync(path.join(root, 'outside/victim'), 'original');
  symlinkSync('../outside', path.join(root, 'run/link-out'));
  symlinkSync('../../outside', path.join(root, 'run/dir/link-out'));
  symlinkSync('../outside/victim', path.join(root, 'run/target-link'));
  symlinkSync('../outside/new-file', path.join(root, 'run/dangling'));
  return { root, copier: new FileCopier(root, MAX) };
}

/** Every path below the guest root except under run/, with file contents. */
function outsideRun(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (rel === 'run') continue;
      const info = lstatSync(full);
      out.push(`${rel} ${info.isFile() ? readFileSync(full, 'utf8') : info.isDirectory() ? 'dir' : 'other'}`);
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

const chunk = (fields: Partial<CopyFileRequest>): CopyFileRequest => ({
  path: '/run/file',
  file_size: 5n,
  file_mode: 0o644,
  dir_mode: 0o755,
  uid: -1,
  gid: -1,
  offset: 0n,
  data: Buffer.from('hello'),
  ...fields,
});

test('chunks land in place with mode, owner and exact parent modes', async (t) => {
  const { root, copier } = guestTree(t);
  const target = '/run/kata-containers/shared/c1/hostname';
  await copier.copy(
    chunk({
      path: target,
      file_size: 10n,
      data: Buffer.from('hello'),
      dir_mode: 0o750,
      file_mode: 0o100640,
      uid: 1234,
      gid: 5678,
    }),
  );
  assert.equal(existsSync(path.join(root, target)), false, 'not visible before the last chunk');
  await copier.copy(
    chunk({
      path: target,
      file_size: 10n,
      offset: 5n,
      data: Buffer.from('world'),
      dir_mode: 0o750,
      file_mode: 0o100640,
      uid: 1234,
      gid: 5678,
    }),
  );
  const local = path.join(root, target);
  assert.equal(readFileSync(local, 'utf8'), 'helloworld');
  const info = statSync(local);
  assert.equal(info.mode & 0o7777, 0o640);
  assert.deepEqual([info.uid, info.gid], [1234, 5678]);
  for (const dir of ['run/kata-containers', 'run/kata-containers/shared', 'run/kata-containers/shared/c1']) {
    assert.equal(statSync(path.join(root, dir)).mode & 0o7777, 0o750, dir);
  }
  assert.deepEqual(
    readdirSync(path.join(root, 'run/kata-containers/shared/c1')),
    ['hostname'],
    'no temporary left',
  );
});

test('an empty file, a replaced file, and a restarted transfer', async (t) => {
  const { root, copier } = guestTree(t);
  await copier.copy(chunk({ path: '/run/empty', file_size: 0n, data: Buffer.alloc(0) }));
  assert.equal(readFileSync(path.join(root, 'run/empty'), 'utf8'), '');
  writeFileSync(path.join(root, 'run/dir/existing'), 'old content, longer');
  await copier.copy(chunk({ path: '/run/dir/existing' }));
  assert.equal(readFileSync(path.join(root, 'run/dir/existing'), 'utf8'), 'hello');
  // An aborted transfer left a partial temporary file; a new first chunk starts over.
  await copier.copy(chunk({ path: '/run/restart', file_size: 8n, data: Buffer.from('abc') }));
  await copier.copy(chunk({ path: '/run/restart', file_size: 4n, data: Buffer.from('wxyz') }));
  assert.equal(readFileSync(path.join(root, 'run/restart'), 'utf8'), 'wxyz');
});

test('attack table: every case refused, nothing written outside run', async (t) => {
  const { root, copier } = guestTree(t);
  // Temporary files planted by someone else.
  symlinkSync('../outside/victim', path.join(root, 'run/.planted-link.copying'));
  linkSync(path.join(root, 'outside/victim'), path.join(root, 'run/.planted-hardlink.copying'));
  execFileSync('mkfifo', [path.join(root, 'run/.planted-fifo.copying')]);
  const before = outsideRun(root);

  const cases: [string, Partial<CopyFileRequest>, status, RegExp][] = [
    ['traversal', { path: '/run/../outside/victim' }, status.INVALID_ARGUMENT, /not canonical/],
    ['deep traversal', { path: '/run/dir/../../outside/x' }, status.INVALID_ARGUMENT, /not canonical/],
    ['dot component', { path: '/run/./x' }, status.INVALID_ARGUMENT, /not canonical/],
    ['double slash', { path: '/run//x' }, status.INVALID_ARGUMENT, /not canonical/],
    ['trailing slash', { path: '/run/x/' }, status.INVALID_ARGUMENT, /not canonical/],
    [
      'symlinked parent',
      { path: '/run/link-out/x' },
      status.FAILED_PRECONDITION,
      /link-out is a symbolic link/,
    ],
    [
      'deep symlinked parent',
      { path: '/run/dir/link-out/sub/x' },
      status.FAILED_PRECONDITION,
      /symbolic link/,
    ],
    ['symlinked target', { path: '/run/target-link' }, status.FAILED_PRECONDITION, /is a symbolic link/],
    ['dangling symlink target', { path: '/run/dangling' }, status.FAILED_PRECONDITION, /is a symbolic link/],
    ['directory target', { path: '/run/dir' }, status.FAILED_PRECONDITION, /not a regular file/],
    ['/run2 prefix trick', { path: '/run2/x' }, status.INVALID_ARGUMENT, /not below \/run/],
    ['/running prefix trick', { path: '/running/x' }, status.INVALID_ARGUMENT, /not below \/run/],
    ['run itself', { path: '/run' }, status.INVALID_ARGUMENT, /not below \/run/],
    ['relative path', { path: 'run/x' }, status.INVALID_ARGUMENT, /not absolute/],
    ['empty path', { path: '' }, status.INVALID_ARGUMENT, /empty/],
    ['outside entirely', { path: '/etc/passwd' }, status.INVALID_ARGUMENT, /not below \/run/],
    ['NUL byte', { path: '/run/x\0/../etc' }, status.INVALID_ARGUMENT, /NUL/],
    [
      'huge size',
      { path: '/run/big', file_size: BigInt(MAX) + 1n, data: Buffer.alloc(0) },
      status.INVALID_ARGUMENT,
      /exceeds the limit/,
    ],
    ['negative size', { file_size: -1n }, status.INVALID_ARGUMENT, /invalid file_size/],
    ['chunk past the size', { file_size: 3n }, status.INVALID_ARGUMENT, /goes past file_size/],
    ['negative offset', { offset: -5n }, status.INVALID_ARGUMENT, /invalid offset/],
    [
      'first chunk not at 0',
      { path: '/run/fresh', file_size: 10n, offset: 5n },
      status.INVALID_ARGUMENT,
      /no transfer in progress/,
    ],
    [
      'symlinked temporary',
      { path: '/run/planted-link', file_size: 20n, offset: 8n },
      status.FAILED_PRECONDITION,
      /was replaced/,
    ],
    [
      'hard-linked temporary',
      { path: '/run/planted-hardlink', file_size: 20n, offset: 8n },
      status.FAILED_PRECONDITION,
      /was replaced/,
    ],
    [
      'FIFO temporary',
      { path: '/run/planted-fifo', file_size: 20n, offset: 1n },
      status.FAILED_PRECONDITION,
      /was replaced/,
    ],
  ];
  for (const [name, fields, code, message] of cases) {
    await assert.rejects(copier.copy(chunk(fields)), (err: unknown) => {
      assert.ok(err instanceof AgentError, `${name}: ${String(err)}`);
      assert.equal(err.code, code, `${name}: ${err.message}`);
      assert.match(err.message, message, name);
      return true;
    });
  }
  assert.deepEqual(outsideRun(root), before, 'nothing outside run changed');
  assert.equal(readFileSync(path.join(root, 'outside/victim'), 'utf8'), 'original');
  assert.equal(existsSync(path.join(root, 'run2')), false);
});

test('skipping or overlapping chunks are refused and the transfer continues', async (t) => {
  const { root, copier } = guestTree(t);
  const p = '/run/dir/seq';
  await copier.copy(chunk({ path: p, file_size: 10n, data: Buffer.from('hello') }));
  await assert.rejects(
    copier.copy(chunk({ path: p, file_size: 10n, offset: 7n, data: Buffer.from('ld') })),
    /does not continue the 5 bytes/,
  );
  await assert.rejects(
    copier.copy(chunk({ path: p, file_size: 10n, offset: 3n, data: Buffer.from('loworld') })),
    /does not continue/,
  );
  await copier.copy(chunk({ path: p, file_size: 10n, offset: 5n, data: Buffer.from('world') }));
  assert.equal(readFileSync(path.join(root, p), 'utf8'), 'helloworld');
});

test('a first chunk over a planted temporary symlink replaces the link, never follows it', async (t) => {
  const { root, copier } = guestTree(t);
  symlinkSync('../outside/victim', path.join(root, 'run/.file.copying'));
  await copier.copy(chunk({}));
  assert.equal(readFileSync(path.join(root, 'run/file'), 'utf8'), 'hello');
  assert.equal(readFileSync(path.join(root, 'outside/victim'), 'utf8'), 'original');
});

test('a symlinked /run itself is refused', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'copyfile-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'elsewhere'));
  symlinkSync('elsewhere', path.join(root, 'run'));
  await assert.rejects(new FileCopier(root, MAX).copy(chunk({})), /\/run is a symbolic link/);
  assert.deepEqual(readdirSync(path.join(root, 'elsewhere')), []);
});

test('concurrent chunks of one file are applied in order', async (t) => {
  const { root, copier } = guestTree(t);
  const parts = ['aa', 'bb', 'cc', 'dd'];
  await Promise.all(
    parts.map((data, i) =>
      copier.copy(
        chunk({ path: '/run/ordered', file_size: 8n, offset: BigInt(i * 2), data: Buffer.from(data) }),
      ),
    ),
  );
  assert.equal(readFileSync(path.join(root, 'run/ordered'), 'utf8'), 'aabbccdd');
});
