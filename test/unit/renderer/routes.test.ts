import { describe, expect, it } from 'vitest';
import { extractToken, isInSection, parseHash, routeHash } from '../../../renderer/src/lib/routes.ts';

describe('hash routes', () => {
  it('parses every route the tray app deep-links to, and builds them back', () => {
    const cases: [string, object][] = [
      ['', { view: 'servers' }],
      ['#/servers', { view: 'servers' }],
      ['#/servers/my%20server', { view: 'server', name: 'my server' }],
      ['#/servers/memory/logs', { view: 'server-logs', name: 'memory' }],
      ['#/alerts', { view: 'alerts' }],
      ['#/alerts/42', { view: 'alert', id: 42 }],
      ['#/host', { view: 'host' }],
      ['#/timeline', { view: 'timeline' }],
      ['#/requests', { view: 'requests' }],
      ['#/logs/supervisor', { view: 'supervisor-logs' }],
      ['#/config', { view: 'config' }],
      ['#/keys', { view: 'keys' }],
      ['#/clients', { view: 'clients' }],
    ];
    for (const [hash, route] of cases) {
      expect(parseHash(hash).route).toEqual(route);
      if (hash) expect(routeHash(parseHash(hash).route)).toBe(hash);
    }
    expect(parseHash('#/alerts/abc').route).toEqual({ view: 'not-found', path: '/alerts/abc' });
    expect(parseHash('#/nowhere/x').route.view).toBe('not-found');
  });

  it('carries a query for shareable filters', () => {
    const location = parseHash('#/requests?server=memory&status=error');
    expect(location.route).toEqual({ view: 'requests' });
    expect(location.query.get('status')).toBe('error');
    expect(routeHash({ view: 'requests' }, { server: 'memory' })).toBe('#/requests?server=memory');
  });

  it('takes the token out of the fragment and keeps the rest', () => {
    expect(extractToken('#token=abc')).toEqual({ token: 'abc', hash: '#/servers' });
    expect(extractToken('#/servers/memory?token=abc')).toEqual({ token: 'abc', hash: '#/servers/memory' });
    expect(extractToken('#/requests?server=a&token=abc&status=ok')).toEqual({
      token: 'abc',
      hash: '#/requests?server=a&status=ok',
    });
    expect(extractToken('#/alerts&token=abc')).toEqual({ token: 'abc', hash: '#/alerts' });
    expect(extractToken('#/alerts')).toEqual({ token: undefined, hash: '#/alerts' });
  });

  it('puts server pages under Servers and alert pages under Alerts', () => {
    expect(isInSection({ view: 'server-logs', name: 'a' }, 'servers')).toBe(true);
    expect(isInSection({ view: 'alert', id: 1 }, 'alerts')).toBe(true);
    expect(isInSection({ view: 'host' }, 'servers')).toBe(false);
  });
});
