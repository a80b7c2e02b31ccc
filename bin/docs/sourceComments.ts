/**
 * The doc comments of zod schemas, read from their source. The configuration reference takes each
 * key's type, default and range from the schema itself (z.toJSONSchema) and its description from
 * the `/** ... *\/` comment above the key in the schema's source, so that the schemas stay plain
 * zod and the comments the code already carries are the documentation.
 *
 * Pure: the caller passes a `read(path)` that returns a file's text (the tests pass in-memory
 * sources). The walk follows what the schemas are built from: `z.object({...})` and its strict and
 * loose forms, `.extend({...})`, `X.shape.key`, `z.array`, `z.record`, `z.union`, wrappers such as
 * `.optional()` and `.default()`, and identifiers declared in the same file or imported from another.
 */
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** The comments found for one schema: its own description and those of its parts. */
export interface SchemaComments {
  description?: string;
  /** Keys of an object schema. */
  properties: Map<string, SchemaComments>;
  /** The element of an array schema. */
  items?: SchemaComments;
  /** The value of a record schema. */
  values?: SchemaComments;
  /** The members of a union, in order. */
  options: SchemaComments[];
}

/** Returns a source file's text; `path` is absolute and ends in `.ts`. */
export type ReadSource = (path: string) => string;

interface Located {
  node: ts.Expression;
  file: string;
}

/** Nesting followed at most: the schemas are a few levels deep; this only stops a cycle. */
const MAX_DEPTH = 24;

const OBJECT_FACTORIES = new Set(['object', 'strictObject', 'looseObject']);
const UNION_FACTORIES = new Set(['union', 'xor']);

function empty(description?: string): SchemaComments {
  return { ...(description !== undefined ? { description } : {}), properties: new Map(), options: [] };
}

/**
 * A `/** *\/` comment on the same line as the token before the node (`{ /** doc *\/ key: ... }`),
 * which TypeScript counts as that token's trailing comment rather than the node's JSDoc.
 */
function sameLineDocComment(node: ts.Node): string | undefined {
  const text = node.getSourceFile().text;
  const start = node.getFullStart();
  const ranges = [
    ...(ts.getTrailingCommentRanges(text, start) ?? []),
    ...(ts.getLeadingCommentRanges(text, start) ?? []),
  ];
  const doc = ranges.filter((r) => text.startsWith('/**', r.pos) && r.end - r.pos > 4).at(-1);
  if (doc === undefined) return undefined;
  return text
    .slice(doc.pos + 3, doc.end - 2)
    .split('\n')
    .map((line) => line.replace(/^\s*\*?/, ''))
    .join(' ');
}

/** A doc comment's text as one line (its tags dropped). */
function commentText(node: ts.Node): string | undefined {
  const jsDoc = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '');
  const texts = (jsDoc.length > 0 ? jsDoc : [sameLineDocComment(node) ?? ''])
    .map((text) => text.replace(/\s+/g, ' ').trim())
    .filter((text) => text !== '');
  return texts.length > 0 ? texts.join(' ') : undefined;
}

/** Reads schema comments from sources; one instance caches the files it parsed. */
export class SchemaCommentReader {
  readonly #read: ReadSource;
  readonly #files = new Map<string, ts.SourceFile>();

  constructor(read: ReadSource) {
    this.#read = read;
  }

  /** The comments of `name`, a schema declared (or imported) at the top level of `file`. */
  commentsOf(file: string, name: string): SchemaComments {
    const declared = this.#declaration(resolve(file), name, 0);
    if (declared === undefined) throw new Error(`${name} is not declared in ${file}`);
    return this.#walk(declared.located, 0, declared.description);
  }

  #source(file: string): ts.SourceFile {
    let source = this.#files.get(file);
    if (source === undefined) {
      source = ts.createSourceFile(file, this.#read(file), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
      this.#files.set(file, source);
    }
    return source;
  }

