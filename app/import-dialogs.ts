/**
 * The dialogs around an import from the tray: the File… picker and the confirmation that shows
 * what the import will add, rename, change and skip.
 */
import { dialog } from 'electron';
import type { ConfigImporter, ImportDeps, ImportPlanSummary } from './importer.ts';

/** Undefined when no importer is wired (the tray then shows the item disabled). */
export function setupImportDialogs<Plan extends ImportPlanSummary>(
  importer: ConfigImporter<Plan> | undefined,
): Omit<ImportDeps<Plan>, 'reload'> | undefined {
  if (!importer) return undefined;
  return {
    importer,
    pickFile: async () => {
      const picked = await dialog.showOpenDialog({
        title: 'Import MCP servers from a file',
        properties: ['openFile'],
        filters: [
          { name: 'MCP client config', extensions: ['json', 'jsonc', 'json5'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      return picked.canceled ? undefined : picked.filePaths[0];
    },
    confirm: async ({ message, detail }) => {
      const answer = await dialog.showMessageBox({
        type: 'question',
        message,
        detail,
        buttons: ['Import', 'Cancel'],
        defaultId: 0,
        cancelId: 1,
      });
      return answer.response === 0;
    },
  };
}
