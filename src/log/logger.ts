/**
 * Structured logging: one JSON object per line, or a readable line when the
 * output is a terminal. Levels are filtered by `--log-level`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON; defaults to whether the stream is a TTY. */
  pretty?: boolean;
  stream?: { write(s: string): unknown; isTTY?: boolean };
  now?: () => number;
}

export function isLogLevel(v: string): v is LogLevel {
  return Object.hasOwn(RANK, v);
}

export function createLogger(opts: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const min = RANK[opts.level ?? 'info'];
  const pretty = opts.pretty ?? Boolean(stream.isTTY);
  const now = opts.now ?? Date.now;
  const write = (level: LogLevel, fields: Record<string, unknown>, msg: string): void => {
    if (RANK[level] < min) return;
    const all = { ...bound, ...fields };
    if (all.err instanceof Error) all.err = serializeError(all.err);
    stream.write(pretty ? prettyLine(level, now(), msg, all) : JSON.stringify({ level, time: new Date(now()).toISOString(), msg, ...all }) + '\n');
  };
  return {
    debug: (f, m) => write('debug', f, m),
    info: (f, m) => write('info', f, m),
    warn: (f, m) => write('warn', f, m),
    error: (f, m) => write('error', f, m),
    child: (f) => createLogger(opts, { ...bound, ...f }),
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

function serializeError(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { message: e.message, name: e.name };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (e.cause instanceof Error) out.cause = serializeError(e.cause);
  return out;
}

const COLOR: Record<LogLevel, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

function prettyLine(level: LogLevel, time: number, msg: string, fields: Record<string, unknown>): string {
  const t = new Date(time).toISOString().slice(11, 23);
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${COLOR[level]}${level.toUpperCase().padEnd(5)}\x1b[0m ${msg}${rest ? ' \x1b[90m' + rest + '\x1b[0m' : ''}\n`;
}
