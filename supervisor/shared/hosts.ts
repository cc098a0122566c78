/**
 * What a `supervisor.host` value means for who can reach the listener. Pure: no IO, no DNS.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Whether `host` (a bind address or a Host header's name) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase());
}

/** Whether binding `host` listens on every interface (and so on loopback too). */
export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host);
}

/**
 * Where a local client (the CLI, the app) connects to reach a listener bound to `host`: a
 * wildcard bind is reached on loopback, of the same family; any other host as it is.
 */
export function connectHost(host: string): string {
  if (!isWildcardHost(host)) return host;
  return host === '0.0.0.0' ? '127.0.0.1' : '::1';
}
