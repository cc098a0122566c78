import JSON5 from 'json5';
import { type JSONPath, type ParseError, parse as parseJsonc, visit } from 'jsonc-parser';
import { formatPath } from '../config/parse.ts';
import { SupervisorError } from '../shared/errors.ts';

/**
 * Masking of the secrets a config holds, for the console (pure, no IO). What counts as a secret:
 * every value of a server's `env` and `headers` and of the webhook's `headers`; the password and
 * secret-named query parameters of a URL; the path of the webhook URL (Slack and Discord put the
 * secret there); `--token=…`-style arguments and the argument after `--token`. A value that is
 * only a `${VAR}` reference (optionally after `Bearer `) is shown: it names, not holds, a secret.
 *
 * The masked text keeps everything else byte for byte (comments, order, spacing), so a person
 * edits the real file; {@link unmaskConfigText} puts the secrets back before the text is saved.
 */
export const MASK = '••••••';

const SECRET_NAME = '(?:token|key|secret|password|passwd|pass|auth|credential|sig|signature|cookie|session)';
const SECRET_QUERY = new RegExp(`([?&][^=&#]*${SECRET_NAME}[^=&#]*=)([^&#]*)`, 'gi');
const SECRET_FLAG_WITH_VALUE = new RegExp(`^(--?[\\w.-]*${SECRET_NAME}[\\w.-]*=)(.+)$`, 'i');
const SECRET_FLAG = new RegExp(`^--?[\\w.-]*${SECRET_NAME}[\\w.-]*$`, 'i');

type Masker = (value: string) => string;

/** True when `value` holds no literal secret: empty, or only `${VAR}` references. */
export function isReferenceOnly(value: string): boolean {
  return (
    value
      .replace(/\$\{[^}]*\}/g, '')
      .replace(/^\s*(Bearer|Basic|Token)\s*/i, '')
      .trim() === ''
  );
}

const maskWhole: Masker = (value) => (isReferenceOnly(value) ? value : MASK);

/** Masks a URL's password and secret-named query values, leaving the rest as written. */
export const maskUrlSecrets: Masker = (value) =>
  value
    .replace(
      /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)([^@/?#]+)(@)/i,
      (_m, head: string, secret: string, at: string) =>
        isReferenceOnly(secret) ? `${head}${secret}${at}` : `${head}${MASK}${at}`,
    )
    .replace(SECRET_QUERY, (_m, head: string, secret: string) =>
      isReferenceOnly(secret) ? `${head}${secret}` : `${head}${MASK}`,
    );

/** Keeps only the origin of a URL whose path is itself the secret (webhooks). */
const maskUrlPath: Masker = (value) => {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)(.*)$/i.exec(value);
  if (!match) return maskWhole(value);
  const rest = match[2] ?? '';
  return rest === '' || rest === '/' || isReferenceOnly(rest) ? value : `${match[1]}/${MASK}`;
};

function maskArg(value: string, previous: unknown): string {
  const flag = SECRET_FLAG_WITH_VALUE.exec(value);
  if (flag) return isReferenceOnly(flag[2] ?? '') ? value : `${flag[1]}${MASK}`;
  if (typeof previous === 'string' && SECRET_FLAG.test(previous) && !value.startsWith('-')) {
    return maskWhole(value);
  }
  return value;
}

/**
 * The masker for the string at `path` of a config, or undefined when it is not secret. `root`
 * is the parsed config the path is in (the argument rule looks at the previous argument).
 */
export function maskerAt(path: JSONPath, root: unknown): Masker | undefined {
  if (path[0] === 'mcpServers') {
    const field = path[2];
    if (path.length === 4 && (field === 'env' || field === 'headers')) return maskWhole;
    if (path.length === 3 && field === 'url') return maskUrlSecrets;
    const index = path[3];
    if (path.length === 4 && field === 'args' && typeof index === 'number') {
      const args = valueAt(root, path.slice(0, 3));
      const previous = Array.isArray(args) ? args[index - 1] : undefined;
      return (value) => maskArg(value, previous);
    }
    return undefined;
  }
  const key = path.join('.');
  if (key === 'supervisor.monitor.webhook.url') return maskUrlPath;
  if (key === 'supervisor.cluster.redis.url') return maskUrlSecrets;
  if (path.length === 5 && key.startsWith('supervisor.monitor.webhook.headers.')) return maskWhole;
  return undefined;
}

