import { ApiError } from './errors.js';

/** One problem with a request, as the API reports it. */
export interface InputProblem {
  /** body, querystring, params or headers. */
  in: string;
  /** The field, e.g. "role" or "items[2].name"; empty for the whole part. */
  path: string;
  message: string;
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Turns Fastify's schema-validation error into a 400 that names every bad
 * field (`SLUICE_INVALID_REQUEST`, details.errors); undefined for other errors.
 */
export function fromValidationError(err: unknown): ApiError | undefined {
  const e = err as { validation?: AjvIssue[]; validationContext?: string };
  if (!Array.isArray(e.validation)) return undefined;
  const part = e.validationContext ?? 'body';
  const problems = e.validation.map((issue) => problem(part, issue));
  const listed = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  const where = part === 'querystring' ? 'query parameters' : part === 'params' ? 'path' : part === 'headers' ? 'headers' : 'request body';
  return new ApiError(400, 'SLUICE_INVALID_REQUEST', `invalid ${where}: ${listed}`, { errors: problems }, { cause: err });
}

function problem(part: string, issue: AjvIssue): InputProblem {
  const base = pointerToPath(issue.instancePath);
  const join = (field: string) => (base ? `${base}.${field}` : field);
  const p = issue.params;
  switch (issue.keyword) {
    case 'required':
      return { in: part, path: join(String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { in: part, path: join(String(p.additionalProperty)), message: 'is not a known field; remove it or check its spelling' };
    case 'enum':
      return { in: part, path: base, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      return { in: part, path: base, message: `has the wrong form (must match ${String(p.pattern)})` };
    default:
      return { in: part, path: base, message: issue.message ?? issue.keyword };
  }
}

/** "/items/2/name" → "items[2].name" */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
