import { contextBridge, ipcRenderer } from 'electron';
import { type DashboardBridge, IPC_CHANNELS } from './ipc-contract.ts';

// The window runs sandboxed with context isolation: this small object is all it can reach.
const bridge: DashboardBridge = {
  connection: () => ipcRenderer.invoke(IPC_CHANNELS.connection),
};
contextBridge.exposeInMainWorld('mcpSupervisor', bridge);
