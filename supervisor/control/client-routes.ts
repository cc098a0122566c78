import path from 'node:path';
import { z } from 'zod';
import type { ClientEntry, ClientsBody, ImportAnswer, SetupAnswer } from '../client/mcp-clients-wire.ts';
import type { ConfigDiff, ServerStatus } from '../client/wire-types.ts';
import { readJson } from '../http/body.ts';
import {
  applyClientSetup,
  applyImport,
  CLIENT_IDS,
  CLIENTS,
  type ClientFileSpec,
  type ClientId,
  type ClientStatusRow,
  clientConfigLocations,
  clientStatus,
  defaultLauncher,
  isClientId,
  type KeyIssuer,
  type Launcher,
  planClientSetup,
  planImport,
  removeClientSetup,
  type SupervisorLink,
} from '../mcp-clients/index.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import type { ClientKeys } from '../store/client-keys.ts';
import {
  importAppliedOf,
  importPreviewOf,
  removedOf,
  setupAppliedOf,
  setupPreviewOf,
} from './client-wire.ts';
import type { RouteGroup } from './router.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface ClientRoutesDeps {
  paths: HomePaths;
  /** The file the running config came from; undefined when it is the built-in default. */
  configFile: string | undefined;
  /** The supervisor's environment: the user's HOME / APPDATA locate the clients' files. */
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  keys: ClientKeys;
  status(): Promise<ServerStatus[]>;
  /** Parses and validates config text with the supervisor's environment; throws CONFIG_INVALID. */
  validateConfig(text: string): unknown;
  /** The one reload pipeline (`boot/reload.ts`); resolves with what it applied. */
  reload(): Promise<unknown>;
  /** How a client set up from here starts our CLI; default: this process's Node (or Electron as Node). */
  launcher?: () => Launcher;
}

const absolutePath = (what: string) =>
  z
    .string()
    .min(1)
    .refine((value) => path.isAbsolute(value), { message: `${what} must be an absolute path` });

/** Which file of the client: its own (default), a project's, or one given by path. */
const locationFields = {
  scope: z.enum(['user', 'project']).optional(),
  projectDir: absolutePath('projectDir').optional(),
  file: absolutePath('file').optional(),
};

const needsProjectDir = (body: { scope?: string | undefined; projectDir?: string | undefined }) =>
  body.scope !== 'project' || body.projectDir !== undefined;
const PROJECT_DIR_MESSAGE = {
  message: 'scope "project" needs projectDir, the absolute path of the project folder',
  path: ['projectDir'],
};

/** Body of `POST /clients/:client/import`. */
export const importRequestSchema = z
  .strictObject({
    ...locationFields,
    onConflict: z.enum(['rename', 'skip', 'replace']).optional(),
    only: z.array(z.string().min(1)).min(1).optional(),
    inputs: z.record(z.string().min(1), z.string()).optional(),
    dryRun: z.boolean().optional(),
    planId: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'planId must be the planId of a preview')
      .optional(),
  })
  .refine(needsProjectDir, PROJECT_DIR_MESSAGE);

/** Body of `POST /clients/:client/setup`. */
export const setupRequestSchema = z
  .strictObject({
    ...locationFields,
    server: z.string().min(1).nullable().optional(),
    keyName: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'keyName must be 1-64 characters of A-Z a-z 0-9 _ . @ -')
      .optional(),
    entryName: z.string().min(1).max(100).optional(),
    move: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .refine(needsProjectDir, PROJECT_DIR_MESSAGE);

/** Body of `POST /clients/:client/remove`. */
export const removeRequestSchema = z.strictObject({
  file: absolutePath('file').optional(),
  entryName: z.string().min(1).optional(),
});

/**
 * A request body checked against `schema`; a bad one is `BAD_REQUEST` naming each field and what
 * it must be, before anything is read or written.
 */
export function parseRequest<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    const field = issue.path.join('.');
    return field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message;
  });
  throw new SupervisorError('BAD_REQUEST', `bad ${what} request: ${problems.join('; ')}`);
}

/** The `:client` of a path: one of the known clients (`file` too, for an import of a bare file). */
export function clientParam(
  value: string | undefined,
  options: { allowFile?: boolean } = {},
): ClientId | 'file' {
  if (value !== undefined && isClientId(value)) return value;
  if (options.allowFile && value === 'file') return 'file';
  throw new SupervisorError(
    'BAD_REQUEST',
    `unknown client "${value ?? ''}"; use one of ${CLIENT_IDS.join(', ')}${options.allowFile ? ', or file (with "file" in the body)' : ''}`,
  );
}

