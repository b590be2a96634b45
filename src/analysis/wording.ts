/**
 * What the two sides of a comparison are called in the sentences a person
 * reads (check summaries, the judge's reasons): "canary" and "stable" for a
 * traffic rollout; for a guarded flag rollout, the users who get the variant
 * and everyone else. Numbers and event data never change with the wording.
 */
export interface Wording {
  /** The side under test, as a noun phrase: "canary", "\"on\" users". */
  canary: string;
  /** The side it is compared with: "stable", "everyone else". */
  stable: string;
  /** Possessives: "the canary's" / "\"on\" users'", "stable's" / "everyone else's". */
  canaryOf: string;
  stableOf: string;
  /** Before a rate: "canary error rate 2% vs stable 1%" / "\"on\" users' error rate 2% vs everyone else's 1%". */
  canaryRate: string;
  stableRate: string;
  /** The side under test before a count in "(1000 canary and 4000 stable requests)". */
  canaryShort: string;
  /** Requests of the side under test, one and several: "canary request(s)", "request(s) from \"on\" users". */
  canaryRequest: [one: string, many: string];
  /** Requests of the other side: "stable request(s)", "request(s) from everyone else". */
  stableRequest: [one: string, many: string];
}

/** "1 canary request", "3 canary requests". */
export function countOf(n: number, [one, many]: readonly [string, string]): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const TRAFFIC_WORDING: Wording = {
  canary: 'canary',
  stable: 'stable',
  canaryOf: "the canary's",
  stableOf: "stable's",
  canaryRate: 'canary',
  stableRate: 'stable',
  canaryShort: 'canary',
  canaryRequest: ['canary request', 'canary requests'],
  stableRequest: ['stable request', 'stable requests'],
};

/** The wording of a guarded flag rollout of `variant`. */
export function flagWording(variant: string): Wording {
  return {
    canary: `"${variant}" users`,
    stable: 'everyone else',
    canaryOf: `"${variant}" users'`,
    stableOf: "everyone else's",
    canaryRate: `"${variant}" users'`,
    stableRate: "everyone else's",
    canaryShort: `from "${variant}" users`,
    canaryRequest: [`request from "${variant}" users`, `requests from "${variant}" users`],
    stableRequest: ['request from everyone else', 'requests from everyone else'],
  };
}
