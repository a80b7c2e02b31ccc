/**
 * Checks PromQL expressions against the metrics the code exports: parsed with Prometheus's own
 * grammar (@prometheus-io/lezer-promql), every selector must name a known metric, every label
 * matcher, `by`/`on` label and legend/annotation label must exist on the series it applies to.
 * Label sets are inferred through aggregations, binary operators and functions (a superset
 * approximation: a label that may be present counts as present).
 */
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** What a metric (or recording rule output) carries: its label names. */
export type Catalog = ReadonlyMap<string, ReadonlySet<string>>;

const EXPRESSIONS = new Set([
  'AggregateExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
  'StepInvariantExpr',
  'SmoothedExpr',
  'AnchoredExpr',
]);

/** Aggregations whose result keeps the series' own labels (they select, not combine). */
const SELECTING_AGGREGATIONS = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);

/** A scalar (number literal, `time()` ...) has no labels; vectors have a set. */
type Labels = { scalar: true } | { scalar: false; names: Set<string> };

const SCALAR: Labels = { scalar: true };
const vector = (names: Iterable<string>): Labels => ({ scalar: false, names: new Set(names) });

export interface QueryCheck {
  /** Problems found, each naming the expression part. Empty: the query is sound. */
  problems: string[];
  /** Labels of the result (empty for a scalar). */
  labels: Set<string>;
  /** Metric names the query reads. */
  metrics: Set<string>;
}

/** Grafana's built-in interval variables, replaced by a duration so that the query parses. */
export function expandGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?/g, '5m');
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function exprChildren(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((c) => EXPRESSIONS.has(c.name));
}

function groupingLabels(node: SyntaxNode | null, text: (n: SyntaxNode) => string): string[] {
  if (!node) return [];
  return children(node)
    .filter((c) => c.name === 'LabelName')
    .map(text);
}

