import { describe, expect, it } from 'vitest';
import {
  defaultHostLabel,
  parseClusterConfig,
  redactRedisUrl,
  resolveClusterConfig,
} from '../../../supervisor/cluster/config.ts';
import { parseConfig } from '../../../supervisor/config/parse.ts';

describe('supervisor.cluster config', () => {
  it('applies the defaults to a bare URL', () => {
    const config = parseClusterConfig({ redis: 'redis://redis:6379' });
    expect(config).toMatchObject({
      redis: 'redis://redis:6379',
      id: 'default',
      timeoutMs: 500,
      onUnavailable: 'local',
      heartbeatMs: 2_000,
    });
    expect(config.hostLabel).toBe(defaultHostLabel());
  });

  it('accepts the older { redis: { url } } shape', () => {
    expect(parseClusterConfig({ redis: { url: 'rediss://h:6380/0' }, id: 'prod' }).redis).toBe(
      'rediss://h:6380/0',
    );
  });

  it('names every wrong field', () => {
    expect(() =>
      parseClusterConfig({
        redis: 'http://x',
        id: 'a b',
        timeoutMs: 1,
        onUnavailable: 'wait',
        keySecret: 'short',
      }),
    ).toThrowError(
      /supervisor\.cluster\.redis: expected a redis:\/\/[\s\S]*supervisor\.cluster\.id: [\s\S]*supervisor\.cluster\.timeoutMs: [\s\S]*supervisor\.cluster\.onUnavailable: [\s\S]*supervisor\.cluster\.keySecret: expected at least 32/,
    );
    expect(() => parseClusterConfig({ redis: 'redis://x', extra: 1 })).toThrowError(
      /supervisor\.cluster: unknown key "extra"/,
    );
  });

  it('resolves the host label of a parsed config, and expands from the env it is given', () => {
    const parsed = parseConfig(JSON.stringify({ supervisor: { cluster: { redis: 'redis://r:6379' } } }));
    expect(parsed.supervisor.cluster && resolveClusterConfig(parsed.supervisor.cluster).hostLabel).toBe(
      defaultHostLabel(),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config syntax under test
    expect(parseClusterConfig({ redis: 'redis://r', hostLabel: '${POD}' }, { POD: 'pod-1' }).hostLabel).toBe(
      'pod-1',
    );
  });

  it('makes a safe label of any hostname and hides passwords', () => {
    expect(defaultHostLabel('web-1.example.com')).toBe('web-1.example.com');
    expect(defaultHostLabel('we!rd host')).toBe('we-rd-host');
    expect(redactRedisUrl('redis://:s3cret@redis:6379/0')).toBe('redis://:***@redis:6379/0');
    expect(redactRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });
});
