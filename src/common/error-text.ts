// One way to turn whatever was thrown into the text of a log line or a
// message: log lines carry it under the `error` key.

/** The message of an Error, the string of anything else thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
