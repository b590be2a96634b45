/**
 * The proxies Sluice is measured against: HAProxy and nginx from Debian,
 * each started in the foreground from a temporary config with the same 90/10
 * weighted split and keep-alive to the upstreams, on a free loopback port, and
 * stopped by PID. RSS is read from /proc for a process and its children.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface Peer {
  name: 'haproxy' | 'nginx';
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A free loopback port (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function hostPort(url: string): string {
  return new URL(url).host;
}

/** The most client connections HAProxy can hold under this machine's descriptor limit (20,000 here). */
export const HAPROXY_MAXCONN = 9_900;

/*
 * The peers do the same per-request work as Sluice's proxy, so the upstreams
 * (which share the machine) parse the same headers whichever proxy is in front:
 * X-Forwarded-For/-Proto/-Host and a request id (the client's, else a new one)
 * on the way in; the request id and a header naming the version on the way out.
 */

function haproxyConfig(port: number, stable: string, canary: string): string {
  // Each connection costs HAProxy two descriptors; it refuses to start when maxconn cannot fit the hard limit.
  return `global
  maxconn ${HAPROXY_MAXCONN}
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 120s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid
  http-request set-header X-Request-ID %[unique-id] unless { req.hdr(x-request-id) -m found }
  http-response set-header X-Request-ID %[unique-id]
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  http-response set-header X-Sluice-Version %[srv_name]
  server stable ${hostPort(stable)} weight 90
  server canary ${hostPort(canary)} weight 10
`;
}

function nginxConfig(dir: string, port: number, stable: string, canary: string): string {
  return `worker_processes auto;
worker_rlimit_nofile 19000;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 18000; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 120s;
  keepalive_requests 100000000;
  map $http_x_request_id $sluice_request_id {
    default $http_x_request_id;
    "" $request_id;
  }
  upstream be {
    server ${hostPort(stable)} weight=9;
    server ${hostPort(canary)} weight=1;
    keepalive 256;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Request-ID $sluice_request_id;
      add_header X-Request-ID $sluice_request_id always;
      add_header X-Sluice-Version $upstream_addr always;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
`;
}

/** Polls until something accepts TCP connections on `port`, or the child exits. */
async function waitListening(port: number, child: ChildProcess, what: string, log: () => string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${port} within 10 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
}

/** Starts HAProxy from a config in `dir`; undefined when haproxy is not installed. */
export async function startHaproxy(dir: string, stable: string, canary: string): Promise<Peer | undefined> {
  const bin = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((p) => existsSync(p));
  if (!bin) return undefined;
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, stable, canary));
  let log = '';
  const child = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (log += c));
  child.stderr!.on('data', (c: Buffer) => (log += c));
  await waitListening(port, child, 'haproxy', () => log);
  return { name: 'haproxy', url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

/** Starts nginx (master in the foreground) from a config in `dir`; undefined when nginx is not installed. */
export async function startNginx(dir: string, stable: string, canary: string): Promise<Peer | undefined> {
  const bin = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p));
  if (!bin) return undefined;
  const port = await freePort();
  const home = join(dir, 'nginx');
  mkdirSync(home, { recursive: true });
  const cfg = join(home, 'nginx.conf');
  writeFileSync(cfg, nginxConfig(home, port, stable, canary));
  let log = '';
  const child = spawn(bin, ['-p', home, '-e', join(home, 'error.log'), '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (log += c));
  child.stderr!.on('data', (c: Buffer) => (log += c));
  const errors = (): string => log + (existsSync(join(home, 'error.log')) ? readFileSync(join(home, 'error.log'), 'utf8') : '');
  await waitListening(port, child, 'nginx', errors);
  return { name: 'nginx', url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    const out: number[] = [];
    const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    for (const t of tasks.split(/\s+/)) if (t) out.push(Number(t));
    return out;
  } catch {
    return [];
  }
}

/** Resident memory of `pid` and all its descendants, in bytes. */
export function treeRss(pid: number): number {
  let total = rssOf(pid);
  for (const c of childrenOf(pid)) total += treeRss(c);
  return total;
}