function valueAt(root: unknown, path: JSONPath): unknown {
  let value: unknown = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/** A deep copy of a parsed config with every secret masked (the running config, for display). */
export function maskConfigObject(config: unknown): unknown {
  const walk = (value: unknown, path: JSONPath): unknown => {
    if (typeof value === 'string') return maskerAt(path, config)?.(value) ?? value;
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  return walk(config, []);
}

interface StringLiteral {
  value: string;
  offset: number;
  length: number;
  path: JSONPath;
}

/** Every string literal of a JSON/JSONC text with its place; undefined when it is not JSONC. */
function stringLiterals(text: string): { literals: StringLiteral[]; root: unknown } | undefined {
  const errors: ParseError[] = [];
  const root = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) return undefined;
  const literals: StringLiteral[] = [];
  visit(
    text,
    {
      onLiteralValue: (value, offset, length, _line, _column, pathSupplier) => {
        if (typeof value === 'string') literals.push({ value, offset, length, path: pathSupplier() });
      },
    },
    { allowTrailingComma: true },
  );
  return { literals, root };
}

function replaceLiterals(text: string, replacements: { offset: number; length: number; value: string }[]) {
  let out = text;
  for (const r of [...replacements].sort((a, b) => b.offset - a.offset)) {
    out = out.slice(0, r.offset) + JSON.stringify(r.value) + out.slice(r.offset + r.length);
  }
  return out;
}

export interface MaskedText {
  /** The text with secrets masked, or null when the file does not parse (nothing can be masked). */
  text: string | null;
  /**
   * `exact`: the file's own text (comments and layout kept). `reformatted`: the file is JSON5, which
   * the masker cannot edit in place, so it is shown (and saved) as plain JSON.
   */
  form: 'exact' | 'reformatted';
  problem?: string;
}

/** Masks the secrets of a config file's text; see the module comment. */
export function maskConfigText(text: string): MaskedText {
  const found = stringLiterals(text);
  if (found) {
    const replacements = found.literals.flatMap((literal) => {
      const masked = maskerAt(literal.path, found.root)?.(literal.value);
      return masked !== undefined && masked !== literal.value ? [{ ...literal, value: masked }] : [];
    });
    return { text: replaceLiterals(text, replacements), form: 'exact' };
  }
  try {
    return { text: `${JSON.stringify(maskConfigObject(JSON5.parse(text)), null, 2)}\n`, form: 'reformatted' };
  } catch (error) {
    return {
      text: null,
      form: 'exact',
      problem: `the config file does not parse: ${(error as Error).message}`,
    };
  }
}

/**
 * Puts the original secrets back into an edited masked text: every string still holding the mask
 * gets the original value of the same path, provided masking that original gives exactly what is
 * there (so a half-edited value is never completed with a stale secret).
 *
 * @throws SupervisorError('CONFIG_INVALID') naming the field when a mask has no original to take
 *   (the value moved or the key was renamed): the person has to type that value again.
 */
export function unmaskConfigText(edited: string, original: string | undefined): string {
  if (!edited.includes(MASK)) return edited;
  const found = stringLiterals(edited);
  if (!found) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `the config holds masked values (${MASK}) but is not plain JSON; write it as JSON or type the values in`,
    );
  }
  let originalRoot: unknown;
  try {
    originalRoot = original === undefined ? undefined : JSON5.parse(original);
  } catch {
    originalRoot = undefined;
  }
  const replacements: { offset: number; length: number; value: string }[] = [];
  for (const literal of found.literals) {
    if (!literal.value.includes(MASK)) continue;
    const before = valueAt(originalRoot, literal.path);
    const masker = maskerAt(literal.path, originalRoot);
    if (typeof before !== 'string' || !masker || masker(before) !== literal.value) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `${formatPath(literal.path)}: still holds the mask ${MASK} but no saved value belongs there; type the value`,
        { details: { problems: [`${formatPath(literal.path)}: type the value instead of ${MASK}`] } },
      );
    }
    replacements.push({ offset: literal.offset, length: literal.length, value: before });
  }
  return replaceLiterals(edited, replacements);
}
