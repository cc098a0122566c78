/**
 * The desktop app's logic against a real supervisor (real CLI, real PM2, real MCP servers, temp
 * home), with only `electron` mocked: the event stream reaches the app, a tray action changes the
 * real state, a crash loop becomes exactly one notification whose buttons act on the supervisor;
 * and a supervisor the app starts itself (a real Node child standing in for Electron's utility
 * process) shows why it failed (port in use), starts on retry and stops cleanly at quit.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertEvent, ServerEvent } from '../../../app/supervisor-wire.ts';
import { electronMocks, electronState, forkWithNode, menuItem } from '../../helpers/electron-mock.ts';
import {
  cleanupTempHomes,
  cliEnv,
  freePort,
  processesUnder,
  ROOT,
  type SupervisorProcess as SupervisorCli,
  serverRow,
  sleep,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { createConfigImporter } = await import('../../../app/client-configs.ts');
const { setupEventFeed } = await import('../../../app/event-feed.ts');
const { setupImportDialogs } = await import('../../../app/import-dialogs.ts');
const { readCrashContext, setupNotifications } = await import('../../../app/notifications.ts');
const { SettingsStore } = await import('../../../app/settings.ts');
const { setupStatusMonitor } = await import('../../../app/status-monitor.ts');
const { setupSupervisorProcess } = await import('../../../app/supervisor-process.ts');
const { setupTray } = await import('../../../app/tray.ts');
const { TrayActions } = await import('../../../app/tray-actions.ts');
const { setupWindows } = await import('../../../app/windows.ts');

const ENTRY = path.join(ROOT, 'app', 'supervisor-entry.ts');
const CRASH_LINE = 'crashy: API_KEY is not set; export it before starting';
const SUPERVISOR_SETTINGS = {
  restart: { maxRestarts: 2, backoffMs: 50, maxBackoffMs: 200, minUptimeMs: 2_000, killTimeoutMs: 2_000 },
  // Host rules out of the way: a loaded test machine must not fire them.
  monitor: { intervalMs: 200, thresholds: { cpuPercent: 100, memoryPercent: 100, loadPerCore: 1000 } },
};

/** The app's modules wired as main.ts wires them, minus the Electron-only bits it cannot run. */
async function composeApp(
  home: TempHome,
  env: () => Promise<NodeJS.ProcessEnv>,
  /** The environment client files are looked up in (a temp HOME with a Cursor config). */
  clientEnv?: NodeJS.ProcessEnv,
) {
  const importer = clientEnv
    ? setupImportDialogs(createConfigImporter(home.paths, { platform: 'linux', env: clientEnv }))
    : undefined;
  const supervisor = setupSupervisorProcess({
    paths: home.paths,
    explicitHome: home.path,
    entryFile: ENTRY,
    env,
  });
  const monitor = setupStatusMonitor({ supervisor, intervalMs: 500 });
  const settings = new SettingsStore({ directory: path.join(home.path, 'userData') });
  const windows = setupWindows({
    preloadFile: '/app/preload.cjs',
    origin: () => supervisor.origin,
    downReason: () => supervisor.unavailableReason,
  });
  let actions: InstanceType<typeof TrayActions> | undefined;
  const notifier = setupNotifications({
    platform: 'darwin',
    isPaused: () => settings.get().isNotificationsPaused,
    context: async (event, signal) => {
      await monitor.refresh();
      return readCrashContext(
        supervisor.client,
        event.alert.subject,
        monitor.server(event.alert.subject),
        signal,
      );
    },
    open: (route) => void actions?.run({ kind: 'open-console', route }),
    act: async (action) => actions?.notificationAction(action),
  });
  const trayActions = new TrayActions({
    paths: home.paths,
    supervisor,
    monitor,
    windows,
    settings,
    notifier,
    openPath: async () => '',
    writeClipboard: () => {},
    loginItem: { isSupported: false, set: () => {} },
    ...(importer ? { importer } : {}),
    about: () => {},
    quit: () => {},
    onChange: () => tray.render(),
  });
  actions = trayActions;
  const tray = setupTray({
    resourcesDir: path.join(ROOT, 'resources'),
    platform: 'linux',
    snapshot: () => monitor.snapshot,
    menuOptions: () => ({
      isNotificationsPaused: false,
      isStartAtLogin: false,
      isStartAtLoginSupported: false,
      isImportAvailable: trayActions.isImportAvailable,
      lastFailure: trayActions.lastFailure,
    }),
    run: (action) => trayActions.run(action),
  });
  monitor.onSnapshot(() => tray.render());
  const alerts: AlertEvent[] = [];
  const serverEvents: ServerEvent[] = [];
  let connections = 0;
  const feed = setupEventFeed({
    supervisor,
    onAlert: (event) => {
      alerts.push(event);
      void notifier.alert(event);
    },
    onServer: (event) => {
      serverEvents.push(event);
      void monitor.refresh();
    },
    onConnected: () => {
      connections++;
      void monitor.refresh();
    },
    minBackoffMs: 100,
    maxBackoffMs: 500,
  });
  const dispose = () => {
    feed.dispose();
    monitor.dispose();
  };
  return {
    supervisor,
    monitor,
    actions: trayActions,
    trayModel: () => electronState.trays.at(-1)!,
    alerts,
    serverEvents,
    connections: () => connections,
    dispose,
  };
}

