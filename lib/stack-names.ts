import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type PhysicalNames, physicalNames, type SecretLayout, secretLayout } from '#core/names.ts';

export interface StackNames extends PhysicalNames {
  readonly secrets: SecretLayout;
}

/** The fixed physical names of the stack `scope` belongs to, derived from its name (lambdas/core/names.ts). */
export function stackNames(scope: IConstruct): StackNames {
  const names = physicalNames(Stack.of(scope).stackName);
  return { ...names, secrets: secretLayout(names.secretRoot) };
}
