/**
 * Typed errors of flag management. A user reads the message (it says what to
 * do); a program switches on `code`, which never changes once published.
 */
export type FlagErrorCode =
  | 'SLUICE_FLAG_NOT_FOUND'
  | 'SLUICE_FLAGSET_NOT_FOUND'
  | 'SLUICE_FLAG_KEY_TAKEN'
  | 'SLUICE_FLAG_INVALID_CHANGE'
  | 'SLUICE_FLAG_AMBIGUOUS'
  | 'SLUICE_FLAG_UNDER_ROLLOUT'
  | 'SLUICE_CLIENT_KEY_NOT_FOUND'
  | 'SLUICE_CLIENT_KEY_INVALID';

const STATUS: Record<FlagErrorCode, number> = {
  SLUICE_FLAG_NOT_FOUND: 404,
  SLUICE_FLAGSET_NOT_FOUND: 404,
  SLUICE_FLAG_KEY_TAKEN: 409,
  SLUICE_FLAG_INVALID_CHANGE: 400,
  SLUICE_FLAG_AMBIGUOUS: 409,
  SLUICE_FLAG_UNDER_ROLLOUT: 409,
  SLUICE_CLIENT_KEY_NOT_FOUND: 404,
  SLUICE_CLIENT_KEY_INVALID: 400,
};

export class FlagError extends Error {
  override readonly name = 'FlagError';
  readonly code: FlagErrorCode;
  /** The HTTP status the API answers with. */
  readonly status: number;

  constructor(code: FlagErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = STATUS[code];
  }
}
