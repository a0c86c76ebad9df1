/**
 * The local stand-in for CloudWatch Logs: the handlers' Powertools JSON lines and metrics (written to stdout,
 * as in Lambda) are diverted to a sink instead of the terminal, so `npm start` prints its table
 * and tests can scan every log line for key material.
 */
/** A Powertools logger line, or a metrics (EMF) line. */
const POWERTOOLS_LINE = /^\{"(level":"[A-Z]+".*"service":|_aws":)/;

export interface LogCapture {
  readonly lines: string[];
  stop(): void;
}

export function captureLambdaLogs(onLine?: (line: string) => void): LogCapture {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text !== undefined && POWERTOOLS_LINE.test(text)) {
      for (const line of text.split('\n').filter(Boolean)) {
        lines.push(line);
        onLine?.(line);
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  };
  process.stdout.write = write as typeof process.stdout.write;
  return {
    lines,
    stop: () => {
      process.stdout.write = original;
    },
  };
}
