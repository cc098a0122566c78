import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';
import type { LoadCommand, MemberSpec, RequestOutcome } from './fixtures/member.ts';

const MEMBER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/member.ts');

/** A cluster member in its own Node process (see fixtures/member.ts). */
export interface MemberProcess {
  readonly pid: number;
  readonly memberId: string;
  readonly keyEvents: { event: { type: string; record: { id: string } }; at: number }[];
  load(command: LoadCommand): Promise<RequestOutcome[]>;
  hold(count: number, clientKey: string): Promise<void>;
  stats(): Promise<{
    guard: { running: number; queued: number };
    cluster: { mode: string; membersSeen: number; movedRequests: number; fallbackRequests: number };
    connection: { state: string; membersSeen: number };
  }>;
  revoke(keyId: string): Promise<number>;
  /** Clean stop: disposes the guard and the connection, then the process exits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

/** Forks a member and resolves once it is connected to the cluster's Redis. */
export async function startMember(spec: MemberSpec): Promise<MemberProcess> {
  const child: ChildProcess = fork(MEMBER_FILE, [JSON.stringify(spec)], {
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const keyEvents: MemberProcess['keyEvents'] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', () => {
    for (const { reject } of waiting.values()) reject(new Error('member exited'));
    waiting.clear();
  });
  const ready = new Promise<{ isConnected: boolean; memberId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('member did not start within 20 s')), 20_000);
    child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message as unknown as { isConnected: boolean; memberId: string });
      } else if (message.type === 'key-event') {
        keyEvents.push(message as unknown as MemberProcess['keyEvents'][number]);
      } else if (typeof message.id === 'number') {
        const pending = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error !== undefined) pending?.reject(new Error(String(message.error)));
        else pending?.resolve(message.result);
      }
    });
  });
  const { isConnected, memberId } = await ready;
  if (!isConnected) {
    child.kill('SIGKILL');
    throw new Error('member did not connect to Redis within 10 s');
  }
  const call = <T>(type: string, fields: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, type, ...fields });
    });
  return {
    pid: child.pid ?? 0,
    memberId,
    keyEvents,
    load: (command) => call('load', command),
    hold: (count, clientKey) => call('hold', { count, clientKey }),
    stats: () => call('stats'),
    revoke: (keyId) => call('revoke', { keyId }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await call('stop').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The most task intervals that overlapped at any instant (ends sort before starts at a tie). */
export function maxOverlap(outcomes: readonly RequestOutcome[]): number {
  const edges: [number, number][] = [];
  for (const outcome of outcomes) {
    if (outcome.startedAt === undefined) continue;
    edges.push([outcome.startedAt, 1], [outcome.endedAt ?? Number.POSITIVE_INFINITY, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}

/**
 * One redis-server for a test file (started before its tests, stopped after them, started again
 * after a test that killed it), and the members a test started (stopped after each test).
 */
export function useClusterRedis(hooks: {
  beforeAll: (fn: () => Promise<void>) => void;
  afterEach: (fn: () => Promise<void>) => void;
  afterAll: (fn: () => Promise<void>) => void;
}) {
  let redis: RedisServer | undefined;
  let members: MemberProcess[] = [];
  let seq = 0;
  hooks.beforeAll(async () => {
    redis = await startRedis();
  });
  hooks.afterEach(async () => {
    await Promise.all(members.map((member) => member.stop()));
    members = [];
    if (redis && redis.pid === undefined) await redis.restart();
  });
  hooks.afterAll(async () => {
    await redis?.stop();
  });
  return {
    get redis(): RedisServer {
      if (!redis) throw new Error('redis is started in beforeAll');
      return redis;
    },
    /** A cluster id no other test of this run uses. */
    clusterId: (prefix: string) => `${prefix}-${process.pid}-${++seq}`,
    /** Starts `count` members of one cluster (one spec); they are stopped after the test. */
    async start(count: number, spec: MemberSpec): Promise<MemberProcess[]> {
      const started = await Promise.all(Array.from({ length: count }, () => startMember(spec)));
      members.push(...started);
      return started;
    },
  };
}
