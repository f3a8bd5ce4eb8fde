// Hand-worked protobuf encodings of the 1.x wire contract. Each byte string was
// written field by field from the numbers in proto/*.proto (tag = number<<3 | wire type),
// so these tests catch a renumbered or retyped field, not just a codec round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CopyFileRequest,
  CreateContainerRequest,
  ExecProcessRequest,
  ReadStreamResponse,
  ReseedRandomDevRequest,
  SetGuestDateTimeRequest,
} from '../../src/generated/agent';
import { Interface, IPFamily } from '../../src/generated/types';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

interface Codec<T> {
  encode(m: T): { finish(): Uint8Array };
  decode(b: Uint8Array): T;
  fromPartial(p: never): T;
}

function checkGolden<T>(codec: Codec<T>, partial: unknown, golden: Buffer): void {
  const message = codec.fromPartial(partial as never);
  assert.equal(Buffer.from(codec.encode(message).finish()).toString('hex'), golden.toString('hex'), 'encoding');
  const decoded = codec.decode(golden);
  assert.deepEqual(decoded, message, 'decoding');
  assert.equal(Buffer.from(codec.encode(decoded).finish()).toString('hex'), golden.toString('hex'), 're-encoding');
}

test('CreateContainerRequest with a nested OCI spec', () => {
  const spec =
    `0a05${ascii('1.0.1')}` + // Version = 1
    `1207 2202${ascii('sh')} 3201${ascii('/')}` + // Process = 2 { Args = 4, Cwd = 6 }
    `1a0b 0a07${ascii('/rootfs')} 1001` + // Root = 3 { Path = 1, Readonly = 2 }
    `2a13 0a05${ascii('/proc')} 1204${ascii('proc')} 1a04${ascii('proc')}` + // Mounts = 5
    `4208 2206 1204 08808040`; // Linux = 8 { Resources = 4 { Memory = 2 { Limit = 1 (1 MiB) } } }
  const golden = hex(`0a02${ascii('c1')} 1202${ascii('e1')} 323c${spec} 3801`);
  checkGolden(
    CreateContainerRequest,
    {
      container_id: 'c1',
      exec_id: 'e1',
      OCI: {
        Version: '1.0.1',
        Process: { Args: ['sh'], Cwd: '/' },
        Root: { Path: '/rootfs', Readonly: true },
        Mounts: [{ destination: '/proc', source: 'proc', type: 'proc', options: [] }],
        Linux: { Resources: { Memory: { Limit: 1048576 } } },
      },
      sandbox_pidns: true,
    },
    golden,
  );
});

test('ExecProcessRequest: process is field 4', () => {
  const golden = hex(`0a02${ascii('c1')} 1201${ascii('x')} 220f 0801 2202${ascii('ls')} 2202${ascii('-l')} 2a03${ascii('A=b')}`);
  checkGolden(
    ExecProcessRequest,
    { container_id: 'c1', exec_id: 'x', process: { Terminal: true, Args: ['ls', '-l'], Env: ['A=b'] } },
    golden,
  );
});

test('ReadStreamResponse carries raw bytes in field 1', () => {
  checkGolden(ReadStreamResponse, { data: Buffer.from('hello') }, hex(`0a05${ascii('hello')}`));
});

test('types.Interface with IPv4 and IPv6 addresses', () => {
  const golden = hex(
    `0a04${ascii('eth0')} 1204${ascii('eth0')}` +
      `1a0e 1208${ascii('10.0.0.2')} 1a02${ascii('24')}` + // family v4 = 0 is not written
      `1a0f 0801 1207${ascii('fd00::2')} 1a02${ascii('64')}` +
      `20dc0b` + // mtu = 4: 1500
      `2a11${ascii('02:00:00:00:00:01')}`,
  );
  checkGolden(
    Interface,
    {
      device: 'eth0',
      name: 'eth0',
      IPAddresses: [
        { family: IPFamily.v4, address: '10.0.0.2', mask: '24' },
        { family: IPFamily.v6, address: 'fd00::2', mask: '64' },
      ],
      mtu: 1500,
      hwAddr: '02:00:00:00:00:01',
    },
    golden,
  );
});

test('CopyFileRequest: negative int32 uid is a ten-byte varint', () => {
  const golden = hex(
    `0a06${ascii('/run/a')} 100a 18a403 20ed03 28ffffffffffffffffff01 3805 4205${ascii('hello')}`,
  );
  checkGolden(
    CopyFileRequest,
    { path: '/run/a', file_size: 10, file_mode: 0o644, dir_mode: 0o755, uid: -1, gid: 0, offset: 5, data: Buffer.from('hello') },
    golden,
  );
});

test('SetGuestDateTimeRequest: Sec = 1, Usec = 2', () => {
  checkGolden(SetGuestDateTimeRequest, { Sec: 1700000000, Usec: 123456 }, hex('0880e2cfaa06 10c0c407'));
});

test('ReseedRandomDevRequest: data is field 2', () => {
  checkGolden(ReseedRandomDevRequest, { data: Buffer.from([1, 2, 3]) }, hex('1203 010203'));
  // A field-1 payload (never part of the protocol) is skipped, not taken as data.
  assert.equal(ReseedRandomDevRequest.decode(hex('0a03010203')).data.length, 0);
});
