/** What a failed step's cause says (`causeMessage` in lambdas/core/provision.ts). */
import { describe, expect, it } from 'vitest';
import { causeMessage } from '#core/step-error.ts';

describe('causeMessage', () => {
  it('gives the message of a Lambda error cause', () => {
    // Prepare
    const cause = JSON.stringify({
      errorType: 'Conflict',
      errorMessage: 'provisioner/fgt/bot already has a credential',
      trace: ['Conflict: ...', '    at validateRequest'],
    });
    // Act
    const message = causeMessage(cause);
    // Assess
    expect(message).toBe('provisioner/fgt/bot already has a credential');
  });

  it('gives the text of a cause that is not JSON, as Step Functions’ own errors are', () => {
    // Act
    const message = causeMessage('the task was not answered within TimeoutSeconds');
    // Assess
    expect(message).toBe('the task was not answered within TimeoutSeconds');
  });

  it.each([
    ['JSON without a message', '{"errorType":"Oops"}'],
    ['a message that is not text', '{"errorMessage":{"nested":true}}'],
    ['a JSON string', '"just text"'],
    ['JSON null', 'null'],
  ])('gives the whole cause for %s', (_, cause) => {
    // Act
    const message = causeMessage(cause);
    // Assess
    expect(message).toBe(cause);
  });

  it.each([
    ['no cause', undefined],
    ['an empty cause', ''],
  ])('says “unknown failure” for %s', (_, cause) => {
    // Act
    const message = causeMessage(cause);
    // Assess
    expect(message).toBe('unknown failure');
  });
});
