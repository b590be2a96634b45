/** The embedded data plane's public surface. */
export { EmbeddedProxy } from './proxy.js';
export type { EmbeddedProxyOptions, ProxyLogger } from './proxy.js';
export type { Role, ServiceSnapshot, VersionCounters } from './counters.js';
export { Histogram, HistogramError } from './histogram.js';
export type { HistogramData } from './histogram.js';
export { ProxyError } from './errors.js';
export type { ProxyErrorCode } from './errors.js';
