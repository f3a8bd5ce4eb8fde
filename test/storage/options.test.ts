import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kernel from '../../src/guest/kernel';
import { native } from '../../src/native';
import * as mountFlags from '../../src/common/mount-flags';
import { parseMountOptions } from '../../src/common/mount-flags';
import { parseKeyValueOptions } from '../../src/storage/mount-options';

const k = mountFlags;

test('flag words become flags, everything else is data in order', () => {
  assert.deepEqual(
    parseMountOptions(['ro', 'nodev', 'trans=virtio', 'version=9p2000.L', 'nosuid', 'cache=mmap']),
    {
      flags: k.MS_RDONLY | k.MS_NODEV | k.MS_NOSUID,
      propagation: 0,
      data: 'trans=virtio,version=9p2000.L,cache=mmap',
    },
  );
  const each: [string, number][] = [
    ['acl', k.MS_POSIXACL],
    ['bind', k.MS_BIND],
    ['defaults', 0],
    ['dirsync', k.MS_DIRSYNC],
    ['iversion', k.MS_I_VERSION],
    ['lazytime', k.MS_LAZYTIME],
    ['mand', k.MS_MANDLOCK],
    ['noatime', k.MS_NOATIME],
    ['nodev', k.MS_NODEV],
    ['nodiratime', k.MS_NODIRATIME],
    ['noexec', k.MS_NOEXEC],
    ['nosuid', k.MS_NOSUID],
    ['rbind', k.MS_BIND | k.MS_REC],
    ['relatime', k.MS_RELATIME],
    ['remount', k.MS_REMOUNT],
    ['ro', k.MS_RDONLY],
    ['silent', k.MS_SILENT],
    ['strictatime', k.MS_STRICTATIME],
    ['sync', k.MS_SYNCHRONOUS],
  ];
  for (const [word, flag] of each) {
    assert.deepEqual(
      parseMountOptions([word, 'size=1m']),
      { flags: flag, propagation: 0, data: 'size=1m' },
      word,
    );
  }
});

test('clearing words undo earlier flags and are not passed as data', () => {
  assert.deepEqual(parseMountOptions(['ro', 'nosuid', 'rw', 'suid', 'exec', 'async', 'dev']), {
    flags: 0,
    propagation: 0,
    data: '',
  });
});

test('propagation words are kept apart for their own mount call', () => {
  assert.deepEqual(parseMountOptions(['bind', 'rslave']), {
    flags: k.MS_BIND,
    propagation: k.MS_SLAVE | k.MS_REC,
    data: '',
  });
  assert.equal(parseMountOptions(['private']).propagation, k.MS_PRIVATE);
  assert.equal(parseMountOptions(['runbindable']).propagation, k.MS_UNBINDABLE | k.MS_REC);
});

test('words named like object properties are data, not flags', () => {
  assert.deepEqual(parseMountOptions(['constructor', 'toString', '__proto__']), {
    flags: 0,
    propagation: 0,
    data: 'constructor,toString,__proto__',
  });
});

test('key=value options', () => {
  assert.deepEqual(
    [...parseKeyValueOptions(['mode=0750', 'noequals', '=x', 'a=b=c', 'empty='])],
    [
      ['mode', '0750'],
      ['a', 'b=c'],
      ['empty', ''],
    ],
  );
});

test('the mount constants agree with the kernel headers the addon was built with', () => {
  const c = native().constants;
  for (const table of [kernel, mountFlags]) {
    for (const [name, value] of Object.entries(table)) {
      if (typeof value === 'number' && name in c) assert.equal(value, c[name], name);
    }
  }
  assert.equal(kernel.NETLINK_KOBJECT_UEVENT, c.NETLINK_KOBJECT_UEVENT);
  assert.equal(mountFlags.MS_BIND, c.MS_BIND);
});
