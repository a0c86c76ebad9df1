import { describe, expect, it } from 'vitest';
import { type EnteredEvent, statesEntered } from '#cli/states-entered.ts';

let nextId = 0;
const entered = (type: string, name: string): EnteredEvent => ({
  id: ++nextId,
  type: `${type}StateEntered`,
  stateEnteredEventDetails: { name },
});
const other = (type: string): EnteredEvent => ({ id: ++nextId, type });

describe('statesEntered', () => {
  it('lists every state entered in order, fast ones included, and ignores the other events', () => {
    // Prepare: a FortiGate provision whose last steps ran between two polls.
    nextId = 0;
    const history = [
      other('ExecutionStarted'),
      entered('Task', 'ValidateRequest'),
      other('TaskStateExited'),
      entered('Choice', 'IssuedBy'),
      entered('Task', 'EnsureAccessProfile'),
      other('TaskFailed'),
      entered('Task', 'CreateApiUser'),
      entered('Task', 'IssueKeyAndStore'),
      entered('Task', 'VerifyCredential'),
      entered('Succeed', 'Provisioned'),
      other('ExecutionSucceeded'),
    ];
    // Act
    const states = statesEntered(history);
    // Assess
    expect(states).toEqual([
      'ValidateRequest',
      'IssuedBy',
      'EnsureAccessProfile',
      'CreateApiUser',
      'IssueKeyAndStore',
      'VerifyCredential',
      'Provisioned',
    ]);
  });

  it('shows a Map’s inner states once, in first-entry order, however many iterations ran', () => {
    // Prepare: a revocation over three credentials, iterations interleaved.
    nextId = 0;
    const iteration = () => [other('MapIterationStarted'), entered('Task', 'RevokeOne')];
    const history = [
      entered('Task', 'FindCredentials'),
      entered('Map', 'RevokeEach'),
      ...iteration(),
      ...iteration(),
      entered('Task', 'ProveRevoked'),
      ...iteration(),
      entered('Task', 'ProveRevoked'),
      entered('Task', 'ProveRevoked'),
      other('MapIterationSucceeded'),
      entered('Task', 'Report'),
    ];
    // Act
    const states = statesEntered(history);
    // Assess
    expect(states).toEqual(['FindCredentials', 'RevokeEach', 'RevokeOne', 'ProveRevoked', 'Report']);
  });

  it('reads a history in event-id order whichever order its pages came in', () => {
    // Prepare
    nextId = 0;
    const history = [
      entered('Task', 'A'),
      entered('Choice', 'B'),
      entered('Task', 'A'),
      entered('Pass', 'C'),
    ];
    // Act
    const states = statesEntered([...history].reverse());
    // Assess
    expect(states).toEqual(['A', 'B', 'C']);
    expect(statesEntered([])).toEqual([]);
  });

  it('skips entered events without a state name', () => {
    // Act
    const states = statesEntered([
      { id: 1, type: 'TaskStateEntered' },
      { id: 2, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'X' } },
    ]);
    // Assess
    expect(states).toEqual(['X']);
  });
});
