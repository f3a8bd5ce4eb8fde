// Counts other modules report for the metrics endpoint. Modules register a
// reader (e.g. the sandbox: `gauges.register('containers', () => containers.size)`)
// or set a value; nothing is read unless metrics are served.
export type GaugeName = 'containers' | 'processes';

export class AgentGauges {
  private readonly readers = new Map<GaugeName, () => number>();

  /** `read` is called at each scrape. */
  register(name: GaugeName, read: () => number): void {
    this.readers.set(name, read);
  }

  set(name: GaugeName, value: number): void {
    this.readers.set(name, () => value);
  }

  /** The current value, or undefined when nothing reports it. */
  read(name: GaugeName): number | undefined {
    return this.readers.get(name)?.();
  }
}
