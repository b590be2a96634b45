import { INVALID, type Schema } from './schema.js';
import { formatPath, type Issue, type SpecError } from './spec-error.js';
import { positionKey, readYamlDocuments, type SourceDocument, type SourcePosition } from './yaml-source.js';

/**
 * The path from text or plain data to a validated document, shared by every
 * format: YAML syntax errors first, then every validation issue of every
 * document, each placed at its line and column and sorted in file order.
 */

export interface Validated<T> {
  value?: T;
  errors: SpecError[];
}

/** Validates plain data (e.g. a JSON body); errors carry field paths and, when given, the source name. */
export function validateData<T>(schema: Schema<T>, value: unknown, source?: string, doc?: SourceDocument): Validated<T> {
  const issues: Issue[] = [];
  const parsed = schema.parse(value, [], issues);
  const errors = issues.map((issue) => placeIssue(issue, source, doc));
  if (doc) errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return parsed === INVALID || errors.length > 0 ? { errors } : { value: parsed, errors };
}

/** Validates every document of a YAML text; documents with syntax errors are reported and skipped. */
export function validateYaml<T>(schema: Schema<T>, text: string, file: string, expected: string): { documents: Array<Validated<T> & { source: SourceDocument }>; errors: SpecError[] } {
  const sources = readYamlDocuments(text, file);
  if (sources.length === 0) {
    return { documents: [], errors: [{ file, line: 1, column: 1, path: '', message: `no documents found; expected ${expected}` }] };
  }
  const documents: Array<Validated<T> & { source: SourceDocument }> = [];
  const errors: SpecError[] = [];
  for (const source of sources) {
    if (source.errors.length > 0) {
      errors.push(...source.errors);
      continue;
    }
    const result = validateData(schema, source.value, file, source);
    errors.push(...result.errors);
    documents.push({ ...result, source });
  }
  return { documents, errors };
}

/** Places an issue in the source: at its key, its value, or the mapping that lacks it; else at the nearest enclosing node found. */
export function placeIssue(issue: Issue, file: string | undefined, doc?: SourceDocument): SpecError {
  const base = { ...(file !== undefined ? { file } : {}), path: formatPath(issue.path), message: issue.message };
  if (!doc) return base;
  const target = issue.at === 'parent' ? issue.path.slice(0, -1) : issue.path;
  let position: SourcePosition = doc.start;
  for (let p = target; ; p = p.slice(0, -1)) {
    const entry = doc.positions.get(positionKey(p));
    if (entry) {
      position = issue.at === 'key' && p === target ? entry.key ?? entry.value : entry.value;
      break;
    }
    if (p.length === 0) break;
  }
  return { ...(file !== undefined ? { file } : {}), line: position.line, column: position.column, path: base.path, message: base.message };
}
