/**
 * Every answer of the control plane carries this header, so a client can tell
 * a Sluice server from another HTTP service that happens to answer JSON at
 * the address it was given (a sample upstream, a proxy's listener).
 */
export const API_MARKER_HEADER = 'x-sluice-api';
export const API_MARKER_VALUE = 'v1';
