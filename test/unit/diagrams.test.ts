import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mermaidOf, withDiagrams } from '../../scripts/workflow-diagrams.ts';

describe('workflow diagrams', () => {
  it('the README shows each workflow as its synthesized definition draws it (npm run diagrams)', () => {
    // Prepare
    const readme = readFileSync('README.md', 'utf8');
    // Act
    const regenerated = withDiagrams(readme);
    // Assess
    expect(regenerated).toBe(readme);
  });

  it('draws every state, the operator tasks, the Map body and the compensation edges', () => {
    // Act
    const provision = mermaidOf('provision');
    const revoke = mermaidOf('revoke');
    // Assess
    expect(provision).toContain('IssuedBy -->|issuance = operator| RequestOperatorCredential');
    expect(provision).toContain('RequestOperatorCredential[["RequestOperatorCredential (operator task)"]]');
    expect(provision).toContain('VerifyCredential -.->|States.ALL| CompensateProvision');
    expect(revoke).toContain('subgraph RevokeByLane["RevokeByLane (Parallel, branches side by side)"]');
    expect(revoke).toContain('subgraph RevokeEach["RevokeEach (Map, each item)"]');
    expect(revoke).toContain(
      'subgraph RevokeEachInOperatorLane["RevokeEachInOperatorLane (Map, each item)"]',
    );
    expect(revoke).toContain('ProveRevoked -.->|States.ALL| WhyNotRevoked');
  });
});