afterAll(cleanupTempHomes);

describe('desktop app against a supervisor the CLI started', () => {
  let home: TempHome;
  let cli: SupervisorCli;
  let app: Awaited<ReturnType<typeof composeApp>>;
  let userHome: string;

  beforeAll(async () => {
    electronState.reset({ userData: path.join(os.tmpdir(), 'mcps-unused') });
    home = await tempHome();
    cli = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { memory: testServers.memory(home.path, 'memory') },
        supervisor: SUPERVISOR_SETTINGS,
      },
    });
    userHome = path.join(home.path, 'user-home');
    app = await composeApp(home, async () => cliEnv(), { HOME: userHome });
    expect(await app.supervisor.start()).toMatchObject({ phase: 'running', isOwned: false, pid: cli.pid });
    await waitFor(() => (app.connections() > 0 ? true : undefined), { what: 'the event stream to connect' });
  });

  afterAll(async () => {
    app?.dispose();
    await cli?.stop();
  });

  it('stops and starts a real server from the tray, and the events reach the app', async () => {
    await waitFor(() => (app.monitor.server('memory')?.state === 'online' ? true : undefined), {
      what: 'memory online in the app',
    });
    menuItem(app.trayModel(), ['● memory — online', 'Stop']).click?.();
    await cli.waitForStatus((body) => serverRow(body, 'memory').state === 'stopped', 'memory stopped');
    await waitFor(
      () => (app.serverEvents.some((e) => e.server === 'memory' && e.kind === 'stop') ? true : undefined),
      {
        what: 'the stop event on the stream',
      },
    );
    await waitFor(() => (app.monitor.server('memory')?.state === 'stopped' ? true : undefined), {
      what: 'memory stopped in the app',
    });
    // Stopped on purpose: no warning.
    expect(app.trayModel().image).toEqual({ file: path.join(ROOT, 'resources', 'tray-green.png') });
    expect(app.trayModel().tooltip).toBe('mcp-supervisor: 1 stopped');

    menuItem(app.trayModel(), ['● memory — stopped', 'Start']).click?.();
    await cli.waitForStatus((body) => serverRow(body, 'memory').state === 'online', 'memory online again');
    expect(app.actions.lastFailure).toBeUndefined();
  });

  it('imports from Cursor through the tray: asks, writes the config, reloads, and says the server is online', async () => {
    const cursorFile = path.join(userHome, '.cursor', 'mcp.json');
    await mkdir(path.dirname(cursorFile), { recursive: true });
    await writeFile(
      cursorFile,
      `// Cursor's MCP servers\n${JSON.stringify({ mcpServers: { notes: testServers.memory(home.path, 'notes') } }, null, 2)}\n`,
    );
    electronMocks.showMessageBox.mockImplementationOnce((async () => ({ response: 0 })) as never);
    const before = electronState.notifications.length;
    await menuItem(app.trayModel(), ['Import from…', 'Cursor']).click?.();
    // Only the import's own notification: on a loaded machine a host alert may come first.
    const importNotice = () =>
      electronState.notifications.slice(before).find((n) => n.options?.title === 'Imported');
    await waitFor(() => importNotice(), { what: 'the import to say what it did' });
    expect(electronMocks.showMessageBox).toHaveBeenCalledWith(
      expect.objectContaining({ message: `Import 1 server from ${cursorFile}?`, detail: 'Add: notes' }),
    );
    const said = importNotice()?.options;
    expect(said?.title).toBe('Imported');
    expect(said?.body).toMatch(/^Wrote .*\. Reloaded: notes online\.$/);
    expect(app.actions.lastFailure).toBeUndefined();
    const status = await cli.status();
    expect(serverRow(status, 'notes').state).toBe('online');
    expect(await readFile(cursorFile, 'utf8')).toContain("// Cursor's MCP servers");
  });

  it('turns a crash loop into exactly one notification, whose buttons act on the supervisor', async () => {
    const crashy = {
      command: process.execPath,
      args: ['-e', `console.error(${JSON.stringify(CRASH_LINE)}); process.exit(1)`],
      env: testServerEnv(home.path, 'crashy'),
    };
    await writeFile(
      home.paths.configFile,
      JSON.stringify({
        mcpServers: { memory: testServers.memory(home.path, 'memory'), crashy },
        supervisor: SUPERVISOR_SETTINGS,
      }),
    );
    // Added through the tray: Reload config.
    await app.actions.run({ kind: 'reload-config' });
    expect(app.actions.lastFailure).toBeUndefined();
    const title = 'Critical: crashy keeps crashing';
    const crashNotifications = () => electronState.notifications.filter((n) => n.options.title === title);
    await waitFor(() => (crashNotifications().length > 0 ? true : undefined), {
      what: 'the crash-loop notification',
      timeoutMs: 30_000,
      describeLast: () => JSON.stringify(electronState.notifications.map((n) => n.options)),
    });
    const [notification] = crashNotifications();
    expect(notification?.options.body).toBe(`exit code 1 · last error: ${CRASH_LINE}`);
    expect(notification?.options.actions).toEqual([
      { type: 'button', text: 'Restart' },
      { type: 'button', text: 'Acknowledge' },
    ]);
    expect(app.trayModel().image).toEqual({ file: path.join(ROOT, 'resources', 'tray-red.png') });

    // Many more monitor samples (200 ms apart) inside the five-minute cooldown: still one.
    await sleep(2_000);
    expect(crashNotifications()).toHaveLength(1);
    expect(
      app.alerts.filter((e) => e.type === 'alert.fired' && e.alert.key === 'crash_loop:crashy'),
    ).toHaveLength(1);

    // A click opens the console on that server, in the one window.
    notification?.listeners.emit('click');
    await waitFor(() => (electronState.windows.length > 0 ? true : undefined), {
      what: 'the console window',
    });
    expect(electronState.windows[0]?.loads).toEqual([`http://127.0.0.1:${cli.port}/ui/#/servers/crashy`]);

    // Acknowledge, through the real control API.
    notification?.clickAction(1);
    // The crash loop's own alert: on a loaded machine a host alert may have fired too.
    const alertId = app.alerts.find((e) => e.alert.key === 'crash_loop:crashy')?.alert.id;
    expect(alertId).toBeTypeOf('number');
    await waitFor(
      async () => {
        const body = await cli.client.request<{ alerts: { id: number; acknowledgedAt: number | null }[] }>(
          'GET',
          '/api/alerts',
        );
        return body.alerts.find((a) => a.id === alertId)?.acknowledgedAt ? true : undefined;
      },
      {
        what: 'the alert acknowledged',
        describeLast: () => JSON.stringify(electronState.notifications.map((n) => n.options.title)),
      },
    );
    expect(electronState.notifications.filter((n) => /failed$/.test(n.options.title))).toEqual([]);
  });
});

