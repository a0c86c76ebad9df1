/**
 * The part of DynamoDB's expression language the provisioner uses (Developer Guide, "Condition and
 * filter expressions, operators, and functions"; "Projection expressions"): top-level attribute
 * names, `#name` placeholders, `:value` placeholders, `=` and `<>`, `attribute_exists`,
 * `attribute_not_exists`, `AND`, `OR`, `NOT` and parentheses. Anything else is refused as a
 * syntax error rather than read wrongly.
 */
import { nameNotDefined, syntaxError, unusedInExpressions, valueNotDefined } from './errors.ts';

export type AttributeValue = Readonly<Record<string, unknown>>;
export type Item = Readonly<Record<string, AttributeValue>>;

/** The placeholders of one request, and which of them its expressions used. */
export class ExpressionPlaceholders {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(
    private readonly names: Readonly<Record<string, string>> = {},
    private readonly values: Readonly<Record<string, AttributeValue>> = {},
  ) {}

  name(placeholder: string, expression: string): string {
    const name = this.names[placeholder];
    if (name === undefined) throw nameNotDefined(expression, placeholder);
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, expression: string): AttributeValue {
    const value = this.values[placeholder];
    if (value === undefined) throw valueNotDefined(expression, placeholder);
    this.usedValues.add(placeholder);
    return value;
  }

  /** AWS refuses placeholders no expression of the request uses. */
  assertAllUsed(): void {
    const names = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (names.length > 0) throw unusedInExpressions('Names', names);
    const values = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (values.length > 0) throw unusedInExpressions('Values', values);
  }
}

const TOKEN = /\s*(<>|[=(),]|[#:]?[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string, expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match?.[1]) {
      if (text.slice(at).trim() === '') break;
      throw syntaxError(expression, text.slice(at).trim().slice(0, 1));
    }
    tokens.push(match[1]);
  }
  return tokens;
}

type Operand = { readonly path: string } | { readonly value: AttributeValue };
type Condition = (item: Item | undefined) => boolean;

const FUNCTIONS: Readonly<Record<string, (present: boolean) => boolean>> = {
  attribute_exists: (present) => present,
  attribute_not_exists: (present) => !present,
};

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a.N === 'string' && typeof b.N === 'string') return Number(a.N) === Number(b.N);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A ConditionExpression as a predicate on the item as it is before the write (absent: undefined). */
export function parseCondition(text: string, placeholders: ExpressionPlaceholders): Condition {
  const expression = 'ConditionExpression';
  const tokens = tokenize(text, expression);
  let at = 0;
  const peek = () => tokens[at];
  const keyword = (word: string) => peek()?.toUpperCase() === word;
  const expect = (token: string) => {
    if (tokens[at] !== token) throw syntaxError(expression, tokens[at] ?? '<EOF>');
    at++;
  };
  const path = (): string => {
    const token = tokens[at++];
    if (token === undefined || token.startsWith(':') || /^[=(),]|<>$/.test(token))
      throw syntaxError(expression, token ?? '<EOF>');
    return token.startsWith('#') ? placeholders.name(token, expression) : token;
  };
  const operand = (): Operand => {
    const token = peek();
    if (token?.startsWith(':')) {
      at++;
      return { value: placeholders.value(token, expression) };
    }
    return { path: path() };
  };
  const resolve = (o: Operand, item: Item | undefined) => ('value' in o ? o.value : item?.[o.path]);

  const primary = (): Condition => {
    if (peek() === '(') {
      at++;
      const inner = or();
      expect(')');
      return inner;
    }
    const test = FUNCTIONS[peek() ?? ''];
    if (test && tokens[at + 1] === '(') {
      at += 2;
      const name = path();
      expect(')');
      return (item) => test(item?.[name] !== undefined);
    }
    const left = operand();
    const comparator = tokens[at++];
    if (comparator !== '=' && comparator !== '<>') throw syntaxError(expression, comparator ?? '<EOF>');
    const right = operand();
    return comparator === '='
      ? (item) => sameValue(resolve(left, item), resolve(right, item))
      : (item) => !sameValue(resolve(left, item), resolve(right, item));
  };
  const not = (): Condition => {
    if (!keyword('NOT')) return primary();
    at++;
    const inner = not();
    return (item) => !inner(item);
  };
  const and = (): Condition => {
    let condition = not();
    while (keyword('AND')) {
      at++;
      const [left, right] = [condition, not()];
      condition = (item) => left(item) && right(item);
    }
    return condition;
  };
  function or(): Condition {
    let condition = and();
    while (keyword('OR')) {
      at++;
      const [left, right] = [condition, and()];
      condition = (item) => left(item) || right(item);
    }
    return condition;
  }

  const condition = or();
  if (at < tokens.length) throw syntaxError(expression, tokens[at] ?? '<EOF>');
  return condition;
}

/** A ProjectionExpression: the top-level attribute names it keeps. */
export function parseProjection(text: string, placeholders: ExpressionPlaceholders): Set<string> {
  const expression = 'ProjectionExpression';
  const names = new Set<string>();
  const tokens = tokenize(text, expression);
  tokens.forEach((token, index) => {
    if (index % 2 === 1) {
      if (token !== ',') throw syntaxError(expression, token);
      return;
    }
    if (token.startsWith(':') || /^[=(),]|<>$/.test(token)) throw syntaxError(expression, token);
    names.add(token.startsWith('#') ? placeholders.name(token, expression) : token);
  });
  if (tokens.length % 2 === 0) throw syntaxError(expression, tokens.at(-1) ?? '<EOF>');
  return names;
}
