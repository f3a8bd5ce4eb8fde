// SetGuestDateTime: a guest resumed from a snapshot or paused for long has a stale
// clock. The setter is injected so that tests never touch a real clock.
import { native } from '../native';
import { internal, invalidArgument } from '../common/errors';
import { errorText } from '../common/error-text';

export type ClockSetter = (seconds: number, microseconds: number) => void;

export const systemClock: ClockSetter = (sec, usec) => native().settimeofday(sec, usec);

export function setGuestTime(
  seconds: bigint,
  microseconds: bigint,
  setClock: ClockSetter = systemClock,
): void {
  if (seconds < 0n || seconds > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalidArgument(`invalid time: Sec ${seconds}`);
  if (microseconds < 0n || microseconds >= 1_000_000n) {
    throw invalidArgument(`invalid time: Usec ${microseconds} (expected 0-999999)`);
  }
  try {
    setClock(Number(seconds), Number(microseconds));
  } catch (err) {
    throw internal(`Could not set guest time: ${errorText(err)}`);
  }
}
