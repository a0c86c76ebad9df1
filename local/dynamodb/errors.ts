/**
 * DynamoDB's refusals in AWS's words, each with its source: LocalStack's AWS-validated snapshots
 * (github:localstack/localstack, tests/aws/services/dynamodb/test_dynamodb.snapshot.json, test
 * named beside it) or moto's tests (github:getmoto/moto, tests/test_dynamodb/; aws_verified where
 * it says so) and the API reference's error list. Every one is HTTP 400.
 */
import { AwsServiceError } from '../aws-json-server.ts';

/** LocalStack test_batch_write_not_existing_table */
export const tableNotFound = () =>
  new AwsServiceError('ResourceNotFoundException', 'Requested resource not found');

/** LocalStack test_return_values_on_conditions_check_failure */
export const conditionFailed = () =>
  new AwsServiceError('ConditionalCheckFailedException', 'The conditional request failed');

/** moto test_provide_range_key_against_table_without_range_key (aws_verified) */
export const keyMismatch = () =>
  new AwsServiceError('ValidationException', 'The provided key element does not match the schema');

/** moto test_put_empty_item */
export const missingKey = (name: string) =>
  new AwsServiceError(
    'ValidationException',
    `One or more parameter values were invalid: Missing the key ${name} in the item`,
  );

/** moto test_put_item_wrong_attribute_type */
export const keyTypeMismatch = (name: string, expected: string, actual: string) =>
  new AwsServiceError(
    'ValidationException',
    `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`,
  );

/** moto test_item_size_is_under_400KB; PutItem API reference: "ValidationException ... item size exceeds 400 KB" */
export const itemTooLarge = () =>
  new AwsServiceError('ValidationException', 'Item size has exceeded the maximum allowed size');

/** moto test_dynamodb_validation (attribute value not defined) */
export const valueNotDefined = (expression: string, value: string) =>
  new AwsServiceError(
    'ValidationException',
    `Invalid ${expression}: An expression attribute value used in expression is not defined; attribute value: ${value}`,
  );

/** moto test_dynamodb_validation (attribute name not defined) */
export const nameNotDefined = (expression: string, name: string) =>
  new AwsServiceError(
    'ValidationException',
    `Invalid ${expression}: An expression attribute name used in the document path is not defined; attribute name: ${name}`,
  );

/** moto test_dynamodb_exceptions (unused names and values) */
export const unusedInExpressions = (kind: 'Names' | 'Values', keys: readonly string[]) =>
  new AwsServiceError(
    'ValidationException',
    `Value provided in ExpressionAttribute${kind} unused in expressions: keys: {${keys.join(', ')}}`,
  );

/** An expression this endpoint cannot read: AWS's prefix, then what it stopped at. */
export const syntaxError = (expression: string, token: string) =>
  new AwsServiceError('ValidationException', `Invalid ${expression}: Syntax error; token: "${token}"`);

/** The constraint message of the AWS JSON protocol's input validation (Scan's Limit: minimum 1). */
export const constraintViolated = (value: unknown, field: string, constraint: string) =>
  new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );

/** A parameter the API reference marks required, missing or of the wrong shape. */
export const invalidParameter = (message: string) => new AwsServiceError('ValidationException', message);
