import { signal } from '@preact/signals';
import { type Location, parseHash, routeHash } from '../lib/routes.ts';

/** The current hash route; follows back/forward and links. */
export const location = signal<Location>(parseHash(window.location.hash));
window.addEventListener('hashchange', () => {
  // A new console link pasted into this tab (`#token=…`): start over with it, so the token
  // leaves the address bar and the page connects with it.
  if (/(^#|[?&])token=/.test(window.location.hash)) window.location.reload();
  else syncLocation();
});

/** Reads the address bar again (after `history.replaceState`, which fires no hashchange). */
export function syncLocation(): void {
  location.value = parseHash(window.location.hash);
}

/** Replaces the query of the current route (filters a person can share as a link). */
export function setQuery(query: Record<string, string>): void {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
  history.replaceState(history.state, '', routeHash(location.value.route, clean));
  location.value = parseHash(window.location.hash);
}