/** Checks one expression against `catalog`. */
export function checkQuery(expr: string, catalog: Catalog): QueryCheck {
  const problems: string[] = [];
  const metrics = new Set<string>();
  const tree = parser.parse(expr);
  const text = (n: SyntaxNode): string => expr.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError)
        problems.push(`syntax error at ${ref.from}: "${expr.slice(ref.from, ref.from + 20)}"`);
    },
  });
  if (problems.length > 0) return { problems, labels: new Set(), metrics };

  const need = (labels: Labels, wanted: string[], where: string): void => {
    if (labels.scalar) {
      if (wanted.length > 0) problems.push(`${where}: labels ${wanted.join(', ')} on a scalar`);
      return;
    }
    for (const label of wanted) {
      if (!labels.names.has(label)) problems.push(`${where}: no label "${label}" there`);
    }
  };

  const labelsOf = (node: SyntaxNode): Labels => {
    switch (node.name) {
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return SCALAR;
      case 'VectorSelector': {
        const id = node.getChild('Identifier');
        if (!id) {
          problems.push(`selector ${text(node)} names no metric`);
          return vector([]);
        }
        const name = text(id);
        metrics.add(name);
        const known = catalog.get(name);
        if (!known) {
          problems.push(`metric ${name} is not exported by the code (nor a recording rule)`);
          return vector([]);
        }
        const matchers = node.getChild('LabelMatchers');
        for (const m of matchers ? children(matchers) : []) {
          if (m.name !== 'UnquotedLabelMatcher') {
            problems.push(`${name}: unsupported matcher ${text(m)}`);
            continue;
          }
          const label = text(m.getChild('LabelName')!);
          if (!known.has(label)) problems.push(`${name}: has no label "${label}" (matcher ${text(m)})`);
        }
        return vector(known);
      }
      case 'MatrixSelector':
      case 'OffsetExpr':
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
      case 'SmoothedExpr':
      case 'AnchoredExpr':
        return labelsOf(exprChildren(node)[0]!);
      case 'FunctionCall': {
        const fn = text(node.getChild('FunctionIdentifier')!);
        const args = exprChildren(node.getChild('FunctionCallBody')!).map((a) => ({
          node: a,
          labels: labelsOf(a),
        }));
        if (['time', 'pi', 'scalar', 'vector'].includes(fn)) return fn === 'vector' ? vector([]) : SCALAR;
        if (fn === 'histogram_quantile') {
          const inner = args[1]?.labels ?? SCALAR;
          need(inner, ['le'], `histogram_quantile(${text(args[1]!.node)})`);
          return inner.scalar ? inner : vector([...inner.names].filter((l) => l !== 'le'));
        }
        if (fn === 'absent' || fn === 'absent_over_time') return vector([]);
        if (fn === 'label_replace' || fn === 'label_join') {
          const base = args[0]?.labels ?? SCALAR;
          const dst = args[1] ? (JSON.parse(text(args[1].node)) as string) : '';
          return base.scalar ? base : vector([...base.names, dst]);
        }
        const vectors = args.filter((a) => !a.labels.scalar);
        if (vectors.length === 0) return SCALAR;
        return vector(vectors.flatMap((a) => [...(a.labels as { names: Set<string> }).names]));
      }
      case 'AggregateExpr': {
        const op = text(node.getChild('AggregateOp')!);
        const modifier = node.getChild('AggregateModifier');
        const args = exprChildren(node.getChild('FunctionCallBody')!);
        const inner = labelsOf(args[args.length - 1]!);
        const grouping = groupingLabels(modifier?.getChild('GroupingLabels') ?? null, text);
        need(inner, grouping, `${op} ${modifier ? text(modifier) : ''}`.trim());
        if (inner.scalar) return inner;
        if (SELECTING_AGGREGATIONS.has(op)) return inner;
        const extra = op === 'count_values' && args.length > 1 ? [JSON.parse(text(args[0]!)) as string] : [];
        if (!modifier) return vector(extra);
        if (modifier.getChild('Without'))
          return vector([...inner.names].filter((l) => !grouping.includes(l)));
        return vector([...grouping, ...extra]);
      }
      case 'BinaryExpr': {
        const [lhsNode, rhsNode] = exprChildren(node);
        const lhs = labelsOf(lhsNode!);
        const rhs = labelsOf(rhsNode!);
        if (lhs.scalar) return rhs;
        if (rhs.scalar) return lhs;
        const clause = node.getChild('MatchingModifierClause');
        const setOp = ['and', 'or', 'unless'].includes(
          children(node)
            .find((c) => ['And', 'Or', 'Unless'].includes(c.name))
            ?.name.toLowerCase() ?? '',
        );
        if (!clause) {
          if (setOp) return node.getChild('Or') ? vector([...lhs.names, ...rhs.names]) : lhs;
          return vector([...lhs.names].filter((l) => rhs.names.has(l)));
        }
        const on = groupingLabels(clause.getChild('GroupingLabels'), text);
        const where = text(clause);
        need(lhs, on, `${where} (left side)`);
        need(rhs, on, `${where} (right side)`);
        const left = clause.getChild('GroupLeft');
        const right = clause.getChild('GroupRight');
        const include = [left, right]
          .filter((n): n is SyntaxNode => n !== null)
          .flatMap((n) =>
            groupingLabels(n.nextSibling?.name === 'GroupingLabels' ? n.nextSibling : null, text),
          );
        if (setOp) return lhs;
        if (left) return vector([...lhs.names, ...include]);
        if (right) return vector([...rhs.names, ...include]);
        if (clause.getChild('On')) return vector(on);
        return vector([...lhs.names].filter((l) => !on.includes(l)));
      }
      default:
        problems.push(`unsupported expression ${node.name}: ${text(node)}`);
        return vector([]);
    }
  };

  const top = exprChildren(tree.topNode)[0];
  if (!top) return { problems: ['empty expression'], labels: new Set(), metrics };
  const result = labelsOf(top);
  return { problems, labels: result.scalar ? new Set() : result.names, metrics };
}

/** Labels named in a Go/Grafana template: `{{ $labels.node }}` (alerts) or `{{node}}` (legends). */
export function templateLabels(text: string, style: 'alert' | 'legend'): string[] {
  const pattern = style === 'alert' ? /\$labels\.([A-Za-z_]\w*)/g : /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;
  return [...text.matchAll(pattern)].map((m) => m[1]!);
}
