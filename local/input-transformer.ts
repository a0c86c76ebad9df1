/**
 * An EventBridge rule target's InputTransformer, applied locally as EventBridge applies it
 * ("Amazon EventBridge input transformation",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): each
 * InputPathsMap variable takes the value at its JSON path in the event, and each `<variable>` of the
 * InputTemplate is replaced by it. Recorded AWS answers (LocalStack's AWS-validated
 * tests/aws/services/events/test_events_inputs.snapshot.json) show that a quoted template arrives
 * with its quotes and that a path the event lacks inserts nothing.
 */

/** As CloudFormation's `AWS::Events::Rule` target writes it. */
export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** Dot notation (`$.detail.taskId`, `$.detail-type`): all the paths CDK's `EventField.fromPath` writes for the stack. */
const DOT_PATH = /^\$(\.[A-Za-z0-9_-]+)*$/;

function valueAt(event: unknown, path: string): unknown {
  if (!DOT_PATH.test(path)) throw new Error(`input path ${path}: only dot notation is reproduced locally`);
  let value = event;
  for (const key of path.split('.').slice(1)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** The text the target receives for `event`: a string value as itself, any other as JSON, a missing one as nothing. */
export function transformInput(transformer: InputTransformer, event: unknown): string {
  const values = new Map(
    Object.entries(transformer.InputPathsMap ?? {}).map(([name, path]) => [name, valueAt(event, path)]),
  );
  return transformer.InputTemplate.replace(/<([^<>]+)>/g, (placeholder, name: string) => {
    // EventBridge refuses such a target at PutTargets (the snapshot's `missing-key-exception-error`).
    if (!values.has(name))
      throw new Error(`InputTemplate placeholder ${placeholder} is not in InputPathsMap`);
    const value = values.get(name);
    if (value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
