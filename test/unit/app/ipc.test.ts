import { beforeEach, describe, expect, it, vi } from 'vitest';
import { electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { setupIpc } = await import('../../../app/ipc.ts');
const { IPC_CHANNELS } = await import('../../../app/ipc-contract.ts');

const CONSOLE = 'http://127.0.0.1:7420/ui/';
const token = 'a'.repeat(64);
const event = (id: number, url = CONSOLE) => ({ sender: { id }, senderFrame: { url } });

beforeEach(() => electronState.reset());

type Connection = () => Promise<{ baseUrl: string; token: string } | undefined>;
function setup(connection: Connection = async () => ({ baseUrl: 'http://127.0.0.1:7420', token })) {
  const dispose = setupIpc({
    isOwnSender: (id, url) => id === 7 && url === CONSOLE,
    connection,
  });
  const handler = electronState.ipcHandlers.get(IPC_CHANNELS.connection);
  if (!handler) throw new Error('no connection handler');
  return { handler, dispose };
}

describe('IPC', () => {
  it('gives the console window the connection', async () => {
    const { handler } = setup();
    await expect(handler(event(7))).resolves.toEqual({ baseUrl: 'http://127.0.0.1:7420', token });
  });

  it('rejects senders the app did not create, and frames that are not the console', async () => {
    const { handler } = setup();
    await expect(handler(event(12345))).rejects.toThrow(
      'mcp-supervisor:connection refused: only the console window of this app may ask',
    );
    await expect(handler(event(7, 'https://evil.example/'))).rejects.toThrow(/refused/);
    await expect(handler({ sender: { id: 7 }, senderFrame: null })).rejects.toThrow(/refused/);
  });

  it('validates the message: connection takes no arguments', async () => {
    const { handler } = setup();
    await expect(handler(event(7), { steal: true })).rejects.toThrow(
      'mcp-supervisor:connection takes no arguments, got 1',
    );
  });

  it('answers undefined while no supervisor runs, and checks what it sends', async () => {
    expect(await setup(async () => undefined).handler(event(7))).toBeUndefined();
    electronState.reset();
    const bad = setup(async () => ({ baseUrl: 'file:///etc', token: 'short' }));
    await expect(bad.handler(event(7))).rejects.toThrow();
  });

  it('removes its handler when disposed', () => {
    const { dispose } = setup();
    dispose();
    expect(electronState.ipcHandlers.has(IPC_CHANNELS.connection)).toBe(false);
  });
});
