// SetGuestDateTime: a guest resumed from a snapshot or paused for long has a stale
// clock. The setter is injected so that tests never touch a real clock.
import { native } from '../native';
import { internal, invalidArgument } from '../rpc/errors';
import { errorText } from './sysfs-io';

export type ClockSetter = (seconds: number, microseconds: number) => void;

export const systemClock: ClockSetter = (sec, usec) => native().settimeofday(sec, usec);

export function setGuestTime(
  seconds: number,
  microseconds: number,
  setClock: ClockSetter = systemClock,
): void {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalidArgument(`invalid time: Sec ${seconds}`);
  if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds >= 1_000_000) {
    throw invalidArgument(`invalid time: Usec ${microseconds} (expected 0-999999)`);
  }
  try {
    setClock(seconds, microseconds);
  } catch (err) {
    throw internal(`Could not set guest time: ${errorText(err)}`);
  }
}
