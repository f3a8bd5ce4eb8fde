// grpc.Health: the agent is SERVING whenever it answers at all.
import { HealthCheckResponse_ServingStatus } from '../../generated/health';
import { AGENT_VERSION, GRPC_API_VERSION } from '../../version';
import type { HealthHandlers } from '../types';

export function healthHandlers(): HealthHandlers {
  return {
    check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
    version: async () => ({ grpc_version: GRPC_API_VERSION, agent_version: AGENT_VERSION }),
  };
}
