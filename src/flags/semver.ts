/**
 * Semantic Versioning 2.0.0 parsing and precedence, for the semver condition
 * operators. A leading "v" is accepted ("v1.2.3"); build metadata is ignored
 * for precedence, as the specification says.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated identifiers; numeric ones as numbers. Empty for a release. */
  prerelease: Array<string | number>;
}

const PATTERN = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Longest version string considered; longer attribute values never match. */
const MAX_LENGTH = 256;

export function parseSemVer(text: string): SemVer | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const nums = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!nums.every(Number.isSafeInteger)) return undefined;
  const prerelease = m[4] === undefined ? [] : m[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id));
  return { major: nums[0], minor: nums[1], patch: nums[2], prerelease };
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b`. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  const pa = a.prerelease;
  const pb = b.prerelease;
  // A release ranks above any of its pre-releases.
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    // Numeric identifiers rank below alphanumeric ones.
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
