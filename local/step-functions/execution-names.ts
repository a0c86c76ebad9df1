/**
 * Execution names as StartExecution accepts them (API reference, StartExecution, `name`): 1 to 80
 * characters (a ValidationException beyond, as for every length constraint), and none of white
 * space, brackets `< > { } [ ]`, wildcards `? *`, the special characters `" # % \ ^ | ~ \` $ & , ; : /`
 * or control characters (U+0000-001F, U+007F-009F): InvalidName, "Invalid Name: '<name>'" (as AWS
 * answers for activity names in LocalStack's recorded test_sfn_api_activities.snapshot.json).
 */
import { AwsServiceError } from '../aws-json-server.ts';

const MAX_NAME_LENGTH = 80;
const FORBIDDEN = new Set('<>{}[]?*"#%\\^|~`$&,;:/');

function forbidden(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return FORBIDDEN.has(char) || /\s/u.test(char) || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

export function requireExecutionName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${String(name ?? '')}' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAME_LENGTH}`,
    );
  }
  if ([...name].some(forbidden)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
  return name;
}
