/**
 * Typed store errors. A user reads the message (it says what to do); a program
 * switches on `code`, which never changes once published.
 */
export type StoreErrorCode =
  | 'SLUICE_STORE_CONFLICT'
  | 'SLUICE_STORE_SCHEMA_NEWER'
  | 'SLUICE_STORE_NOT_SQLITE'
  | 'SLUICE_STORE_OPEN_FAILED'
  | 'SLUICE_STORE_MIGRATION_FAILED'
  | 'SLUICE_STORE_WRITE_FAILED'
  | 'SLUICE_STORE_READ_FAILED'
  | 'SLUICE_STORE_CORRUPT_ROW'
  | 'SLUICE_STORE_INVALID_ARGUMENT'
  | 'SLUICE_STORE_UNKNOWN_TYPE'
  | 'SLUICE_STORE_CLOSED';

/** Base class of every error a Store throws on purpose. `cause` carries the underlying error, if any. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/**
 * saveRollout was called with an `expectedVersion` that is not the stored one:
 * someone else saved the rollout in between. Nothing was written; re-read and retry.
 */
export class StoreConflictError extends StoreError {
  readonly rollout: string;
  readonly expectedVersion: number;
  /** The stored version, 0 when the rollout does not exist. */
  readonly actualVersion: number;

  constructor(rollout: string, expectedVersion: number, actualVersion: number) {
    const found = actualVersion === 0 ? 'it does not exist' : `it is at version ${actualVersion}`;
    super(
      'SLUICE_STORE_CONFLICT',
      `Rollout "${rollout}" changed concurrently: expected version ${expectedVersion} but ${found}. ` +
        'Nothing was written; read the rollout again and retry.',
    );
    this.name = 'StoreConflictError';
    this.rollout = rollout;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
