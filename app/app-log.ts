/**
 * The app's log: Electron's main process has no pino of its own, so lines go to the console
 * (seen in a terminal launch, and in the OS log of a packaged app). Injected, so tests stay quiet
 * and can assert what was logged.
 */
export interface AppLog {
  info(message: string): void;
  warn(message: string): void;
}

export const consoleLog: AppLog = {
  info: (message) => console.info(`mcp-supervisor app: ${message}`),
  warn: (message) => console.warn(`mcp-supervisor app: ${message}`),
};

export const silentLog: AppLog = { info: () => {}, warn: () => {} };
