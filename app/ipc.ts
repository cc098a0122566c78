/**
 * The main side of the IPC contract. Every handler first checks that the sender is the console
 * window this app created, showing the supervisor's console page (not a devtools extension, not
 * another frame), then validates the arguments with the contract's schema; a refusal rejects the
 * renderer's `invoke` with a message that says why.
 */
import { ipcMain } from 'electron';
import { z } from 'zod';
import { type ConnectionInfo, IPC_CHANNELS } from './ipc-contract.ts';

/** The arguments of `connection`: none. */
export const connectionRequestSchema = z.tuple([]);

/** What main answers to `connection`; checked before it leaves, as the console trusts it. */
export const connectionInfoSchema: z.ZodType<ConnectionInfo> = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  token: z.string().min(32),
});

/** What a handler learns of the sender from Electron's `IpcMainInvokeEvent`. */
export interface IpcSenderEvent {
  sender: { id: number };
  senderFrame?: { url: string } | null;
}

export interface IpcOptions {
  isOwnSender(senderId: number, frameUrl: string | undefined): boolean;
  /** The connection of the running supervisor, or undefined while none runs. */
  connection(): Promise<ConnectionInfo | undefined>;
}

/** Registers the handlers; returns the function that removes them. */
export function setupIpc(options: IpcOptions): () => void {
  const channel = IPC_CHANNELS.connection;
  ipcMain.handle(channel, async (event: IpcSenderEvent, ...args: unknown[]) => {
    if (!options.isOwnSender(event.sender.id, event.senderFrame?.url)) {
      throw new Error(`${channel} refused: only the console window of this app may ask`);
    }
    const request = connectionRequestSchema.safeParse(args);
    if (!request.success) throw new Error(`${channel} takes no arguments, got ${args.length}`);
    const info = await options.connection();
    return info === undefined ? undefined : connectionInfoSchema.parse(info);
  });
  return () => ipcMain.removeHandler(channel);
}
