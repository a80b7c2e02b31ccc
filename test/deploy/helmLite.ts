/**
 * A renderer for the subset of Helm's Go templates that deploy/helm uses, so that the chart can be
 * rendered and its manifests checked where no `helm` binary is installed.
 *
 * It is not Helm. It implements: text with `{{ }}` actions and `{{-`/`-}}` trimming, comments,
 * `define`/`include`, `if`/`else if`/`else`, `with`, `range` (lists, maps in key order, optional
 * `$i` / `$k, $v` variables), `$var :=`, pipelines, parenthesised sub-pipelines, and the functions
 * in FUNCTIONS. Anything else throws, so a template that leaves the subset fails its test instead
 * of being half-checked. Numbers from values are float64 as in Helm: printing one of 1e6 or more
 * without `int`/`int64` gives Go's exponent form (1e+06), the classic Helm surprise.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

/** An integer (Go int), as made by `int`, `int64` and `until`; printed without exponent. */
class GoInt {
  constructor(readonly value: number) {}
}

type Value = unknown;

interface Scope {
  dot: Value;
  root: Value;
  vars: Map<string, Value>;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; pipe: string }
  | { kind: 'assign'; name: string; pipe: string }
  | { kind: 'if'; branches: { pipe: string; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'with'; pipe: string; body: Node[]; otherwise: Node[] }
  | { kind: 'range'; vars: string[]; pipe: string; body: Node[]; otherwise: Node[] };

class TemplateError extends Error {}

/** Splits a template into text and actions, applying the trim markers. */
function lex(source: string, file: string): { kind: 'text' | 'action'; text: string }[] {
  const out: { kind: 'text' | 'action'; text: string }[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    let text = open < 0 ? source.slice(pos) : source.slice(pos, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      out.push({ kind: 'text', text });
      break;
    }
    let inner = open + 2;
    if (source.startsWith('- ', inner) || source.startsWith('-\n', inner)) {
      text = text.replace(/\s+$/, '');
      inner += 1;
    }
    out.push({ kind: 'text', text });
    // Find the closing braces outside string literals and comments.
    let i = inner;
    let quote: string | undefined;
    for (; i < source.length; i++) {
      const c = source[i]!;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`') quote = c;
      else if (source.startsWith('/*', i)) {
        const end = source.indexOf('*/', i + 2);
        if (end < 0) throw new TemplateError(`${file}: unclosed comment`);
        i = end + 1;
      } else if (source.startsWith('}}', i)) break;
    }
    if (i >= source.length) throw new TemplateError(`${file}: unclosed action at ${open}`);
    let body = source.slice(inner, i);
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    out.push({ kind: 'action', text: body.trim() });
    pos = i + 2;
  }
  return out;
}

/** Builds the node tree; `define` blocks are collected into `defines`. */
function parseTemplate(source: string, file: string, defines: Map<string, Node[]>): Node[] {
  const tokens = lex(source, file);
  let index = 0;
  const parseUntil = (enders: RegExp): { nodes: Node[]; ender?: string } => {
    const nodes: Node[] = [];
    while (index < tokens.length) {
      const token = tokens[index++]!;
      if (token.kind === 'text') {
        if (token.text !== '') nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const action = token.text;
      if (action.startsWith('/*')) continue;
      if (enders.test(action)) return { nodes, ender: action };
      let m: RegExpExecArray | null;
      if ((m = /^define\s+"([^"]+)"$/.exec(action))) {
        defines.set(m[1]!, parseUntil(/^end$/).nodes);
      } else if ((m = /^if\s+(.+)$/s.exec(action))) {
        const branches = [{ pipe: m[1]!, body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const part = parseUntil(/^(else( if .+)?|end)$/s);
          branches[branches.length - 1]!.body = part.nodes;
          if (part.ender === undefined) throw new TemplateError(`${file}: if without end`);
          const elseIf = /^else if\s+(.+)$/s.exec(part.ender);
          if (elseIf) branches.push({ pipe: elseIf[1]!, body: [] });
          else if (part.ender === 'else') {
            otherwise = parseUntil(/^end$/).nodes;
            break;
          } else break;
        }
        nodes.push({ kind: 'if', branches, otherwise });
      } else if ((m = /^(with|range)\s+(.+)$/s.exec(action))) {
        const kind = m[1] as 'with' | 'range';
        let pipe = m[2]!;
        let vars: string[] = [];
        const decl = /^(\$\w+)(?:\s*,\s*(\$\w+))?\s*:=\s*(.+)$/s.exec(pipe);
        if (decl) {
          if (kind === 'with') throw new TemplateError(`${file}: variables in with are not supported`);
          vars = decl[2] === undefined ? [decl[1]!] : [decl[1]!, decl[2]];
          pipe = decl[3]!;
        }
        const body = parseUntil(/^(else|end)$/);
        const otherwise = body.ender === 'else' ? parseUntil(/^end$/).nodes : [];
        nodes.push(
          kind === 'with'
            ? { kind, pipe, body: body.nodes, otherwise }
            : { kind, vars, pipe, body: body.nodes, otherwise },
        );
      } else if ((m = /^(\$\w+)\s*:=\s*(.+)$/s.exec(action))) {
        nodes.push({ kind: 'assign', name: m[1]!, pipe: m[2]! });
      } else if (/^(end|else|template|block|break|continue)\b/.test(action)) {
        throw new TemplateError(`${file}: unsupported or misplaced action {{ ${action} }}`);
      } else {
        nodes.push({ kind: 'output', pipe: action });
      }
    }
    return { nodes };
  };
  const { nodes, ender } = parseUntil(/^end$/);
  if (ender !== undefined) throw new TemplateError(`${file}: unexpected {{ end }}`);
  return nodes;
}

/** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
function truthy(v: Value): boolean {
  if (v instanceof GoInt) return v.value !== 0;
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v of a float64: exponent form from 1e21 down to 1e6 for whole numbers (shortest 'g'). */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const exponent = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exponent < -4 || exponent >= 21 || (Number.isInteger(n) && exponent >= 6)) {
    const [mantissa, exp] = n.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}

function printValue(v: Value, where: string): string {
  if (v instanceof GoInt) return String(v.value);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) throw new TemplateError(`${where}: prints a missing value`);
  throw new TemplateError(`${where}: prints a list or map without toYaml/toJson`);
}

function num(v: Value): number {
  if (v instanceof GoInt) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  throw new TemplateError(`not a number: ${JSON.stringify(v)}`);
}

function plain(v: Value): unknown {
  if (v instanceof GoInt) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function goPrintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([svdq%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    if (verb === 'd') return String(Math.trunc(num(arg)));
    if (verb === 'q') return JSON.stringify(printValue(arg, 'printf'));
    return printValue(arg, 'printf');
  });
}

function indentLines(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return pad + text.replace(/\n/g, `\n${pad}`);
}

export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string; IsInstall: boolean; IsUpgrade: boolean };
  Chart: Record<string, unknown>;
  Template: { BasePath: string; Name: string };
}

export interface RenderedChart {
  /** Rendered text by template path (`templates/x.yaml`). */
  files: Map<string, string>;
  /** Every non-empty YAML document of every rendered manifest. */
  manifests: { file: string; doc: Record<string, unknown> }[];
}

/** Merges `override` into `base` (maps key by key; anything else replaced), as `--set` does. */
export function mergeValues(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prior = out[key];
    const isMap = (x: unknown): x is Record<string, unknown> =>
      x !== null && typeof x === 'object' && !Array.isArray(x);
    out[key] = isMap(prior) && isMap(value) ? mergeValues(prior, value) : value;
  }
  return out;
}

/** Renders the chart in `chartDir` with its values.yaml merged with `overrides`. */
export async function renderChart(
  chartDir: string,
  overrides: Record<string, unknown>,
  release = { name: 'cdn', namespace: 'video' },
): Promise<RenderedChart> {
  const chart = parse(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parse(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const values = mergeValues(defaults, overrides);
  const chartName = String(chart.name);
  const basePath = `${chartName}/templates`;
  const entries = (await readdir(join(chartDir, 'templates'))).sort();
  const defines = new Map<string, Node[]>();
  const trees = new Map<string, Node[]>();
  for (const name of entries) {
    const source = await readFile(join(chartDir, 'templates', name), 'utf8');
    trees.set(`${basePath}/${name}`, parseTemplate(source, name, defines));
  }
  const root: RenderContext = {
    Values: values,
    Release: {
      Name: release.name,
      Namespace: release.namespace,
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
    },
    Chart: {
      Name: chart.name,
      Version: chart.version,
      AppVersion: chart.appVersion,
      Description: chart.description,
    },
    Template: { BasePath: basePath, Name: '' },
  };

  const renderNodes = (nodes: Node[], scope: Scope, where: string): string => {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'output':
          out += printValue(evalPipe(node.pipe, scope, where), `${where}: {{ ${node.pipe} }}`);
          break;
        case 'assign':
          scope.vars.set(node.name, evalPipe(node.pipe, scope, where));
          break;
        case 'if': {
          const branch = node.branches.find((b) => truthy(evalPipe(b.pipe, scope, where)));
          out += renderNodes(branch ? branch.body : node.otherwise, scope, where);
          break;
        }
        case 'with': {
          const v = evalPipe(node.pipe, scope, where);
          out += truthy(v)
            ? renderNodes(node.body, { ...scope, dot: v }, where)
            : renderNodes(node.otherwise, scope, where);
          break;
        }
        case 'range': {
          const v = evalPipe(node.pipe, scope, where);
          const items: [Value, Value][] = Array.isArray(v)
            ? v.map((x, i) => [new GoInt(i), x])
            : v !== null && typeof v === 'object'
              ? Object.keys(v)
                  .sort()
                  .map((k) => [k, (v as Record<string, unknown>)[k]])
              : [];
          if (items.length === 0) {
            out += renderNodes(node.otherwise, scope, where);
            break;
          }
          for (const [key, item] of items) {
            const vars = new Map(scope.vars);
            if (node.vars.length === 1) vars.set(node.vars[0]!, item);
            if (node.vars.length === 2) {
              vars.set(node.vars[0]!, key);
              vars.set(node.vars[1]!, item);
            }
            out += renderNodes(node.body, { dot: item, root: scope.root, vars }, where);
          }
          break;
        }
      }
    }
    return out;
  };

  const include = (name: string, dot: Value): string => {
    const tree = defines.get(name) ?? trees.get(name);
    if (!tree) throw new TemplateError(`include of unknown template "${name}"`);
    return renderNodes(tree, { dot, root: dot, vars: new Map([['$', dot]]) }, name);
  };

  const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
    include: (name, dot) => include(String(name), dot),
    print: (...args) => args.map((a) => printValue(a, 'print')).join(''),
    printf: (format, ...args) => goPrintf(String(format), args),
    quote: (...args) => args.map((a) => JSON.stringify(printValue(a, 'quote'))).join(' '),
    default: (fallback, given) => (truthy(given) ? given : fallback),
    required: (message, given) => {
      if (given === undefined || given === null || given === '') throw new TemplateError(String(message));
      return given;
    },
    int: (v) => new GoInt(Math.trunc(num(v))),
    int64: (v) => new GoInt(Math.trunc(num(v))),
    until: (n) => Array.from({ length: num(n) }, (_x, i) => new GoInt(i)),
    add: (a, b) => new GoInt(num(a) + num(b)),
    sub: (a, b) => new GoInt(num(a) - num(b)),
    mul: (a, b) => new GoInt(num(a) * num(b)),
    not: (v) => !truthy(v),
    and: (...args) => args.every(truthy),
    or: (...args) => args.some(truthy),
    eq: (a, b) => plain(a) === plain(b),
    ne: (a, b) => plain(a) !== plain(b),
    empty: (v) => !truthy(v),
    trunc: (n, s) => String(s).slice(0, num(n)),
    trimSuffix: (suffix, s) => {
      const text = String(s);
      return text.endsWith(String(suffix)) ? text.slice(0, -String(suffix).length) : text;
    },
    toYaml: (v) => stringify(plain(v)).replace(/\n$/, ''),
    toJson: (v) => JSON.stringify(plain(v)),
    indent: (n, s) => indentLines(String(s), num(n)),
    nindent: (n, s) => `\n${indentLines(String(s), num(n))}`,
    sha256sum: (s) => createHash('sha256').update(String(s)).digest('hex'),
    b64enc: (s) => Buffer.from(String(s)).toString('base64'),
  };

  /** Splits a pipeline into commands and words, keeping strings and parentheses whole. */
  const words = (text: string): string[] => {
    const out: string[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (/\s/.test(c)) {
        i++;
      } else if (c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        out.push(text.slice(i, j + 1));
        i = j + 1;
      } else if (c === '(') {
        let depth = 0;
        let j = i;
        for (; j < text.length; j++) {
          if (text[j] === '"') {
            j++;
            while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
          } else if (text[j] === '(') depth++;
          else if (text[j] === ')' && --depth === 0) break;
        }
        out.push(text.slice(i, j + 1));
        i = j + 1;
      } else if (c === '|') {
        out.push('|');
        i++;
      } else {
        let j = i;
        while (j < text.length && !/[\s|()]/.test(text[j]!)) j++;
        out.push(text.slice(i, j));
        i = j;
      }
    }
    return out;
  };

  const field = (base: Value, path: string[], where: string): Value => {
    let v = base;
    for (const key of path) {
      if (v === undefined || v === null) throw new TemplateError(`${where}: nil pointer evaluating .${key}`);
      if (typeof v !== 'object' || Array.isArray(v))
        throw new TemplateError(`${where}: .${key} of a non-map`);
      v = (v as Record<string, unknown>)[key];
    }
    return v;
  };

  const operand = (word: string, scope: Scope, where: string): Value => {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (word.startsWith('(')) return evalPipe(word.slice(1, -1), scope, where);
    if (/^-?\d+$/.test(word)) return new GoInt(Number(word));
    if (/^-?\d*\.\d+$/.test(word)) return Number(word);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'nil') return null;
    if (word === '.') return scope.dot;
    if (word.startsWith('.')) return field(scope.dot, word.slice(1).split('.'), where);
    if (word.startsWith('$')) {
      const [name, ...path] = word.split('.');
      if (!scope.vars.has(name!) && name !== '$')
        throw new TemplateError(`${where}: undefined variable ${name}`);
      const base = name === '$' ? scope.root : scope.vars.get(name!);
      return field(base, path, where);
    }
    throw new TemplateError(`${where}: unknown operand ${word}`);
  };

  const evalPipe = (text: string, scope: Scope, where: string): Value => {
    const all = words(text);
    const commands: string[][] = [[]];
    for (const w of all) {
      if (w === '|') commands.push([]);
      else commands[commands.length - 1]!.push(w);
    }
    let piped: { value: Value } | undefined;
    for (const command of commands) {
      const [head, ...rest] = command;
      if (head === undefined) throw new TemplateError(`${where}: empty command in {{ ${text} }}`);
      let value: Value;
      if (/^[A-Za-z]\w*$/.test(head) && !['true', 'false', 'nil'].includes(head)) {
        const fn = FUNCTIONS[head];
        if (!fn) throw new TemplateError(`${where}: function "${head}" is outside the supported subset`);
        const args = rest.map((w) => operand(w, scope, where));
        if (piped) args.push(piped.value);
        value = fn(...args);
      } else {
        if (rest.length > 0 || piped) throw new TemplateError(`${where}: cannot call ${head}`);
        value = operand(head, scope, where);
      }
      piped = { value };
    }
    return piped!.value;
  };

  const files = new Map<string, string>();
  const manifests: { file: string; doc: Record<string, unknown> }[] = [];
  for (const [path, tree] of trees) {
    const name = path.slice(basePath.length + 1);
    if (name.startsWith('_')) continue;
    root.Template = { BasePath: basePath, Name: path };
    const text = renderNodes(tree, { dot: root, root, vars: new Map([['$', root]]) }, name);
    files.set(`templates/${name}`, text);
    if (!/\.ya?ml$/.test(name)) continue;
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0)
        throw new Error(`${name}: rendered YAML does not parse: ${document.errors[0]!.message}\n${text}`);
      const doc = document.toJS() as unknown;
      if (doc === null || doc === undefined) continue;
      manifests.push({ file: name, doc: doc as Record<string, unknown> });
    }
  }
  return { files, manifests };
}
