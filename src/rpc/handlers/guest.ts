// RPCs acting on the guest as a whole: CPU/memory hotplug, guest details,
// entropy, clock and file copies. They validate and delegate to src/guest/.
import { setGuestTime } from '../../guest/clock';
import { guestDetails } from '../../guest/details';
import type { GuestOperations } from '../../guest/index';
import { probeMemory } from '../../guest/mem-probe';
import { reseedRandom } from '../../guest/random';
import { errorText } from '../../common/error-text';
import { invalidArgument, unknown } from '../../common/errors';
import { requireField } from '../validate';
import type { AgentHandlers } from '../types';

type GuestHandlers = Pick<
  AgentHandlers,
  | 'onlineCPUMem'
  | 'memHotplugByProbe'
  | 'getGuestDetails'
  | 'reseedRandomDev'
  | 'setGuestDateTime'
  | 'copyFile'
>;

export function guestHandlers(ops: GuestOperations): GuestHandlers {
  const handlers: GuestHandlers = {
    async onlineCPUMem(request, call) {
      const { nb_cpus: nbCpus, cpu_only: cpuOnly, wait } = request;
      if (!Number.isInteger(nbCpus) || nbCpus < 0) throw invalidArgument(`invalid nb_cpus ${nbCpus}`);
      if (cpuOnly && nbCpus === 0) {
        throw invalidArgument(`requested number of CPUs '${nbCpus}' must be greater than 0`);
      }
      const work = ops.onliner.online(nbCpus, cpuOnly);
      if (!wait) {
        work.catch((err) => call.log.error({ error: errorText(err) }, 'onlining CPUs and memory failed'));
        return {};
      }
      try {
        await work;
      } catch (err) {
        throw unknown(errorText(err));
      }
      return {};
    },

    async memHotplugByProbe(request) {
      await probeMemory(ops.paths, request.memHotplugProbeAddr ?? []);
      return {};
    },

    getGuestDetails: (request) => guestDetails(ops.paths, request, ops.capabilities),

    async reseedRandomDev(request) {
      await reseedRandom(ops.paths, request.data, ops.log, ops.entropy);
      return {};
    },

    async setGuestDateTime(request) {
      setGuestTime(request.Sec, request.Usec, ops.clock);
      return {};
    },

    async copyFile(request) {
      requireField(request.data, 'data');
      await ops.copier.copy(request);
      return {};
    },
  };
  return handlers;
}
