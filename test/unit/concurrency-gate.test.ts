import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from '#local/simulator-kit.ts';

/** A response that closes when the test says so. */
const response = () => new EventEmitter();

describe('a simulated product’s concurrency limit', () => {
  it('refuses a request over the limit and counts it in the peak it was asked for', () => {
    // Prepare
    const gate = new ConcurrencyGate();
    gate.reset(2);
    const first = response();
    const second = response();
    // Act
    const admitted = [gate.admit(first), gate.admit(second), gate.admit(response())];
    // Assess
    expect(admitted).toEqual([true, true, false]);
    expect(gate.peak).toBe(3);
    expect(gate.refused).toBe(1);
    expect(gate.inFlight).toBe(2);
  });

  it('admits again once a response closes', () => {
    // Prepare
    const gate = new ConcurrencyGate();
    gate.reset(1);
    const first = response();
    gate.admit(first);
    // Act
    first.emit('close');
    const again = gate.admit(response());
    // Assess
    expect(again).toBe(true);
    expect(gate.peak).toBe(1);
    expect(gate.refused).toBe(0);
  });

  it('only measures when no limit is set', () => {
    // Prepare
    const gate = new ConcurrencyGate();
    // Act
    const admitted = Array.from({ length: 20 }, () => gate.admit(response()));
    // Assess
    expect(admitted.every(Boolean)).toBe(true);
    expect(gate.peak).toBe(20);
  });
});
