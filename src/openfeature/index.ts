/**
 * `sluice/openfeature`: the OpenFeature server provider for Sluice flags
 * (peer dependency: `@openfeature/server-sdk`). See docs/flags.md.
 */
export { SluiceProvider, changedFlags, type Outcome, type SluiceProviderOptions } from './provider.js';
export { ProviderConfigError } from './errors.js';
export { loadDefinitionsFile } from './local-file.js';
export { TRACK_ERROR, TRACK_REQUEST, type TrackingBatch, type VariantOutcomes } from '../flags/tracking-types.js';
