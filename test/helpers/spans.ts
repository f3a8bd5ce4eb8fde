// An in-memory span exporter that survives the tracer's shutdown (the stock one
// forgets its spans then), and lookups for assertions.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }

  named(name: string): ReadableSpan[] {
    return this.getFinishedSpans().filter((s) => s.name === name);
  }

  /** The one span called `name`; fails when there is none or several. */
  one(name: string): ReadableSpan {
    const found = this.named(name);
    if (found.length !== 1)
      throw new Error(
        `expected one span ${name}, found ${found.length} among ${this.getFinishedSpans().map((s) => s.name)}`,
      );
    return found[0];
  }
}

export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    child.parentSpanContext?.spanId === parent.spanContext().spanId
  );
}
