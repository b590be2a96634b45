import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { PathSegment, SpecError } from './spec-error.js';

/**
 * Reads YAML text into plain values plus, for every field and list item, the
 * line and column of its key and value, so validation issues on plain values
 * can be placed back in the file.
 */

export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceDocument {
  /** The document's content as plain data (mappings, lists, scalars). */
  value: unknown;
  /** Keyed by {@link positionKey} of the path. */
  positions: Map<string, { key?: SourcePosition; value: SourcePosition }>;
  /** Where the document starts. */
  start: SourcePosition;
  /** YAML syntax problems; when present, `value` should not be validated. */
  errors: SpecError[];
}

const MAX_ALIASES = 100;

export function positionKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

/** Splits the text into its `---`-separated documents, skipping empty ones. */
export function readYamlDocuments(text: string, file: string): SourceDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  // An error found at end of input (say, an unclosed quote) is placed just after the last content, not on a line past it.
  const end = text.trimEnd().length;
  const out: SourceDocument[] = [];
  for (const doc of docs) {
    const errors: SpecError[] = doc.errors.map((e) => ({ file, ...at(Math.min(e.pos[0], end)), path: '', message: `invalid YAML: ${e.message}` }));
    const contents = doc.contents;
    const empty = contents === null || (isScalar(contents) && contents.value === null && contents.range?.[0] === contents.range?.[1]);
    if (empty && errors.length === 0) continue;
    const reader = new Reader(doc, at, errors, file);
    const value = contents === null ? null : reader.read(contents, []);
    out.push({ value, positions: reader.positions, start: at(contents?.range?.[0] ?? 0), errors });
  }
  return out;
}

class Reader {
  readonly positions: SourceDocument['positions'] = new Map();
  private readonly resolving = new Set<Node>();
  /** Expanding aliases can grow exponentially ("billion laughs"); documents reach the API over the network. */
  private aliasBudget = MAX_ALIASES;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly at: (offset: number) => SourcePosition,
    private readonly errors: SpecError[],
    private readonly file: string,
  ) {}

  read(node: unknown, path: PathSegment[], keyOffset?: number): unknown {
    const valueOffset = (node as Node | null)?.range?.[0] ?? keyOffset ?? 0;
    this.positions.set(positionKey(path), {
      ...(keyOffset !== undefined ? { key: this.at(keyOffset) } : {}),
      value: this.at(valueOffset),
    });
    if (isAlias(node)) return this.readAlias(node.resolve(this.doc), path, valueOffset);
    if (isScalar(node)) return node.value;
    if (isSeq(node)) return node.items.map((item, i) => this.read(item, [...path, i]));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value ?? '') : undefined;
        const keyStart = (pair.key as Node | null)?.range?.[0] ?? valueOffset;
        if (key === undefined) {
          this.errors.push({ file: this.file, ...this.at(keyStart), path: '', message: 'invalid YAML for this format: mapping keys must be plain strings' });
          continue;
        }
        // defineProperty: a "__proto__" key must stay an ordinary field, not change the prototype.
        const value = this.read(pair.value, [...path, key], keyStart);
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node ?? null;
  }

  private readAlias(target: Node | undefined, path: PathSegment[], offset: number): unknown {
    if (target === undefined || this.resolving.has(target)) {
      this.errors.push({ file: this.file, ...this.at(offset), path: '', message: 'invalid YAML: alias refers to an unknown or enclosing anchor' });
      return null;
    }
    if (--this.aliasBudget < 0) {
      if (this.aliasBudget === -1) this.errors.push({ file: this.file, ...this.at(offset), path: '', message: `invalid YAML: more than ${MAX_ALIASES} aliases expanded; write the values out` });
      return null;
    }
    this.resolving.add(target);
    const value = this.read(target, path);
    this.resolving.delete(target);
    return value;
  }
}
