import os from 'node:os';
import {
  NEVER_INHERITED_ENV_PREFIXES,
  type ServerConfig,
  type SupervisorEnvConfig,
} from '../config/schema.ts';

/**
 * What a server inherits from the supervisor's environment: a documented allowlist, never the
 * whole environment. A server's own `env` from the config is added on top by its runtime.
 *
 * The base is the MCP SDK's own default for stdio servers (`getDefaultEnvironment` in
 * `@modelcontextprotocol/sdk/client/stdio`, "inspired by the default env inheritance of sudo"),
 * which Claude Desktop and the SDK's clients give every server. On its own it breaks real servers:
 * behind a TLS-intercepting proxy `npx -y` servers (and every server that makes an HTTPS request)
 * fail with `SELF_SIGNED_CERT_IN_CHAIN` when `NODE_EXTRA_CA_CERTS` is dropped, and tools that
 * format text or write temp files need the locale and the temp dir. So it adds the locale, the temp
 * dir, the XDG base dirs, the proxy variables in both spellings (curl and Node's undici read the
 * lower-case ones, most others the upper-case) and the CA bundle variables of the runtimes MCP
 * servers are written in (Node, Python requests/pip, curl, git, AWS SDKs, Deno, OpenSSL).
 *
 * Never inherited, whatever a list says: the supervisor's own variables (`MCP_SUPERVISOR_*`, which
 * include a client key), PM2's (`PM2_*`: a server that saw `PM2_HOME` would talk to our daemon), and
 * bash exported functions (values starting with `()`, skipped as the SDK does).
 */

/** The MCP SDK's `DEFAULT_INHERITED_ENV_VARS` (sdk 1.x `client/stdio.js`), POSIX. */
export const SDK_DEFAULT_ENV_POSIX = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'] as const;

/** The MCP SDK's `DEFAULT_INHERITED_ENV_VARS`, Windows. */
export const SDK_DEFAULT_ENV_WIN32 = [
  'APPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
  'LOCALAPPDATA',
  'PATH',
  'PROCESSOR_ARCHITECTURE',
  'SYSTEMDRIVE',
  'SYSTEMROOT',
  'TEMP',
  'USERNAME',
  'USERPROFILE',
  'PROGRAMFILES',
] as const;

/** Locale and time zone: `LC_*` covers LC_ALL, LC_CTYPE, LC_MESSAGES, … */
const LOCALE = ['LANG', 'LANGUAGE', 'LC_*', 'TZ'];
const TEMP_DIRS = ['TMPDIR', 'TMP', 'TEMP'];
const XDG_DIRS = ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR'];
const PROXY = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
];
const CA_BUNDLES = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'PIP_CERT',
  'GIT_SSL_CAINFO',
  'AWS_CA_BUNDLE',
  'DENO_CERT',
];
/** What Windows programs need beyond the SDK's list to find executables (`npx.cmd`) and the shell. */
const WIN32_EXTRA = ['COMSPEC', 'PATHEXT', 'WINDIR', 'PROGRAMDATA', 'PROGRAMFILES(X86)', 'PROGRAMW6432'];

/**
 * The built-in allowlist for a platform: names, or prefixes ending in `*`. Ordered as documented
 * in the README.
 */
export function defaultInheritedEnv(platform: NodeJS.Platform = process.platform): readonly string[] {
  const proxyAndCa = [...PROXY, ...CA_BUNDLES];
  if (platform === 'win32')
    return [...SDK_DEFAULT_ENV_WIN32, ...WIN32_EXTRA, 'TMP', ...LOCALE, ...proxyAndCa];
  return [...SDK_DEFAULT_ENV_POSIX, ...LOCALE, ...TEMP_DIRS, ...XDG_DIRS, ...proxyAndCa];
}

/**
 * The allowlist one server gets: the built-in list (unless `settings.inheritDefaults` is false),
 * plus `settings.inherit`, plus the server's own `inheritEnv`. Duplicates are dropped, order kept.
 */
export function inheritedEnvNames(options: {
  platform?: NodeJS.Platform;
  settings?: Partial<SupervisorEnvConfig>;
  server?: Pick<ServerConfig, 'inheritEnv'>;
}): string[] {
  const settings = options.settings ?? {};
  const names = [
    ...(settings.inheritDefaults === false ? [] : defaultInheritedEnv(options.platform)),
    ...(settings.inherit ?? []),
    ...(options.server?.inheritEnv ?? []),
  ];
  return [...new Set(names)];
}

/** Whether a variable is the supervisor's or PM2's own, which no server ever inherits. */
export function isNeverInherited(name: string): boolean {
  const upper = name.toUpperCase();
  return NEVER_INHERITED_ENV_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/**
 * A predicate for a list of names and `PREFIX*` patterns. Windows treats variable names without
 * regard to case (`Path` is `PATH`), POSIX systems do not (`http_proxy` is not `HTTP_PROXY`).
 */
export function envNameMatcher(
  names: readonly string[],
  platform: NodeJS.Platform = process.platform,
): (name: string) => boolean {
  const fold = platform === 'win32' ? (s: string) => s.toUpperCase() : (s: string) => s;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const name of names) {
    if (name.endsWith('*')) prefixes.push(fold(name.slice(0, -1)));
    else exact.add(fold(name));
  }
  return (name) => {
    const folded = fold(name);
    return exact.has(folded) || prefixes.some((prefix) => folded.startsWith(prefix));
  };
}

/**
 * The environment a server starts with before its own `env` is added: every variable of `env`
 * (the supervisor's environment) whose name is on the server's allowlist, except the never
 * inherited ones and exported shell functions. On POSIX an allowed `HOME` is set from the user's
 * account when the supervisor has none (launchd, systemd), since servers put their data under it.
 */
export function serverBaseEnv(options: {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  settings?: Partial<SupervisorEnvConfig>;
  server?: Pick<ServerConfig, 'inheritEnv'>;
  homedir?: () => string;
}): Record<string, string> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const isAllowed = envNameMatcher(inheritedEnvNames({ ...options, platform }), platform);
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.startsWith('()')) continue;
    if (isNeverInherited(name) || !isAllowed(name)) continue;
    base[name] = value;
  }
  if (platform !== 'win32' && base.HOME === undefined && isAllowed('HOME')) {
    base.HOME = (options.homedir ?? os.homedir)();
  }
  return base;
}
