/** What one analysis check concluded. Verdicts rank best to worst: pass < inconclusive < fail. */
export type Verdict = 'pass' | 'inconclusive' | 'fail';

const RANK: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

/** The worse of two verdicts (Argo's IsWorse). */
export function worse(a: Verdict, b: Verdict): Verdict {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Per-version figures over one check window, kept with the verdict so a decision can be explained. */
export interface VersionWindow {
  requests: number;
  /** 5xx responses plus requests the proxy could not complete (connect errors, timeouts). */
  errors: number;
  /** Percent of requests that did not error; undefined with no requests. */
  successRate?: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface MetricVerdict {
  /** e.g. "success-rate", "latency-p99". */
  name: string;
  verdict: Verdict;
  /** The canary's value in the window (percent or ms); undefined when there was no data. */
  value?: number;
  min?: number;
  max?: number;
  /** Canary samples the value rests on. */
  samples: number;
  /** Where the value came from when not the proxy's own counts: "prometheus", "http". */
  provider?: string;
  /** Relative checks: stable's value over the same window, the canary/stable ratio and its bounds. */
  stableValue?: number;
  ratio?: number;
  minRatio?: number;
  maxRatio?: number;
  /** A dry-run metric: recorded, never part of the check's verdict. */
  dryRun?: boolean;
  /** The provider failed (measurement phase `error`): what it said. Counts toward consecutiveErrorLimit. */
  error?: string;
  /** One sentence a human understands, e.g. "success-rate 93.1% is below the minimum 99% (412 requests)". */
  reason: string;
}

export interface CheckResult {
  verdict: Verdict;
  /** Window the check covered, ms since epoch. */
  from: number;
  to: number;
  canary: VersionWindow;
  stable: VersionWindow;
  /** The canary's answers to mirrored copies of stable's requests (present when the proxy mirrors). */
  mirror?: VersionWindow;
  metrics: MetricVerdict[];
  /** One line for logs and the CLI. */
  summary: string;
}