function specOf(client: ClientId | 'file', body: z.infer<typeof importRequestSchema>): ClientFileSpec {
  if (client === 'file') {
    if (!body.file)
      throw new SupervisorError('BAD_REQUEST', 'bad import request: importing a file needs "file"');
    return { file: body.file };
  }
  return {
    client,
    ...(body.scope ? { scope: body.scope } : {}),
    ...(body.projectDir ? { projectDir: body.projectDir } : {}),
    ...(body.file ? { file: body.file } : {}),
  };
}

/**
 * Our CLI as a client must start it from here. Under the desktop app this process is Electron's
 * binary run as Node, which runs a script only with `ELECTRON_RUN_AS_NODE=1` (as the tray's own
 * setup writes it); an AppImage's binary moves at every launch, so an entry would break.
 */
export function consoleLauncher(
  env: NodeJS.ProcessEnv,
  isElectron = process.versions.electron !== undefined,
): Launcher {
  const launcher = defaultLauncher();
  if (!isElectron) return launcher;
  if (env.APPIMAGE) {
    throw new SupervisorError(
      'BAD_REQUEST',
      'the AppImage runs from a temporary mount, so a client could not start it later; install the .deb, or install the CLI (npm install -g mcp-supervisor) and run: mcp-supervisor client setup <client>',
    );
  }
  return { ...launcher, env: { ELECTRON_RUN_AS_NODE: '1' } };
}

/**
 * Import from MCP clients and client setup under `/api`, for the console — the CLI's and the
 * tray's own code (`supervisor/mcp-clients/`), given this supervisor as the running one (its
 * config file, validation, reload pipeline, status) and its key store:
 *
 * - `GET  /clients[?projectDir=DIR]`  each client's file (found / missing / malformed), its setup,
 *                                    and what an import would do now
 * - `POST /clients/:client/import`   `{ dryRun: true }` → the plan; without it, the plan applied
 *                                    (backup, atomic write, reload) — with `planId`, only if the
 *                                    plan is still the one previewed (else 409)
 * - `POST /clients/:client/setup`    write our `connect` entry with a new key (`dryRun` to preview)
 * - `POST /clients/:client/remove`   undo setup: entry out, moved servers back, key revoked
 *
 * Every body is checked first: a bad one is 400 saying what to send, and nothing is written.
 */
