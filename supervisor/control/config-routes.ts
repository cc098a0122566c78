import { readBody } from '../http/body.ts';
import type { ConfigEditor } from './config-editor.ts';
import { type ControlRequest, JsonAnswer, type RouteGroup } from './router.ts';

/** The largest config text the editor takes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The console's config editor under `/api`:
 *
 * - `GET  /config`                  the file (secrets masked), the running config, its revision
 * - `POST /config/check`            body: edited text → `{ ok, diff }`, or 422 `{ ok: false, problems }`
 * - `POST /config/apply?revision=`  the same, then written and reloaded; 409 when the file changed
 */
export function createConfigRoutes(deps: { editor: ConfigEditor }): RouteGroup {
  const post = (apply: boolean) => {
    return async ({ req, url }: ControlRequest) => {
      const text = (await readBody(req, MAX_CONFIG_BYTES)).toString('utf8');
      const revision = url.searchParams.get('revision') ?? undefined;
      const result = apply
        ? await deps.editor.apply(text, revision ? { revision } : {})
        : await deps.editor.check(text);
      return new JsonAnswer(result.ok ? 200 : 422, result);
    };
  };
  return {
    api: [
      { method: 'GET', path: '/config', handle: () => deps.editor.view() },
      { method: 'POST', path: '/config/check', handle: post(false) },
      { method: 'POST', path: '/config/apply', handle: post(true) },
    ],
  };
}