  /** Where `name` is defined, seen from the top level of `file`: a const, or an import followed. */
  #declaration(
    file: string,
    name: string,
    depth: number,
  ): { located: Located; description?: string } | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const source = this.#source(file);
    for (const statement of source.statements) {
      if (ts.isVariableStatement(statement)) {
        for (const decl of statement.declarationList.declarations) {
          if (ts.isIdentifier(decl.name) && decl.name.text === name && decl.initializer !== undefined) {
            const description = commentText(statement);
            return {
              located: { node: decl.initializer, file },
              ...(description !== undefined ? { description } : {}),
            };
          }
        }
      }
      const imported = this.#importedName(statement, name);
      if (imported !== undefined) {
        return this.#declaration(this.#resolveModule(file, imported.module), imported.name, depth + 1);
      }
    }
    return undefined;
  }

  /** `name` as imported or re-exported by one statement: the module and the name there. */
  #importedName(statement: ts.Statement, name: string): { module: string; name: string } | undefined {
    if (
      ts.isImportDeclaration(statement) &&
      ts.isStringLiteral(statement.moduleSpecifier) &&
      statement.importClause?.namedBindings !== undefined &&
      ts.isNamedImports(statement.importClause.namedBindings)
    ) {
      for (const spec of statement.importClause.namedBindings.elements) {
        if (spec.name.text === name)
          return { module: statement.moduleSpecifier.text, name: (spec.propertyName ?? spec.name).text };
      }
    }
    if (
      ts.isExportDeclaration(statement) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier) &&
      statement.exportClause !== undefined &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const spec of statement.exportClause.elements) {
        if (spec.name.text === name)
          return { module: statement.moduleSpecifier.text, name: (spec.propertyName ?? spec.name).text };
      }
    }
    return undefined;
  }

  #resolveModule(from: string, specifier: string): string {
    if (!specifier.startsWith('.')) throw new Error(`${from}: cannot follow the package import ${specifier}`);
    return resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
  }

  #walk(at: Located, depth: number, description?: string): SchemaComments {
    const shape = depth > MAX_DEPTH ? undefined : this.#shape(at, depth);
    if (shape === undefined) return empty(description);
    return {
      ...shape,
      ...(description !== undefined
        ? { description }
        : shape.description !== undefined
          ? { description: shape.description }
          : {}),
    };
  }

  /** What one schema expression is made of, or undefined for a leaf (string, number, ...). */
  #shape(at: Located, depth: number): SchemaComments | undefined {
    const { node, file } = at;
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))
      return this.#shape({ node: node.expression, file }, depth);
    if (ts.isIdentifier(node)) {
      const declared = this.#declaration(file, node.text, depth + 1);
      return declared === undefined
        ? undefined
        : this.#walk(declared.located, depth + 1, declared.description);
    }
    if (ts.isPropertyAccessExpression(node)) {
      // `X.shape.key`: one key of another object schema.
      const owner = node.expression;
      if (ts.isPropertyAccessExpression(owner) && owner.name.text === 'shape') {
        return this.#shape({ node: owner.expression, file }, depth + 1)?.properties.get(node.name.text);
      }
      return undefined;
    }
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return undefined;
    const method = node.expression.name.text;
    const receiver = node.expression.expression;
    const args = node.arguments;
    const arg = (i: number): Located | undefined => {
      const a = args[i];
      return a === undefined ? undefined : { node: a, file };
    };
    if (ts.isIdentifier(receiver) && receiver.text === 'z') {
      if (OBJECT_FACTORIES.has(method)) return this.#objectLiteral(args[0], file, depth, empty());
      if (method === 'array') {
        const item = arg(0);
        return item === undefined ? undefined : { ...empty(), items: this.#walk(item, depth + 1) };
      }
      if (method === 'record') {
        const value = arg(1);
        return value === undefined ? undefined : { ...empty(), values: this.#walk(value, depth + 1) };
      }
      if (UNION_FACTORIES.has(method) || method === 'discriminatedUnion') {
        const list = args[method === 'discriminatedUnion' ? 1 : 0];
        if (list === undefined || !ts.isArrayLiteralExpression(list)) return undefined;
        return { ...empty(), options: list.elements.map((e) => this.#walk({ node: e, file }, depth + 1)) };
      }
      // z.optional(x), z.nullable(x) and the like wrap their first argument.
      const inner = arg(0);
      return inner === undefined || ts.isObjectLiteralExpression(inner.node)
        ? undefined
        : this.#shape(inner, depth + 1);
    }
    const base = (): SchemaComments | undefined => this.#shape({ node: receiver, file }, depth + 1);
    if (method === 'extend' || method === 'safeExtend')
      return this.#objectLiteral(args[0], file, depth, base() ?? empty());
    if (method === 'array') return { ...empty(), items: this.#walk({ node: receiver, file }, depth + 1) };
    if (method === 'or') {
      const other = arg(0);
      return other === undefined
        ? undefined
        : {
            ...empty(),
            options: [this.#walk({ node: receiver, file }, depth + 1), this.#walk(other, depth + 1)],
          };
    }
    // .optional(), .default(...), .strict(), .min(...), .superRefine(...): the receiver's shape.
    return base();
  }

  /** The keys of an object literal's properties over `base` (which `extend` builds on). */
  #objectLiteral(
    literal: ts.Expression | undefined,
    file: string,
    depth: number,
    base: SchemaComments,
  ): SchemaComments | undefined {
    if (literal === undefined || !ts.isObjectLiteralExpression(literal)) return undefined;
    const properties = new Map(base.properties);
    for (const prop of literal.properties) {
      if (!ts.isPropertyAssignment(prop) && !ts.isShorthandPropertyAssignment(prop)) continue;
      const key = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) ? prop.name.text : undefined;
      if (key === undefined) continue;
      const value = ts.isPropertyAssignment(prop) ? prop.initializer : prop.name;
      const inherited = properties.get(key)?.description;
      const description = commentText(prop) ?? inherited;
      properties.set(key, this.#walk({ node: value, file }, depth + 1, description));
    }
    return { ...base, properties };
  }
}
