import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { captureLambdaLogs } from '#local/log-capture.ts';

describe('captureLambdaLogs', () => {
  it('diverts Powertools lines of every level, errors on stderr included, and nothing else', () => {
    // Prepare
    const logger = new Logger({ serviceName: 'log-capture-test' });
    const passedThrough: string[] = [];
    const originalStderr = process.stderr.write;
    process.stderr.write = ((chunk: string) => passedThrough.push(chunk) > 0) as typeof process.stderr.write;
    // Act
    const capture = captureLambdaLogs();
    try {
      logger.info('an info line');
      logger.error('an error line');
      process.stderr.write('not a Powertools line\n');
    } finally {
      capture.stop();
      process.stderr.write = originalStderr;
    }
    // Assess
    const messages = capture.lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toEqual(['an info line', 'an error line']);
    expect(passedThrough).toEqual(['not a Powertools line\n']);
  });
});
