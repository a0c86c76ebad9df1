/**
 * The leak scan: every key, token and password this run issued or held is collected from the
 * places it may legitimately be (Secrets Manager, the simulators) and searched for everywhere
 * else. A hit names the source and position only, never the material.
 */
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

/**
 * Every secret value ever stored in the local Secrets Manager, the simulators' admin credentials,
 * and everything the simulated products issued (keys, passwords, key secrets, bearer and OAuth
 * tokens), whether or not it reached Secrets Manager.
 */
export function collectIssuedMaterial(env: LocalEnvironment): string[] {
  const found = new Set<string>(PRODUCTS.flatMap(({ name }) => simulatedOf(name).issuedMaterial(env[name])));
  for (const text of env.secretsManager.store.allStoredValues()) {
    try {
      materialIn(JSON.parse(text), found);
    } catch {
      if (text.length >= 8) found.add(text);
    }
  }
  return [...found];
}

export interface LeakHit {
  readonly source: string;
  readonly index: number;
}

export function scanForMaterial(
  material: readonly string[],
  sources: Record<string, readonly string[]>,
): LeakHit[] {
  const hits: LeakHit[] = [];
  for (const [source, texts] of Object.entries(sources)) {
    texts.forEach((text, index) => {
      if (material.some((m) => text.includes(m))) hits.push({ source, index });
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
    histories: env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h)),
    events: env.eventBus.events.map((e) => JSON.stringify(e)),
    ...sources,
  });
}
