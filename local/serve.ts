/**
 * `npm run local`: keeps the embedded default running so the CLI (`--local`), any AWS SDK or the
 * AWS CLI can be pointed at it. Prints the endpoints and writes them to .local-state/endpoints.json.
 */
import { PRODUCTS } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { awsEnvironmentFor, ENDPOINTS_FILE, writeEndpoints } from './endpoints.ts';
import { startLocalEnvironment } from './environment.ts';

const env = await startLocalEnvironment();
for (const { name } of PRODUCTS) await env.registerTarget(name, simulatedOf(name).demoTarget);
await writeEndpoints(env.endpoints);

const lines = [
  'credential-provisioner: local endpoints are up (Ctrl-C stops them)',
  `  Secrets Manager  ${env.endpoints.secretsManager}`,
  `  Step Functions   ${env.endpoints.stepFunctions}`,
  `  EventBridge      ${env.endpoints.eventBridge}`,
  ...PRODUCTS.map(
    ({ name, displayName }) =>
      `  ${displayName} (simulator) ${env[name].url}   registered as target ${simulatedOf(name).demoTarget}`,
  ),
  `  provision state machine: ${env.provisionStateMachineArn}`,
  `  endpoints file: ${ENDPOINTS_FILE}`,
  '',
  'Point a shell at them:',
  ...Object.entries(awsEnvironmentFor(env.endpoints)).map(([k, v]) => `  export ${k}=${v}`),
  '',
  'Then: npm run provisioner -- --local start --input examples/provision-request.local.json --wait',
];
process.stdout.write(`${lines.join('\n')}\n`);

const stop = async () => {
  await env.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
