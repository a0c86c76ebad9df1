/** The VDOM (FortiOS) / ADOM (FortiManager) rule both products' checkRequest apply. */
import { describe, expect, it } from 'vitest';
import { fortimanager } from './fortimanager/product.ts';
import { fortios } from './fortios/product.ts';
import { requestVdom } from './product.ts';

const base = { target: 't', apiUser: 'bot', owner: 'a@example.com', ticket: 'CHG-1' } as const;

describe.each([
  ['FortiOS', fortios],
  ['FortiManager', fortimanager],
] as const)('%s: a request stays in its target’s VDOM', (_, product) => {
  const check = (targetVdom: string | undefined, vdom: string | undefined) =>
    product.checkRequest?.({ vdom: targetVdom, maxRpcPermit: 'read' } as never, { ...base, vdom } as never);

  it.each([
    ['dmz', 'dmz'],
    ['dmz', undefined],
    [undefined, 'root'],
    [undefined, undefined],
    ['global', 'dmz'],
    ['global', undefined],
  ])('target %s admits request %s', (targetVdom, vdom) => {
    expect(check(targetVdom, vdom)).toEqual([]);
  });

  it.each([
    ['dmz', 'root', /vdom root: the target's VDOM is dmz; name dmz or omit vdom/],
    ['dmz', 'global', /vdom global: the target's VDOM is dmz/],
    [undefined, 'dmz', /vdom dmz: the target names no VDOM, so only root; name root or omit vdom/],
  ])('target %s refuses request %s', (targetVdom, vdom, message) => {
    const issues = check(targetVdom, vdom) ?? [];
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(message);
  });
});

describe('requestVdom', () => {
  it('is the request’s, else the target’s, else root (a global target spans every VDOM: root)', () => {
    expect(requestVdom({ vdom: 'dmz' }, {})).toBe('dmz');
    expect(requestVdom({}, {})).toBe('root');
    expect(requestVdom({ vdom: 'global' }, {})).toBe('root');
    expect(requestVdom({ vdom: 'global' }, { vdom: 'dmz' })).toBe('dmz');
  });
});
