// StartTracing / StopTracing: switch dynamic tracing (src/tracing) on and off.
import type { AgentTracing } from '../../tracing/tracing';
import type { AgentHandlers } from '../types';

type TracingControl = Pick<AgentTracing, 'startTracing' | 'stopTracing'>;

export function tracingHandlers(tracing: TracingControl) {
  return {
    startTracing: async () => {
      await tracing.startTracing();
      return {};
    },
    stopTracing: async (_request, call) => {
      await tracing.stopTracing(call);
      return {};
    },
  } satisfies Partial<AgentHandlers>;
}