export function createClientRoutes(deps: ClientRoutesDeps): RouteGroup {
  const where = { platform: deps.platform ?? process.platform, env: deps.env };
  const keys: KeyIssuer = {
    create: async (name, servers) => deps.keys.create(name, servers),
    revoke: async (id) => deps.keys.revoke(id),
    list: async () => deps.keys.list(),
  };
  const supervisor: SupervisorLink = {
    configFile: async () => deps.configFile ?? null,
    validate: async (text) => {
      deps.validateConfig(text);
    },
    reload: async () => {
      const outcome = (await deps.reload()) as ConfigDiff & { alreadyApplied?: ConfigDiff };
      // The file watcher may have applied the written file first: then that is what was applied.
      const isEmpty = outcome.added.length + outcome.changed.length + outcome.removed.length === 0;
      return isEmpty && outcome.alreadyApplied ? outcome.alreadyApplied : outcome;
    },
    servers: async () =>
      (await deps.status()).map((row) => ({
        name: row.name,
        state: row.state,
        ...(row.lastError ? { lastError: row.lastError } : {}),
      })),
  };
  const configFile = deps.configFile ?? deps.paths.configFile;
  const base = { ...where, paths: deps.paths, configFile, supervisor };

  const list = async (projectDir: string | undefined): Promise<ClientsBody> => {
    const rows = await clientStatus({
      ...where,
      paths: deps.paths,
      keys,
      ...(projectDir ? { projectDir } : {}),
    });
    const used = new Set<ClientStatusRow>();
    const entries: ClientEntry[] = [];
    for (const client of CLIENT_IDS) {
      const info = CLIENTS[client];
      const locations = clientConfigLocations(
        client,
        where.platform,
        where.env,
        projectDir ? { projectDir } : {},
      );
      for (const scope of info.scopes) {
        const candidates = locations.filter((location) => location.scope === scope);
        if (candidates.length === 0) continue;
        const row = candidates
          .map((location) => rows.find((r) => r.client === client && r.file === location.file))
          .find((r) => r !== undefined);
        if (row) used.add(row);
        entries.push(await entryOf(client, scope, row, candidates[0]?.file as string, projectDir));
      }
    }
    // Setups of files elsewhere (given by path) are listed too, so they can be removed.
    for (const row of rows) {
      if (!used.has(row) && row.setup)
        entries.push(await entryOf(row.client, row.scope, row, row.file, undefined));
    }
    return { configFile, home: deps.paths.root, clients: entries };
  };

  const entryOf = async (
    client: ClientId,
    scope: 'user' | 'project',
    row: ClientStatusRow | undefined,
    primary: string,
    projectDir: string | undefined,
  ): Promise<ClientEntry> => {
    const info = CLIENTS[client];
    const fileState = !row?.exists ? 'missing' : row.problem ? 'malformed' : 'found';
    const entry: ClientEntry = {
      client,
      displayName: info.displayName,
      scopes: [...info.scopes],
      scope,
      file: row?.file ?? primary,
      fileState,
      problem: row?.problem ?? null,
      servers: row?.servers ?? 0,
      connectEntries: row?.connectEntries ?? [],
      setup: row?.setup ?? null,
      importPreview: null,
      importProblem: null,
    };
    if (fileState === 'found') {
      try {
        const spec = { client, scope, file: entry.file, ...(projectDir ? { projectDir } : {}) };
        entry.importPreview = importPreviewOf(await planImport(spec, base));
      } catch (error) {
        entry.importProblem = errorMessage(error);
      }
    }
    return entry;
  };

  return {
    api: [
      {
        method: 'GET',
        path: '/clients',
        handle: ({ url }) => {
          const projectDir = url.searchParams.get('projectDir') || undefined;
          if (projectDir !== undefined && !path.isAbsolute(projectDir)) {
            throw new SupervisorError(
              'BAD_REQUEST',
              'projectDir must be the absolute path of a project folder',
            );
          }
          return list(projectDir);
        },
      },
      {
        method: 'POST',
        path: '/clients/:client/import',
        handle: async ({ req, params }): Promise<ImportAnswer> => {
          const raw = await readJson(req, MAX_BODY_BYTES);
          const client = clientParam(params.client, { allowFile: true });
          const body = parseRequest(importRequestSchema, raw, 'import');
          const plan = await planImport(specOf(client, body), {
            ...base,
            ...(body.onConflict ? { onConflict: body.onConflict } : {}),
            ...(body.only ? { only: body.only } : {}),
            ...(body.inputs ? { inputs: body.inputs } : {}),
          });
          const preview = importPreviewOf(plan);
          if (body.dryRun) return { dryRun: true, plan: preview };
          if (body.planId !== undefined && body.planId !== preview.planId) {
            throw new SupervisorError(
              'BAD_REQUEST',
              'the import is not the one previewed any more (the client file or the config changed); preview it again (nothing was changed)',
              { details: { httpStatus: 409 } },
            );
          }
          // No waiting for the servers to be online: the answer says how each one started, and
          // the status (the console's servers view) shows it come up.
          const result = await applyImport(plan, { paths: deps.paths, supervisor, waitMs: 0 });
          return { dryRun: false, plan: preview, result: importAppliedOf(result) };
        },
      },
      {
        method: 'POST',
        path: '/clients/:client/setup',
        handle: async ({ req, params }): Promise<SetupAnswer> => {
          const raw = await readJson(req, MAX_BODY_BYTES);
          const client = clientParam(params.client) as ClientId;
          const body = parseRequest(setupRequestSchema, raw, 'setup');
          const plan = await planClientSetup(client, {
            ...base,
            keys,
            launcher: (deps.launcher ?? (() => consoleLauncher(deps.env)))(),
            move: body.move === true,
            ...(body.scope ? { scope: body.scope } : {}),
            ...(body.projectDir ? { projectDir: body.projectDir } : {}),
            ...(body.file ? { file: body.file } : {}),
            ...(body.server ? { server: body.server } : {}),
            ...(body.keyName ? { keyName: body.keyName } : {}),
            ...(body.entryName ? { entryName: body.entryName } : {}),
          });
          if (body.dryRun) return { dryRun: true, plan: setupPreviewOf(plan) };
          const result = await applyClientSetup(plan, { paths: deps.paths, keys });
          return { dryRun: false, plan: setupPreviewOf(plan), result: setupAppliedOf(result) };
        },
      },
      {
        method: 'POST',
        path: '/clients/:client/remove',
        handle: async ({ req, params }) => {
          const raw = await readJson(req, MAX_BODY_BYTES);
          const client = clientParam(params.client) as ClientId;
          const body = parseRequest(removeRequestSchema, raw, 'remove');
          const removed = await removeClientSetup(client, {
            ...where,
            paths: deps.paths,
            keys,
            ...(body.file ? { file: body.file } : {}),
            ...(body.entryName ? { entryName: body.entryName } : {}),
          });
          return { removed: removed.map(removedOf) };
        },
      },
    ],
  };
}
