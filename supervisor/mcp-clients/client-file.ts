import {
  applyEdits,
  type FormattingOptions,
  type JSONPath,
  modify,
  type ParseError,
  parse,
  printParseErrorCode,
} from 'jsonc-parser';
import { SupervisorError } from '../shared/errors.ts';
import { isRecord } from '../shared/is-record.ts';
import type { ConfigShape } from './clients.ts';

/**
 * Client config files as text: parsed as JSONC (comments and trailing commas, as VS Code writes
 * them; Claude Desktop's plain JSON is a subset), and edited in place with jsonc-parser's
 * `modify`/`applyEdits`, so the user's comments, order and indentation survive our changes. Pure.
 */

/** `line:column` (both from 1) of an offset in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** "PropertyNameExpected" → "property name expected". */
function describeParseError(error: ParseError): string {
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/**
 * Parses JSONC text. Throws `CONFIG_INVALID` naming the file, the line and column of the first
 * problem and what was wrong there, and saying that nothing was changed.
 */
export function parseJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = positionOf(text, first.offset);
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${file}:${line}:${column}: not valid JSON: ${describeParseError(first)}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : ''}; fix the file and try again (nothing was changed)`,
      { details: { file, line, column } },
    );
  }
  return value;
}

/** Whether JSONC can read `text` without errors (JSON5-only syntax, e.g. unquoted keys, cannot). */
export function isJsonc(text: string): boolean {
  const errors: ParseError[] = [];
  parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length === 0;
}

/** The parts of a client file that matter to us. */
export interface ServersBlock {
  shape: ConfigShape;
  /** Entries in file order. */
  servers: { name: string; value: unknown }[];
  /** VS Code's `inputs` (prompted values referenced as `${input:id}`); empty elsewhere. */
  inputs: { id: string; description?: string; password?: boolean }[];
}

/**
 * The server entries of a parsed client file in `shape` (or, when `shape` is undefined, whichever
 * of `servers` / `mcpServers` the file has). An empty or absent block is no servers; a block
 * that is not an object is `CONFIG_INVALID`.
 */
export function serversBlock(doc: unknown, file: string, shape?: ConfigShape): ServersBlock {
  if (doc === undefined) return { shape: shape ?? 'mcpServers', servers: [], inputs: [] };
  if (!isRecord(doc)) {
    throw new SupervisorError('CONFIG_INVALID', `${file}: expected a JSON object at the top; fix the file`);
  }
  const found: ConfigShape =
    shape ?? (doc.servers !== undefined && doc.mcpServers === undefined ? 'servers' : 'mcpServers');
  const block = doc[found];
  if (block !== undefined && !isRecord(block)) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${file}: "${found}" must be an object of servers by name; fix the file`,
    );
  }
  const inputs = Array.isArray(doc.inputs)
    ? doc.inputs.filter(isRecord).flatMap((input) =>
        typeof input.id === 'string'
          ? [
              {
                id: input.id,
                ...(typeof input.description === 'string' ? { description: input.description } : {}),
                ...(typeof input.password === 'boolean' ? { password: input.password } : {}),
              },
            ]
          : [],
      )
    : [];
  return {
    shape: found,
    servers: Object.entries(block ?? {}).map(([name, value]) => ({ name, value })),
    inputs,
  };
}

/** The indentation and line ends a file already uses (two spaces and `\n` for a new one). */
export function formattingOf(text: string | undefined): FormattingOptions {
  const eol = text?.includes('\r\n') ? '\r\n' : '\n';
  const indented = text ? /^([ \t]+)\S/m.exec(text)?.[1] : undefined;
  if (indented?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indented ? indented.length : 2, eol };
}

/**
 * `text` with the value at `jsonPath` set (or removed, for `undefined`), everything else — comments,
 * other entries, their order and formatting — as it was. An empty text becomes a new document.
 */
export function editJsonc(text: string | undefined, jsonPath: JSONPath, value: unknown): string {
  const base = text && text.trim() !== '' ? text : '{}';
  const formattingOptions = formattingOf(text);
  const edited = applyEdits(base, modify(base, jsonPath, value, { formattingOptions }));
  return text && text.trim() !== '' ? edited : `${edited}${formattingOptions.eol ?? '\n'}`;
}
