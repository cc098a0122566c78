import { describe, expect, it } from 'vitest';
import { clientConfigLocations } from '../../../supervisor/mcp-clients/index.ts';

const files = (...args: Parameters<typeof clientConfigLocations>) =>
  clientConfigLocations(...args).map((l) => l.file);

describe('client config locations (documented paths)', () => {
  const mac = { HOME: '/Users/me' };
  const linux = { HOME: '/home/me' };
  const win = { USERPROFILE: 'C:\\Users\\me', APPDATA: 'C:\\Users\\me\\AppData\\Roaming' };

  it('Claude Desktop: Application Support on macOS, %APPDATA% on Windows, XDG config on Linux', () => {
    expect(files('claude', 'darwin', mac)).toEqual([
      '/Users/me/Library/Application Support/Claude/claude_desktop_config.json',
    ]);
    expect(files('claude', 'win32', win)).toEqual([
      'C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    ]);
    expect(files('claude', 'linux', linux)).toEqual(['/home/me/.config/Claude/claude_desktop_config.json']);
    expect(files('claude', 'linux', { ...linux, XDG_CONFIG_HOME: '/cfg' })).toEqual([
      '/cfg/Claude/claude_desktop_config.json',
    ]);
  });

  it('Cursor: ~/.cursor/mcp.json, and .cursor/mcp.json of a project', () => {
    expect(files('cursor', 'darwin', mac)).toEqual(['/Users/me/.cursor/mcp.json']);
    expect(files('cursor', 'win32', win)).toEqual(['C:\\Users\\me\\.cursor\\mcp.json']);
    const withProject = clientConfigLocations('cursor', 'linux', linux, { projectDir: '/src/app' });
    expect(withProject.map((l) => [l.scope, l.file])).toEqual([
      ['user', '/home/me/.cursor/mcp.json'],
      ['project', '/src/app/.cursor/mcp.json'],
    ]);
  });

  it('VS Code: the user folder mcp.json per OS (and Insiders), and .vscode/mcp.json of a project', () => {
    expect(files('vscode', 'darwin', mac)).toEqual([
      '/Users/me/Library/Application Support/Code/User/mcp.json',
      '/Users/me/Library/Application Support/Code - Insiders/User/mcp.json',
    ]);
    expect(files('vscode', 'win32', win)[0]).toBe('C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json');
    expect(files('vscode', 'linux', linux, { projectDir: '/src/app' })).toEqual([
      '/home/me/.config/Code/User/mcp.json',
      '/home/me/.config/Code - Insiders/User/mcp.json',
      '/src/app/.vscode/mcp.json',
    ]);
  });

  it('Windsurf: ~/.codeium/windsurf/mcp_config.json, then the JetBrains plugin file; no project file', () => {
    expect(files('windsurf', 'linux', linux, { projectDir: '/src/app' })).toEqual([
      '/home/me/.codeium/windsurf/mcp_config.json',
      '/home/me/.codeium/mcp_config.json',
    ]);
    expect(files('windsurf', 'win32', win)[0]).toBe('C:\\Users\\me\\.codeium\\windsurf\\mcp_config.json');
  });

  it('says which variable is missing when there is no home folder', () => {
    expect(() => clientConfigLocations('cursor', 'win32', {})).toThrow(/USERPROFILE is not set/);
    expect(() => clientConfigLocations('cursor', 'linux', {})).toThrow(/HOME is not set/);
  });
});
