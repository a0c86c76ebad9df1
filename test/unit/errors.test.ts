/** The domain's errors: one name per class, the workflow contract Step Functions matches. */
import { describe, expect, it } from 'vitest';
import * as errors from '#core/errors.ts';
import {
  ConflictError,
  FatalError,
  NOT_YET_VALID_ERROR_NAME,
  ProvisionerError,
  RETRYABLE_ERROR_NAMES,
  STILL_VALID_ERROR_NAME,
  ValidationError,
} from '#core/errors.ts';

const errorClasses = Object.values(errors).filter(
  (value): value is typeof ProvisionerError =>
    typeof value === 'function' && value.prototype instanceof ProvisionerError,
);

describe('error names', () => {
  it('gives every error class its own name, carried by its instances as Step Functions sees it', () => {
    // Prepare
    const names = errorClasses.map((errorClass) => errorClass.errorName);
    // Act
    const instances = errorClasses.map((errorClass) =>
      Reflect.construct(
        errorClass,
        Object.is(errorClass, errors.IntakeError) ? [400, 'refused'] : ['failed'],
      ),
    );
    // Assess
    expect(errorClasses.length).toBeGreaterThanOrEqual(11);
    expect(errorClasses.every((errorClass) => Object.hasOwn(errorClass, 'errorName'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(instances.map((error) => error.name)).toEqual(names);
  });

  it('keeps the names of the workflow contract, the ones lib/workflows retries on', () => {
    // Act
    const contract = {
      retryable: RETRYABLE_ERROR_NAMES,
      notYetValid: NOT_YET_VALID_ERROR_NAME,
      stillValid: STILL_VALID_ERROR_NAME,
    };
    // Assess: renaming one is a change of the state machines' Retry / Catch.
    expect(contract).toEqual({
      retryable: ['RetryableError'],
      notYetValid: 'CredentialNotYetValid',
      stillValid: 'CredentialStillValid',
    });
    expect(new ValidationError('bad request', ['a: wrong']).name).toBe('ValidationError');
    expect(new ValidationError('bad request', ['a: wrong']).message).toBe('bad request: a: wrong');
    expect(new ConflictError('taken')).toBeInstanceOf(FatalError);
  });
});
