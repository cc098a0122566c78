import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { resolveClusterConfig } from '../../../supervisor/cluster/config.ts';
import { parseConfig } from '../../../supervisor/config/parse.ts';
import { ROOT } from '../../helpers/paths.ts';

// The deployment examples cannot run here (no Docker engine, no cluster): they are parsed and
// their configs validated, so a typo or a config the supervisor would refuse fails here.

const DEPLOY = path.join(ROOT, 'resources/deploy');
const read = (file: string) => readFileSync(path.join(DEPLOY, file), 'utf8');

const ENV = {
  REDIS_URL: 'redis://:pw@redis:6379/0',
  MCPS_CLUSTER_KEY_SECRET: 'k'.repeat(64),
  HOST_LABEL: 'supervisor-1',
  POD_NAME: 'mcp-supervisor-abc12',
  POD_NAMESPACE: 'default',
  POD_IP: '10.1.2.3',
};

/**
 * Validates an example config as the supervisor in the container would: the real `parseConfig`
 * with the container's environment (every `${VAR}` set), then the cluster's machine defaults.
 */
function checkConfig(text: string) {
  const config = parseConfig(text, { source: 'example', env: ENV });
  expect(config.supervisor.host).toBe('0.0.0.0');
  expect(config.supervisor.gateway.auth).toBe('keys');
  const { cluster } = config.supervisor;
  if (!cluster) throw new Error('the example has no supervisor.cluster');
  return {
    config,
    cluster: resolveClusterConfig(cluster),
    allowedHosts: config.supervisor.gateway.allowedHosts,
  };
}

describe('deployment examples', () => {
  it('compose: two supervisors, Redis without persistence nor eviction, Prometheus scraping both', () => {
    const compose = parseYaml(read('compose/compose.yaml'), { merge: true }) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(compose.services).sort()).toEqual([
      'prometheus',
      'redis',
      'supervisor-1',
      'supervisor-2',
    ]);
    for (const name of ['supervisor-1', 'supervisor-2']) {
      const service = compose.services[name] as {
        stop_grace_period: string;
        environment: Record<string, string>;
        ports: string[];
      };
      expect(service.stop_grace_period).toBe('40s');
      expect(service.environment.HOST_LABEL).toBe(name);
      expect(service.environment.REDIS_URL).toMatch(/^redis:\/\//);
      expect(service.ports.every((port) => port.startsWith('127.0.0.1:'))).toBe(true);
    }
    const redis = compose.services.redis as { command: string[] };
    expect(redis.command.join(' ')).toContain('--maxmemory-policy noeviction');
    const prometheus = parseYaml(read('compose/prometheus.yml')) as {
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual(['supervisor-1:7420', 'supervisor-2:7420']);
    const { cluster, allowedHosts } = checkConfig(read('compose/config.json'));
    expect(cluster).toMatchObject({ id: 'compose', onUnavailable: 'local', hostLabel: 'supervisor-1' });
    // Prometheus's scrapes name the targets: the allowlist has to accept them.
    for (const target of targets) expect(allowedHosts).toContain(target);
  });

  it('kubernetes: Secret, ConfigMap, Deployment probes on /health and /health/detailed, Service', () => {
    const docs = parseAllDocuments(read('kubernetes/mcp-supervisor.yaml')).map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as { kind: string; metadata: { name: string }; [key: string]: unknown };
    });
    const kinds = docs.map((doc) => `${doc.kind}/${doc.metadata.name}`);
    expect(kinds).toEqual([
      'Secret/mcp-supervisor',
      'ConfigMap/mcp-supervisor-config',
      'Deployment/mcp-supervisor',
      'Service/mcp-supervisor',
      'Deployment/mcp-supervisor-redis',
      'Service/mcp-supervisor-redis',
    ]);
    const deployment = docs[2] as unknown as {
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            containers: {
              readinessProbe: { httpGet: { path: string } };
              livenessProbe: { httpGet: { path: string } };
              envFrom: { secretRef: { name: string } }[];
              securityContext: { readOnlyRootFilesystem: boolean };
            }[];
          };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container?.readinessProbe.httpGet.path).toBe('/health/detailed');
    expect(container?.livenessProbe.httpGet.path).toBe('/health');
    expect(container?.envFrom[0]?.secretRef.name).toBe('mcp-supervisor');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30 + 5);
    const configMap = docs[1] as unknown as { data: Record<string, string> };
    const { cluster, allowedHosts } = checkConfig(configMap.data['config.json'] ?? '');
    expect(cluster).toMatchObject({
      id: 'k8s',
      redis: ENV.REDIS_URL,
      hostLabel: ENV.POD_NAME,
      keySecret: ENV.MCPS_CLUSTER_KEY_SECRET,
    });
    // The Service name (other pods, Prometheus through the Service) and the pod IP (annotation
    // scrapes) are accepted as Host; probes send the bound address, accepted anyway.
    expect(allowedHosts).toEqual(['mcp-supervisor:7420', 'mcp-supervisor.default.svc:7420', '10.1.2.3:7420']);
  });

  it('systemd: --home, a clean stop longer than the supervisor deadline, restart policy, hardening', () => {
    const unit = read('systemd/mcp-supervisor.service');
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
    expect(value('ExecStart')).toMatch(
      /mcp-supervisor\.js --home \/var\/lib\/mcp-supervisor start --config /,
    );
    expect(value('KillMode')).toBe('mixed');
    // The supervisor's clean stop gives up after 30 s (service.ts stopDeadlineMs default).
    expect(Number.parseInt(value('TimeoutStopSec') ?? '0', 10)).toBeGreaterThan(30);
    expect(value('Restart')).toBe('on-failure');
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectKernelTunables', 'RestrictSUIDSGID']) {
      expect(value(key)).toBe('yes');
    }
    expect(value('ProtectSystem')).toBe('strict');
  });

  it('Dockerfile: Node 24, non-root, tini, healthcheck on /health, the config and home paths', () => {
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*path:'\/health'/m);
    expect(dockerfile).toContain('"/usr/bin/tini", "--"');
    expect(dockerfile).toContain(
      '"--home", "/var/lib/mcp-supervisor", "start", "--config", "/etc/mcp-supervisor/config.json"',
    );
    expect(dockerfile).toContain("require('better-sqlite3')");
  });
});
