// Gives memory back once a burst of traffic is over. Request bodies, gzip
// output and flood frames live in Buffers whose memory V8 frees only when it
// collects their wrappers, and an idle agent allocates nothing, so nothing
// triggers that collection: after a burst the agent would sit on it (150 MB
// after a burst of gzip bombs, against 66 MB idle). Once enough bytes have
// moved, a full collection runs after a quiet spell, and glibc hands the
// freed pages back to the kernel.
import v8 from 'node:v8';
import vm from 'node:vm';
import { native } from '../native';

const CHURN_BYTES = 32 * 1024 * 1024;
const QUIET_MS = 2000;
// Connections torn down after the burst free their buffers later still: one more pass.
const FOLLOW_UP_MS = 8000;

let collect: (() => void) | null | undefined;
let churned = 0;
let timer: NodeJS.Timeout | undefined;

/** V8's gc(), made reachable without a command-line flag; null where that fails. */
function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Counts bytes read or written; past the threshold, a collection follows the next quiet spell. */
export function noteChurn(bytes: number): void {
  churned += bytes;
  // One timer per burst, not one per chunk: it looks again while bytes keep moving.
  if (churned >= CHURN_BYTES && timer === undefined) waitForQuiet();
}

function waitForQuiet(): void {
  const seen = churned;
  timer = setTimeout(() => {
    timer = undefined;
    if (churned !== seen) waitForQuiet();
    else collectNow(true);
  }, QUIET_MS);
  timer.unref();
}

function collectNow(followUp: boolean): void {
  churned = 0;
  collector()?.();
  native().trimMemory();
  if (followUp) {
    timer = setTimeout(() => {
      timer = undefined;
      collectNow(false);
    }, FOLLOW_UP_MS);
    timer.unref();
  }
}

/** Large buffers in mappings of their own, so freeing them returns memory at once (128 KiB, glibc's default). */
export function keepLargeBuffersMapped(): void {
  native().fixMmapThreshold(128 * 1024);
}