describe('desktop app starting its own supervisor', () => {
  let home: TempHome;
  let blocker: net.Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
  });

  it('shows why it failed to start (port in use), starts on retry, and stops cleanly at quit', async () => {
    electronState.reset({ userData: path.join(os.tmpdir(), 'mcps-unused') });
    electronMocks.fork.mockImplementation(forkWithNode as never);
    home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({
        mcpServers: { memory: testServers.memory(home.path, 'memory') },
        supervisor: SUPERVISOR_SETTINGS,
      }),
    );
    const port = await freePort();
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker?.listen(port, '127.0.0.1', resolve));
    let supervisorPort = String(port);
    const app = await composeApp(home, async () => cliEnv({ MCP_SUPERVISOR_PORT: supervisorPort }));
    try {
      const failed = await app.supervisor.start();
      expect(failed).toMatchObject({ phase: 'down', isFailure: true, canStart: true });
      expect(failed.phase === 'down' && failed.reason).toMatch(
        new RegExp(
          `^port ${port} on 127\\.0\\.0\\.1 is in use; .* \\(the supervisor exited with code \\d+ while starting\\)$`,
        ),
      );
      const tray = app.trayModel();
      expect(tray.image).toEqual({ file: path.join(ROOT, 'resources', 'tray-grey.png') });
      expect(menuItem(tray, ['Show supervisor log'])).toBeDefined();

      // Retry from the tray once the port is free.
      supervisorPort = '0';
      menuItem(tray, ['Retry']).click?.();
      await waitFor(() => (app.supervisor.view.phase === 'running' ? true : undefined), {
        what: 'the supervisor started by the app',
        timeoutMs: 60_000,
        describeLast: () => JSON.stringify(app.supervisor.view),
      });
      expect(app.supervisor.view).toMatchObject({ isOwned: true });
      await waitFor(() => (app.monitor.server('memory')?.state === 'online' ? true : undefined), {
        what: 'memory online in the app',
        timeoutMs: 60_000,
      });

      // Quit waits for the clean stop of the supervisor the app started.
      const quitEvent = { preventDefault: vi.fn() };
      electronState.appListeners.emit('before-quit', quitEvent);
      expect(quitEvent.preventDefault).toHaveBeenCalledOnce();
      await waitFor(() => (electronMocks.quit.mock.calls.length > 0 ? true : undefined), {
        what: 'the quit to go on after the clean stop',
        timeoutMs: 60_000,
      });
      expect(app.supervisor.view).toEqual({
        phase: 'down',
        reason: 'stopped',
        isFailure: false,
        canStart: false,
      });
      await waitFor(() => (processesUnder(home.path).length === 0 ? true : undefined), {
        what: 'every process of the home to be gone',
        describeLast: () => JSON.stringify(processesUnder(home.path).map((p) => p.cmdline.join(' '))),
      });
    } finally {
      app.dispose();
    }
  });
});
