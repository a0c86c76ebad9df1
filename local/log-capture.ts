/**
 * The local stand-in for CloudWatch Logs: the handlers' Powertools JSON lines and metrics (written to
 * stdout and stderr, as in Lambda) are diverted to a sink instead of the terminal, so `npm start` prints its table
 * and tests can scan every log line for key material.
 */
/** A Powertools logger line, or a metrics (EMF) line. */
const POWERTOOLS_LINE = /^\{"(level":"[A-Z]+".*"service":|_aws":)/;

export interface LogCapture {
  readonly lines: string[];
  stop(): void;
}

/**
 * Diverts Powertools lines from stdout and stderr (Powertools writes warnings and errors to
 * stderr) until `stop()`; anything else still reaches the terminal.
 */
export function captureLambdaLogs(onLine?: (line: string) => void): LogCapture {
  const lines: string[] = [];
  const divert = (stream: NodeJS.WriteStream) => {
    const original = stream.write.bind(stream);
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
    stream.write = write as typeof stream.write;
    return () => {
      stream.write = original;
    };
  };
  const restores = [divert(process.stdout), divert(process.stderr)];
  return {
    lines,
    stop: () => {
      for (const restore of restores) restore();
    },
  };
}
