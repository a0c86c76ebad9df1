/**
 * The leak scan (local/leak-scan.ts) finds a copy of issued material in every shape a copy takes:
 * as is, in another case, a half, split over lines, base64, hex, URL-encoded; and task tokens
 * count as material everywhere but in execution histories, where Step Functions keeps them
 * (a `.waitForTaskToken` task's TaskScheduled parameters carry `$$.Task.Token`).
 */
import { describe, expect, it } from 'vitest';
import { type IssuedMaterial, scanForMaterial } from '#local/leak-scan.ts';

const KEY = 'Zq9xKEY0000material0000xyz1234';
const TASK_TOKEN = '6f1c2a5e-9b7d-4c3e-8a21-0d4f5e6a7b8c';
const material: IssuedMaterial = { secrets: [KEY], taskTokens: [TASK_TOKEN] };

describe('scanForMaterial', () => {
  it.each([
    ['as is', KEY],
    ['in lower case', KEY.toLowerCase()],
    ['its first 20 characters', KEY.slice(0, 20)],
    ['its first half', KEY.slice(0, 15)],
    ['its second half', KEY.slice(15)],
    ['split over lines', `${KEY.slice(0, 5)}\n${KEY.slice(5, 12)}\n${KEY.slice(12)}`],
    [
      'split over escaped lines in JSON',
      JSON.stringify(`${KEY.slice(0, 10)}\n${KEY.slice(10, 20)}\n${KEY.slice(20)}`),
    ],
    ['base64', Buffer.from(KEY).toString('base64')],
    [
      'base64 wrapped at 16 columns',
      Buffer.from(KEY)
        .toString('base64')
        .replace(/(.{16})/g, '$1\n'),
    ],
    ['base64url', Buffer.from(`${KEY}>>?`).toString('base64url')],
    ['hex', Buffer.from(KEY).toString('hex')],
    ['hex in upper case', Buffer.from(KEY).toString('hex').toUpperCase()],
    ['URL-encoded', encodeURIComponent(`${KEY}`)],
  ])('finds the key %s', (_, copy) => {
    // Prepare
    const withEncodings: IssuedMaterial = { secrets: [KEY, `${KEY}>>?`], taskTokens: [] };
    // Act
    const hits = scanForMaterial(withEncodings, { logs: ['clean line', `leaked: ${copy} (end)`] });
    // Assess
    expect(hits).toEqual([{ source: 'logs', index: 1 }]);
  });

  it('finds a URL-encoded token whose characters need escaping', () => {
    // Prepare
    const token = 'ab+cd/ef=gh+ij/kl==';
    // Act
    const hits = scanForMaterial(
      { secrets: [token], taskTokens: [] },
      { cli: [`?t=${encodeURIComponent(token)}`] },
    );
    // Assess
    expect(hits).toEqual([{ source: 'cli', index: 0 }]);
  });

  it('counts task tokens as material in events, logs and output, not in histories', () => {
    // Act
    const hits = scanForMaterial(material, {
      histories: [JSON.stringify({ parameters: { Payload: { taskToken: TASK_TOKEN } } })],
      events: [JSON.stringify({ detail: { taskToken: TASK_TOKEN } })],
      logs: [`task ${TASK_TOKEN.toUpperCase()}`],
    });
    // Assess
    expect(hits).toEqual([
      { source: 'events', index: 0 },
      { source: 'logs', index: 0 },
    ]);
  });

  it('finds nothing in texts without material (names, ids, hashes, versions)', () => {
    // Act
    const hits = scanForMaterial(material, {
      logs: [
        'provision-CHG-1-0a1b2c3d4e provisioner/fgt/ci-bot version 7f3e9c1a-2b4d-4e6f-8a0b-1c2d3e4f5a6b',
        'material of key Zq9x is ok; 0000 and xyz1234 alone are not a copy',
      ],
    });
    // Assess
    expect(hits).toEqual([]);
  });
});
