// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in plain strings is the config syntax under test.
import { describe, expect, it } from 'vitest';
import {
  isReferenceOnly,
  MASK,
  maskConfigObject,
  maskConfigText,
  maskUrlSecrets,
  unmaskConfigText,
} from '../../../supervisor/control/config-mask.ts';

const FILE = `{
  // my servers
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "server-github", "--api-key=sk-live-123", "--token", "ghp_abc", "--verbose"],
      "env": { "GITHUB_TOKEN": "ghp_secret", "FROM_ENV": "\${GH}", "PORT": "3001" },
    },
    "remote": {
      "url": "https://me:hunter2@example.com/mcp?api_key=k1&mode=fast",
      "headers": { "Authorization": "Bearer abc.def", "X-Ref": "Bearer \${REMOTE_TOKEN}" }
    }
  },
  "supervisor": {
    "monitor": { "webhook": { "url": "https://hooks.slack.com/services/T0/B0/XYZ", "headers": { "X-Key": "w1" } } },
    "cluster": { "redis": { "url": "redis://:pw@127.0.0.1:6379" } }
  }
}
`;

describe('config masking', () => {
  it('masks every secret of the text and keeps comments, layout and references', () => {
    const masked = maskConfigText(FILE);
    expect(masked.form).toBe('exact');
    const text = masked.text ?? '';
    for (const secret of [
      'sk-live-123',
      'ghp_abc',
      'ghp_secret',
      'hunter2',
      'k1',
      'abc.def',
      'XYZ',
      'w1',
      ':pw@',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('// my servers');
    expect(text).toContain(`"--api-key=${MASK}"`);
    expect(text).toContain(`"--token", "${MASK}", "--verbose"`);
    expect(text).toContain('"FROM_ENV": "${GH}"');
    expect(text).toContain(`"PORT": "${MASK}"`);
    expect(text).toContain(`"url": "https://me:${MASK}@example.com/mcp?api_key=${MASK}&mode=fast"`);
    expect(text).toContain('"X-Ref": "Bearer ${REMOTE_TOKEN}"');
    expect(text).toContain(`"url": "https://hooks.slack.com/${MASK}"`);
    expect(text).toContain(`"url": "redis://:${MASK}@127.0.0.1:6379"`);
    // Only the secrets changed: same number of lines, same comment, same trailing comma.
    expect(text.split('\n')).toHaveLength(FILE.split('\n').length);
    expect(text).toContain('"3001" },\n'.replace('"3001"', `"${MASK}"`));
  });

  it('puts the originals back where the masks still stand, with the edits kept', () => {
    const masked = maskConfigText(FILE).text ?? '';
    const edited = masked.replace('"--verbose"', '"--quiet"');
    const restored = unmaskConfigText(edited, FILE);
    expect(restored).toBe(FILE.replace('"--verbose"', '"--quiet"'));
  });

  it('refuses a mask that moved to a place with no saved value, naming the field', () => {
    const masked = maskConfigText(FILE).text ?? '';
    const moved = masked.replace('"GITHUB_TOKEN"', '"GH_TOKEN"');
    expect(() => unmaskConfigText(moved, FILE)).toThrow(
      /mcpServers\.github\.env\.GH_TOKEN: still holds the mask/,
    );
    // A half-edited URL is never completed with the old password.
    const halfEdited = masked.replace('example.com', 'example.org');
    expect(() => unmaskConfigText(halfEdited, FILE)).toThrow(/mcpServers\.remote\.url/);
  });

  it('shows a JSON5 file as masked JSON and masks the running config object', () => {
    const json5 = "{ mcpServers: { a: { command: 'x', env: { TOKEN: 'abc' } } } }";
    const masked = maskConfigText(json5);
    expect(masked.form).toBe('reformatted');
    expect(JSON.parse(masked.text ?? '')).toEqual({
      mcpServers: { a: { command: 'x', env: { TOKEN: MASK } } },
    });
    expect(maskConfigText('{ nope').text).toBeNull();
    expect(
      maskConfigObject({ mcpServers: { a: { args: ['--password', 'p'], headers: { A: 'b' } } } }),
    ).toEqual({ mcpServers: { a: { args: ['--password', MASK], headers: { A: MASK } } } });
  });

  it('tells references from literal secrets', () => {
    expect(isReferenceOnly('${A}')).toBe(true);
    expect(isReferenceOnly('Bearer ${A}')).toBe(true);
    expect(isReferenceOnly('')).toBe(true);
    expect(isReferenceOnly('x${A}')).toBe(false);
    expect(maskUrlSecrets('https://h/p?token=${T}&a=1')).toBe('https://h/p?token=${T}&a=1');
    expect(maskUrlSecrets('http://127.0.0.1:3001/mcp')).toBe('http://127.0.0.1:3001/mcp');
  });
});
