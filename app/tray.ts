/**
 * The tray icon: its image, tooltip and menu follow the status snapshot; menu clicks run the
 * tray actions. The decisions are in `tray-state.ts` and `tray-menu.ts`; this only renders them.
 */
import path from 'node:path';
import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import { type MenuItemModel, type MenuOptions, type TrayAction, trayMenu } from './tray-menu.ts';
import { type TraySnapshot, trayIconFile, trayLevel, trayTooltip } from './tray-state.ts';

export interface TrayOptions {
  resourcesDir: string;
  platform: NodeJS.Platform;
  snapshot(): TraySnapshot;
  menuOptions(): MenuOptions;
  run(action: TrayAction): Promise<void>;
}

/** The rendered tray; `render()` after anything the menu shows changed. */
export interface TrayView {
  render(): void;
  dispose(): void;
}

/** Turns the menu model into Electron's template; clicks dispatch the model's actions. */
export function toMenuTemplate(
  items: readonly MenuItemModel[],
  run: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if ('type' in item && item.type === 'separator') return { type: 'separator' };
    const entry = item as Exclude<MenuItemModel, { type: 'separator' }>;
    const action = entry.action;
    return {
      label: entry.label,
      enabled: entry.enabled ?? true,
      ...(entry.type === 'checkbox' ? { type: 'checkbox' as const, checked: entry.checked ?? false } : {}),
      ...(entry.submenu ? { submenu: toMenuTemplate(entry.submenu, run) } : {}),
      ...(action ? { click: () => run(action) } : {}),
    };
  });
}

export function setupTray(options: TrayOptions): TrayView {
  const image = (file: string) => nativeImage.createFromPath(path.join(options.resourcesDir, file));
  const first = options.snapshot();
  let iconFile = trayIconFile(trayLevel(first), options.platform);
  const tray = new Tray(image(iconFile));
  let menuKey = '';
  let tooltip = '';
  const run = (action: TrayAction) => void options.run(action);

  const render = () => {
    const snapshot = options.snapshot();
    const nextIcon = trayIconFile(trayLevel(snapshot), options.platform);
    if (nextIcon !== iconFile) {
      iconFile = nextIcon;
      tray.setImage(image(iconFile));
    }
    const nextTooltip = trayTooltip(snapshot);
    if (nextTooltip !== tooltip) {
      tooltip = nextTooltip;
      tray.setToolTip(tooltip);
    }
    // Rebuilding an open menu closes it on some desktops: only when what it shows changed.
    const model = trayMenu(snapshot, options.menuOptions());
    const key = JSON.stringify(model);
    if (key !== menuKey) {
      menuKey = key;
      tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model, run)));
    }
  };
  // Windows users expect a click on the icon to open the app; elsewhere a click opens the menu.
  if (options.platform === 'win32')
    tray.on('click', () => run({ kind: 'open-console', route: { view: 'home' } }));
  render();
  return { render, dispose: () => tray.destroy() };
}
