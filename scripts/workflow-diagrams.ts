/**
 * Mermaid diagrams of the workflows, generated from the state machine definitions the CDK app
 * synthesizes (the same ones that deploy and that run locally). `npm run diagrams` writes them into
 * the README between `<!-- workflow:<name> -->` markers; `test/unit/diagrams.test.ts` keeps them in sync.
 */
import { readFile, writeFile } from 'node:fs/promises';
import '#local/polyfills.ts';
import { synthesizeWorkflows, type WorkflowKey } from '#local/synth.ts';

interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Resource?: string;
  readonly Choices?: readonly (Condition & { Next: string })[];
  readonly Catch?: readonly { ErrorEquals: readonly string[]; Next: string }[];
  readonly ItemProcessor?: { StartAt: string; States: Record<string, State> };
  readonly Branches?: readonly { StartAt: string; States: Record<string, State> }[];
}

interface Condition {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  StringMatches?: string;
  IsPresent?: boolean;
  And?: readonly Condition[];
  Or?: readonly Condition[];
}

const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, '');

function node(name: string, state: State): string {
  if (state.Type === 'Choice') return `${id(name)}{${name}}`;
  if (state.Type === 'Fail') return `${id(name)}([${name}: fail])`;
  if (state.Type === 'Pass') return `${id(name)}[/${name}/]`;
  if (state.Resource?.endsWith('.waitForTaskToken')) return `${id(name)}[["${name} (operator task)"]]`;
  return `${id(name)}[${name}]`;
}

/** A Choice rule as a short label (mermaid edge labels take no quotes or braces). */
function condition(choice: Condition): string {
  if (choice.And) return choice.And.map(condition).join(' and ');
  if (choice.Or) return choice.Or.map(condition).join(' or ');
  const variable = (choice.Variable ?? '').replace(/\$\./, '');
  if (choice.IsPresent !== undefined) return `${variable} ${choice.IsPresent ? 'present' : 'absent'}`;
  if (choice.StringMatches !== undefined)
    return `${variable} matches ${choice.StringMatches.replace(/[{}"]/g, '')}`;
  return `${variable} = ${String(choice.StringEquals ?? choice.BooleanEquals)}`;
}

function lines(states: Record<string, State>, startAt: string, indent: string, end: string): string[] {
  const out = [`${indent}start${id(startAt)}(( )) --> ${id(startAt)}`];
  for (const [name, state] of Object.entries(states)) {
    if (state.ItemProcessor) {
      out.push(`${indent}subgraph ${id(name)}["${name} (Map, each item)"]`);
      out.push(
        ...lines(state.ItemProcessor.States, state.ItemProcessor.StartAt, `${indent}  `, `${id(name)}End`),
      );
      out.push(`${indent}end`);
    } else if (state.Branches) {
      out.push(`${indent}subgraph ${id(name)}["${name} (Parallel, branches side by side)"]`);
      state.Branches.forEach((branch, i) => {
        out.push(...lines(branch.States, branch.StartAt, `${indent}  `, `${id(name)}End${i}`));
      });
      out.push(`${indent}end`);
    } else {
      out.push(`${indent}${node(name, state)}`);
    }
    if (state.Next) out.push(`${indent}${id(name)} --> ${id(state.Next)}`);
    if (state.End && state.Type !== 'Fail') out.push(`${indent}${id(name)} --> ${end}(( ))`);
    for (const choice of state.Choices ?? [])
      out.push(`${indent}${id(name)} -->|${condition(choice)}| ${id(choice.Next)}`);
    if (state.Default) out.push(`${indent}${id(name)} -->|otherwise| ${id(state.Default)}`);
    for (const c of state.Catch ?? [])
      out.push(`${indent}${id(name)} -.->|${c.ErrorEquals.join(', ')}| ${id(c.Next)}`);
  }
  return out;
}

export function mermaidOf(workflow: WorkflowKey): string {
  const { definition } = synthesizeWorkflows()[workflow];
  const { StartAt, States } = definition as unknown as { StartAt: string; States: Record<string, State> };
  return ['```mermaid', 'flowchart TD', ...lines(States, StartAt, '  ', 'done'), '```'].join('\n');
}

/** The README with every workflow's diagram replaced between its markers. */
export function withDiagrams(readme: string): string {
  let out = readme;
  for (const workflow of Object.keys(synthesizeWorkflows()) as WorkflowKey[]) {
    const open = `<!-- workflow:${workflow} -->`;
    const close = `<!-- /workflow:${workflow} -->`;
    const start = out.indexOf(open);
    const stop = out.indexOf(close);
    if (start < 0 || stop < start) throw new Error(`README has no ${open} ... ${close} markers`);
    out = `${out.slice(0, start + open.length)}\n${mermaidOf(workflow)}\n${out.slice(stop)}`;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = new URL('../README.md', import.meta.url);
  await writeFile(readme, withDiagrams(await readFile(readme, 'utf8')));
  process.stdout.write('README.md: workflow diagrams regenerated\n');
}
