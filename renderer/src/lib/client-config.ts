/**
 * "Copy client config": the snippet each MCP client needs to reach one server (or all of them)
 * through the supervisor. Claude Desktop speaks stdio only, so it runs `mcp-supervisor connect`;
 * Cursor and VS Code speak Streamable HTTP with a client key as bearer token. No secret is ever
 * put in a snippet: the key is a placeholder (or VS Code's prompted input).
 */
export interface ClientSnippet {
  client: 'Claude Desktop' | 'Cursor' | 'VS Code';
  /** Where the snippet goes. */
  file: string;
  text: string;
  note: string;
}

export const KEY_PLACEHOLDER = '<client key from: mcp-supervisor keys create NAME>';

/** The endpoint URL of one server, or the aggregated `/mcp` when `server` is null. */
export function endpointUrl(origin: string, server: string | null): string {
  return server === null ? `${origin}/mcp` : `${origin}/mcp/${encodeURIComponent(server)}`;
}

export function clientSnippets(origin: string, server: string | null): ClientSnippet[] {
  const name = server ?? 'mcp-supervisor';
  const url = endpointUrl(origin, server);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return [
    {
      client: 'Claude Desktop',
      file: 'claude_desktop_config.json',
      text: json({
        mcpServers: {
          [name]: { command: 'mcp-supervisor', args: server === null ? ['connect'] : ['connect', server] },
        },
      }),
      note: 'Use the absolute path of mcp-supervisor (`which mcp-supervisor`) if Claude Desktop does not find it.',
    },
    {
      client: 'Cursor',
      file: '~/.cursor/mcp.json',
      text: json({
        mcpServers: { [name]: { url, headers: { Authorization: `Bearer ${KEY_PLACEHOLDER}` } } },
      }),
      note: 'Replace the placeholder with a client key (Keys page); the key may be scoped to this server.',
    },
    {
      client: 'VS Code',
      file: '.vscode/mcp.json',
      text: json({
        servers: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's own `${input:…}` syntax, not ours.
          [name]: { type: 'http', url, headers: { Authorization: 'Bearer ${input:mcp-supervisor-key}' } },
        },
        inputs: [
          {
            type: 'promptString',
            id: 'mcp-supervisor-key',
            description: 'mcp-supervisor client key',
            password: true,
          },
        ],
      }),
      note: 'VS Code asks for the client key once and keeps it in its secret storage.',
    },
  ];
}
