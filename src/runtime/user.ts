// Process.User.Username ("name", "name:group", "uid:gid") resolved against the
// container's own /etc/passwd and /etc/group, as libcontainer did for 1.x; the
// OCI runtimes only take numeric ids. Supplementary groups listing the user are
// added to the host's AdditionalGids.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../common/errors';

interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

function readDb(rootfs: string, file: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path.join(rootfs, 'etc', file), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const isNumber = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(
  rootfs: string,
  username: string,
  additionalGids: readonly number[],
): ResolvedUser {
  const [userPart, groupPart] = username.split(':', 2);
  const passwd = readDb(rootfs, 'passwd');
  let uid: number;
  let gid: number;
  let name: string | undefined;
  const entry = passwd.find((f) => f[0] === userPart || (isNumber(userPart) && f[2] === userPart));
  if (entry) {
    name = entry[0];
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  } else if (isNumber(userPart)) {
    uid = Number(userPart);
    gid = uid;
  } else {
    throw invalidArgument(`unable to find user ${userPart} in the container's /etc/passwd`);
  }
  const groups = readDb(rootfs, 'group');
  if (groupPart !== undefined) {
    const g = groups.find((f) => f[0] === groupPart || (isNumber(groupPart) && f[2] === groupPart));
    if (g) gid = Number(g[2]);
    else if (isNumber(groupPart)) gid = Number(groupPart);
    else throw invalidArgument(`unable to find group ${groupPart} in the container's /etc/group`);
  }
  const extra = new Set(additionalGids);
  if (name) {
    for (const g of groups) if ((g[3] ?? '').split(',').includes(name)) extra.add(Number(g[2]));
  }
  extra.delete(gid);
  return { uid, gid, additionalGids: [...extra] };
}
