import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import { CLIENTS, type ClientId, type ConfigScope } from './clients.ts';

/** One place a client reads its MCP config from. */
export interface ConfigLocation {
  readonly client: ClientId;
  readonly scope: ConfigScope;
  /** Absolute path of the file (it may not exist). */
  readonly file: string;
  /** Which variant this is, when a client has several for one scope (VS Code Insiders). */
  readonly variant: string;
  /** Where the path is documented. */
  readonly source: string;
}

/** The user's home folder as the platform defines it, from `env` (never the process's own). */
export function homeDirOf(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  const home =
    platform === 'win32'
      ? (env.USERPROFILE ?? (env.HOMEDRIVE && env.HOMEPATH ? `${env.HOMEDRIVE}${env.HOMEPATH}` : undefined))
      : env.HOME;
  if (!home) {
    throw new SupervisorError(
      'CONFIG_NOT_FOUND',
      `cannot find your home folder: ${platform === 'win32' ? 'USERPROFILE' : 'HOME'} is not set; set it, or give the file with --file`,
    );
  }
  return home;
}

/** `%APPDATA%` on Windows (Roaming), the folder Claude Desktop and VS Code keep their settings in. */
function appData(env: NodeJS.ProcessEnv, home: string): string {
  return env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming');
}

/** `$XDG_CONFIG_HOME`, by the XDG base directory spec defaulting to `~/.config`. */
function xdgConfig(env: NodeJS.ProcessEnv, home: string): string {
  return env.XDG_CONFIG_HOME || path.posix.join(home, '.config');
}

const DOCS = {
  claude:
    'modelcontextprotocol.io/quickstart/user (macOS, Windows); Linux: community builds (claude-desktop-debian)',
  cursor: 'cursor.com/docs/context/mcp ("~/.cursor/mcp.json" global, ".cursor/mcp.json" per project)',
  vscode:
    'code.visualstudio.com/docs/copilot/reference/mcp-configuration (user profile mcp.json, .vscode/mcp.json); user folder per OS: code.visualstudio.com/docs/configure/settings#_settings-file-locations',
  windsurf:
    'docs.windsurf.com/windsurf/cascade/mcp ("~/.codeium/windsurf/mcp_config.json"); JetBrains plugin: docs.windsurf.com/plugins/cascade/mcp ("~/.codeium/mcp_config.json")',
} as const;

/**
 * Every documented place `client` reads its MCP config from on `platform`, most likely first, for
 * the user scope and — when `projectDir` (absolute) is given and the client has one — the project
 * scope.
 * Pure: paths come from `env` (HOME / USERPROFILE, APPDATA, XDG_CONFIG_HOME) and `projectDir`
 * only, joined with the separator of `platform`, so every OS can be computed on any machine.
 */
export function clientConfigLocations(
  client: ClientId,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  options: { projectDir?: string } = {},
): ConfigLocation[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const home = homeDirOf(platform, env);
  const user = (file: string, variant = 'default'): ConfigLocation => ({
    client,
    scope: 'user',
    file,
    variant,
    source: DOCS[client],
  });
  const out: ConfigLocation[] = [];
  if (client === 'claude') {
    const name = 'claude_desktop_config.json';
    if (platform === 'darwin') out.push(user(p.join(home, 'Library', 'Application Support', 'Claude', name)));
    else if (platform === 'win32') out.push(user(p.join(appData(env, home), 'Claude', name)));
    // No Linux build is published; the community ones follow the XDG config folder.
    else out.push(user(p.join(xdgConfig(env, home), 'Claude', name)));
  } else if (client === 'cursor') {
    out.push(user(p.join(home, '.cursor', 'mcp.json')));
  } else if (client === 'vscode') {
    for (const [folder, variant] of [
      ['Code', 'default'],
      ['Code - Insiders', 'insiders'],
    ] as const) {
      const userDir =
        platform === 'darwin'
          ? p.join(home, 'Library', 'Application Support', folder, 'User')
          : platform === 'win32'
            ? p.join(appData(env, home), folder, 'User')
            : p.join(xdgConfig(env, home), folder, 'User');
      out.push(user(p.join(userDir, 'mcp.json'), variant));
    }
  } else {
    out.push(user(p.join(home, '.codeium', 'windsurf', 'mcp_config.json')));
    out.push(user(p.join(home, '.codeium', 'mcp_config.json'), 'jetbrains-plugin'));
  }
  if (options.projectDir && CLIENTS[client].scopes.includes('project')) {
    const folder = client === 'cursor' ? '.cursor' : '.vscode';
    out.push({
      client,
      scope: 'project',
      file: p.join(options.projectDir, folder, 'mcp.json'),
      variant: 'default',
      source: DOCS[client],
    });
  }
  return out;
}
