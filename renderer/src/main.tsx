import './styles/console.css';
import { render } from 'preact';
import { resolveConnection } from './api/connection.ts';
import { App } from './app.tsx';
import { start } from './state/app-state.ts';
import { syncLocation } from './state/router.ts';

// The connection first (it clears the token from the address bar), then the page.
const root = document.getElementById('app');
if (root) {
  void resolveConnection().then(
    (connection) => {
      // The token is out of the address bar now: route on what is left.
      syncLocation();
      start(connection);
      render(<App />, root);
    },
    (error: unknown) => {
      root.textContent = `The console could not read its connection: ${(error as Error).message}`;
    },
  );
}
