/**
 * The dialogs around an import and a client setup from the tray: the File… picker and the
 * questions that show what will be added, renamed, changed, skipped or written.
 */
import { dialog } from 'electron';
import type { Choose } from './client-setup.ts';
import type { ConfigImporter, ImportDeps, ImportPlanSummary } from './importer.ts';

/** A question box; the last button is the cancel one (also what Escape and closing choose). */
export const showChoice: Choose = async ({ message, detail, buttons }) => {
  const answer = await dialog.showMessageBox({
    type: 'question',
    message,
    detail,
    buttons,
    defaultId: 0,
    cancelId: buttons.length - 1,
  });
  return answer.response;
};

/** Undefined when no importer is wired (the tray then shows the item disabled). */
export function setupImportDialogs<Plan extends ImportPlanSummary>(
  importer: ConfigImporter<Plan> | undefined,
): ImportDeps<Plan> | undefined {
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
    confirm: async (text) => (await showChoice({ ...text, buttons: ['Import', 'Cancel'] })) === 0,
  };
}
