/**
 * Secrets Manager's refusals in AWS's words. Each message is copied from a recorded AWS answer:
 * LocalStack's AWS-validated snapshots (github:localstack/localstack,
 * tests/aws/services/secretsmanager/test_secretsmanager.snapshot.json, test named beside it) or
 * moto's tests marked aws_verified (github:getmoto/moto, tests/test_secretsmanager/); the few
 * without a recording say so and follow the API reference's error list. Every one is HTTP 400.
 */
import { AwsServiceError } from '../aws-json-server.ts';

/** test_secret_not_found */
export const secretNotFound = () =>
  new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

/** test_secret_version_not_found */
export const stageNotFound = (stage: string) =>
  new AwsServiceError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
  );

/** test_secret_version_not_found */
export const versionNotFound = (versionId: string) =>
  new AwsServiceError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
  );

/** test_get_secret_value_errors */
export const stageNotOnVersion = () =>
  new AwsServiceError(
    'InvalidRequestException',
    'You provided a VersionStage that is not associated to the provided VersionId.',
  );

/** test_tag_untag_resource_on_deleted_secret */
export const markedForDeletion = () =>
  new AwsServiceError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

/** test_exp_raised_on_creation_of_secret_scheduled_for_deletion */
export const nameScheduledForDeletion = () =>
  new AwsServiceError(
    'InvalidRequestException',
    "You can't create this secret because a secret with this name is already scheduled for deletion.",
  );

/** test_secret_exists_snapshots; moto's test_create_duplicate_secret_without_specifying_token */
export const secretExists = (name: string) =>
  new AwsServiceError(
    'ResourceExistsException',
    `The operation failed because the secret ${name} already exists.`,
  );

/** moto's test_create_different_secret_with_same_token, test_put_/test_update_different_secret_value_with_same_token */
export const tokenInUse = (token: string, arn: string) =>
  new AwsServiceError(
    'ResourceExistsException',
    `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`,
  );

/** test_no_client_request_token[CreateSecret], [UpdateSecret], [PutSecretValue] */
export const tokenMissing = () =>
  new AwsServiceError(
    'InvalidRequestException',
    'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
  );

/** test_invalid_secret_name (CreateSecret and every operation's SecretId) */
export const invalidName = () =>
  new AwsServiceError(
    'ValidationException',
    'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
  );

/** moto's test_update_secret_version_stage_dont_specify_current_stage */
export const labelAttachedElsewhere = (stage: string, holder: string) =>
  new AwsServiceError(
    'InvalidParameterException',
    `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
  );

/**
 * Not recorded: moto's wording (tests/test_secretsmanager/test_secretsmanager.py,
 * test_delete_secret_recovery_window_invalid_values, not aws_verified); the DeleteSecret API
 * reference gives the range 7 to 30.
 */
export const recoveryWindowOutOfRange = () =>
  new AwsServiceError(
    'InvalidParameterException',
    'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
  );

/** Not recorded: moto's wording (test_delete_secret_fails_with_both_force_delete_flag_and_recovery_window_flag). */
export const forceWithRecoveryWindow = () =>
  new AwsServiceError(
    'InvalidParameterException',
    "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
  );

/**
 * Not recorded: the ListSecrets API reference's error list ("InvalidNextTokenException: The
 * NextToken value is invalid.", HTTP 400).
 */
export const invalidNextToken = () =>
  new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');

/** A parameter outside its documented constraint (API reference of the operation). */
export const invalidParameter = (message: string) =>
  new AwsServiceError('InvalidParameterException', message);

/** The Coral validation message AWS answers for a value outside a member's constraint. */
export const validationError = (value: string, member: string, constraint: string) =>
  new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
