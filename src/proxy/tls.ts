import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Stats } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ProxyError } from './errors.js';
import type { ProxyLogger } from './support.js';

/** PEM file paths of a listener's certificate (chain) and private key. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate and key as read from their files. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads and checks a certificate and its key. Relative paths are resolved from
 * the working directory. Throws SLUICE_PROXY_TLS naming the file and the fix.
 */
export function loadTlsPair(service: string, files: TlsFiles): TlsPair {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(resolve(path));
    } catch (err) {
      throw new ProxyError('SLUICE_PROXY_TLS', `sluice: cannot read the TLS ${what} ${resolve(path)} for service "${service}": ${(err as Error).message}; check spec.service.tls`, { service, cause: err });
    }
  };
  const pair = { cert: read(files.certFile, 'certificate'), key: read(files.keyFile, 'key') };
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new ProxyError(
      'SLUICE_PROXY_TLS',
      `sluice: the TLS certificate ${resolve(files.certFile)} and key ${resolve(files.keyFile)} for service "${service}" are not a usable PEM pair (${(err as Error).message}); check that the key belongs to the certificate`,
      { service, cause: err },
    );
  }
  return pair;
}

/**
 * Watches a certificate and key and calls `onChange` with the new pair when
 * either file changes and the two still form a valid pair (an invalid or
 * half-written pair is logged and the current one kept; the next change retries).
 */
export class TlsWatcher {
  private readonly paths: string[];
  private readonly listener = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    try {
      this.onChange(loadTlsPair(this.service, this.files));
      this.log.info({ service: this.service, certFile: this.files.certFile }, 'proxy reloaded its TLS certificate');
    } catch (err) {
      this.log.error({ service: this.service, err }, 'proxy kept its previous TLS certificate: the new files are not a valid pair');
    }
  };

  constructor(
    private readonly service: string,
    private readonly files: TlsFiles,
    private readonly onChange: (pair: TlsPair) => void,
    private readonly log: ProxyLogger,
    intervalMs: number,
  ) {
    this.paths = [resolve(files.certFile), resolve(files.keyFile)];
    for (const p of this.paths) watchFile(p, { interval: intervalMs, persistent: false }, this.listener);
  }

  close(): void {
    for (const p of this.paths) unwatchFile(p, this.listener);
  }
}
