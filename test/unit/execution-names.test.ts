/** Execution names from requests, and the canonical JSON they hash (lambdas/core/execution-names.ts). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { revocationFromEvent } from '#core/deactivation.ts';
import { canonicalJson, executionNameFor } from '#core/execution-names.ts';

const request = { target: 'fgt', apiUser: 'bot', owner: 'a@example.com', ticket: 'CHG-1' };

describe('canonicalJson', () => {
  it('sorts keys at every level, arrays keeping their order', () => {
    // Act
    const text = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } });
    // Assess
    expect(text).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('drops undefined fields, as JSON does, and keeps null', () => {
    // Act
    const text = canonicalJson({ a: undefined, b: null });
    // Assess
    expect(text).toBe('{"b":null}');
  });

  it('writes scalars and strings as JSON, escapes included', () => {
    // Act
    const texts = [canonicalJson('a"b'), canonicalJson(1.5), canonicalJson(true), canonicalJson(null)];
    // Assess
    expect(texts).toEqual(['"a\\"b"', '1.5', 'true', 'null']);
  });

  it('sorts keys by code unit, not by locale', () => {
    // Act
    const text = canonicalJson({ b: 1, B: 2, a: 3, _: 4 });
    // Assess
    expect(text).toBe('{"B":2,"_":4,"a":3,"b":1}');
  });
});

describe('executionNameFor', () => {
  it('is <action>-<ticket>-<first 10 hex of the SHA-256 of the raw ticket and canonical request>', () => {
    // Prepare
    const hash = createHash('sha256')
      .update(canonicalJson({ ticket: 'CHG-1', request }))
      .digest('hex')
      .slice(0, 10);
    // Act
    const name = executionNameFor('provision', 'CHG-1', request);
    // Assess
    expect(name).toBe(`provision-CHG-1-${hash}`);
  });

  it('names the same request the same whatever its field order, and another request otherwise', () => {
    // Prepare
    const reordered = { ticket: 'CHG-1', owner: 'a@example.com', apiUser: 'bot', target: 'fgt' };
    // Act
    const first = executionNameFor('provision', 'CHG-1', request);
    const same = executionNameFor('provision', 'CHG-1', reordered);
    const other = executionNameFor('provision', 'CHG-1', { ...request, apiUser: 'bot2' });
    // Assess
    expect(same).toBe(first);
    expect(other).not.toBe(first);
  });

  it('replaces characters Step Functions refuses in a ticket', () => {
    // Act
    const name = executionNameFor('revoke', 'INC 42/b.c', { owner: 'x' });
    // Assess
    expect(name).toMatch(/^revoke-INC_42_b_c-[0-9a-f]{10}$/);
  });

  it.each([
    ['hr.7', 'hr:7'],
    ['CHG.1', 'CHG_1'],
    ['INC 42/b', 'INC_42_b'],
    [`${'T'.repeat(70)}a`, `${'T'.repeat(70)}b`],
  ])('names tickets %j and %j apart for the same request, though they read alike', (one, other) => {
    // Act
    const first = executionNameFor('revoke', one, { owner: 'x' });
    const second = executionNameFor('revoke', other, { owner: 'x' });
    // Assess
    expect(first).not.toBe(second);
    expect(executionNameFor('revoke', one, { owner: 'x' })).toBe(first);
  });

  it.each(['provision', 'revoke', 'rotate'] as const)(
    'keeps a %s name within 80 characters for the longest ticket',
    (action) => {
      // Act
      const name = executionNameFor(action, 'T'.repeat(200), request);
      // Assess
      expect(name).toHaveLength(80);
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    },
  );
});

describe('revocation execution names from deactivation events', () => {
  const deactivation = (eventId: string) => ({
    source: 'provisioner.directory',
    'detail-type': 'User Deactivated',
    id: `delivery-${eventId}`,
    detail: { eventId, userId: 'alice@example.com' },
  });

  it('gives event ids that read alike (hr.7, hr:7) two executions, and a redelivery the same one', () => {
    // Act
    const dot = revocationFromEvent(deactivation('hr.7')).executionName;
    const colon = revocationFromEvent(deactivation('hr:7')).executionName;
    const redelivered = revocationFromEvent({
      ...deactivation('hr.7'),
      id: 'another-delivery',
    }).executionName;
    // Assess
    expect(dot).not.toBe(colon);
    expect(redelivered).toBe(dot);
    expect(dot).toMatch(/^revoke-hr_7-[0-9a-f]{10}$/);
  });
});
