/**
 * The leak scan: every key, token and password this run issued or held, and every task token, is
 * collected from the places it may legitimately be (Secrets Manager, the simulators, the task
 * records in the task table) and searched for everywhere else, in every shape a copy takes (`materialFinder`: any
 * case, a half, base64, hex, URL-encoded; line breaks ignored). A hit names the source and
 * position only, never the material.
 */
import { materialFinder } from '#core/errors.ts';
import { PRODUCTS } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import type { LocalEnvironment } from './environment.ts';

const MATERIAL_FIELDS = new Set(['key', 'token', 'password', 'secret', 'accessToken', 'refreshToken']);

function materialIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) materialIn(item, found);
  } else if (value && typeof value === 'object') {
    for (const [field, inner] of Object.entries(value)) {
      if (MATERIAL_FIELDS.has(field) && typeof inner === 'string' && inner.length >= 8) found.add(inner);
      else materialIn(inner, found);
    }
  }
}

/** What the scan looks for: product material, and the task tokens of operator tasks. */
export interface IssuedMaterial {
  readonly secrets: readonly string[];
  readonly taskTokens: readonly string[];
}

/**
 * Every secret value ever stored in the local Secrets Manager, the simulators' admin credentials,
 * and everything the simulated products issued (keys, passwords, key secrets, bearer and OAuth
 * tokens), whether or not it reached Secrets Manager; and every task token a task record in the
 * local DynamoDB ever held.
 */
export function collectIssuedMaterial(env: LocalEnvironment): IssuedMaterial {
  const found = new Set<string>(PRODUCTS.flatMap(({ name }) => simulatedOf(name).issuedMaterial(env[name])));
  const taskTokens = new Set<string>();
  for (const text of env.secretsManager.store.allStoredValues()) {
    try {
      materialIn(JSON.parse(text) as unknown, found);
    } catch {
      if (text.length >= 8) found.add(text);
    }
  }
  // Every task record the task table ever held, closed ones included.
  for (const item of env.dynamoDb.dynamoDb.allWrittenItems()) {
    const token = item.taskToken?.S;
    if (typeof token === 'string') taskTokens.add(token);
  }
  return { secrets: [...found], taskTokens: [...taskTokens] };
}

export interface LeakHit {
  readonly source: string;
  readonly index: number;
}

/** The source holding execution histories: Step Functions keeps task tokens there, as AWS does. */
const HISTORIES = 'histories';

/** The text without line breaks, literal or JSON-escaped, so a copy split over lines reads whole. */
function unbroken(text: string): string {
  return text.replace(/\s+|\\[nrt]/g, '');
}

export function scanForMaterial(
  material: IssuedMaterial,
  sources: Record<string, readonly string[]>,
): LeakHit[] {
  const inHistories = materialFinder(material.secrets);
  const elsewhere = materialFinder([...material.secrets, ...material.taskTokens]);
  const hits: LeakHit[] = [];
  for (const [source, texts] of Object.entries(sources)) {
    const find = source === HISTORIES ? inHistories : elsewhere;
    texts.forEach((text, index) => {
      if (find(text).length > 0 || find(unbroken(text)).length > 0) hits.push({ source, index });
    });
  }
  return hits;
}

/**
 * Scans everything a local run kept (every execution history and every event) plus the given
 * sources (outputs, captured logs, CLI output) for any material the simulators issued.
 */
export function scanEnvironment(
  env: LocalEnvironment,
  sources: Record<string, readonly string[]>,
): LeakHit[] {
  return scanForMaterial(collectIssuedMaterial(env), {
    [HISTORIES]: env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h)),
    events: env.eventBus.events.map((e) => JSON.stringify(e)),
    ...sources,
  });
}
