/** The provider was configured wrongly (no source, unreadable file, invalid definitions). */
export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
  readonly code = 'SLUICE_OPENFEATURE_CONFIG';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
