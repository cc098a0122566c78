import { describe, expect, it } from 'vitest';
import { consoleUrl, routeHash } from '../../../app/console-routes.ts';
import { decideNavigation } from '../../../app/navigation.ts';

const origin = 'http://127.0.0.1:7420';

describe('console routes', () => {
  it('deep-links with the console hash routes, names encoded', () => {
    expect(consoleUrl(origin, { view: 'home' })).toBe('http://127.0.0.1:7420/ui/');
    expect(routeHash({ view: 'server', name: 'memory' })).toBe('#/servers/memory');
    expect(routeHash({ view: 'server-logs', name: 'my server' })).toBe('#/servers/my%20server/logs');
    expect(routeHash({ view: 'alert', id: 42 })).toBe('#/alerts/42');
    for (const view of ['alerts', 'host', 'timeline', 'requests', 'config'] as const) {
      expect(routeHash({ view })).toBe(`#/${view}`);
    }
  });
});

describe('navigation lock', () => {
  it('allows the console on the supervisor origin only', () => {
    expect(decideNavigation('http://127.0.0.1:7420/ui/', origin)).toBe('allow');
    expect(decideNavigation('http://127.0.0.1:7420/ui/#/alerts/3', origin)).toBe('allow');
    // The same origin outside the console: the API and the gateway are no pages.
    expect(decideNavigation('http://127.0.0.1:7420/api/status', origin)).toBe('deny');
    expect(decideNavigation('http://127.0.0.1:7420/mcp', origin)).toBe('deny');
    // Another port on the same host is another origin: handed to the browser, not loaded here.
    expect(decideNavigation('http://127.0.0.1:7421/ui/', origin)).toBe('external');
  });

  it('sends http(s) links elsewhere to the browser', () => {
    expect(decideNavigation('https://modelcontextprotocol.io/docs', origin)).toBe('external');
    expect(decideNavigation('http://example.com/', origin)).toBe('external');
  });

  it('refuses every other scheme, credentials in URLs and garbage', () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>1</script>',
      'vscode://open',
      'chrome://settings',
      'https://user:pass@example.com/',
      'not a url',
      '',
    ]) {
      expect(decideNavigation(url, origin), url).toBe('deny');
    }
  });

  it('allows nothing in the window while no supervisor runs', () => {
    expect(decideNavigation('http://127.0.0.1:7420/ui/', undefined)).toBe('external');
    expect(decideNavigation('file:///x', undefined)).toBe('deny');
  });
});
