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
  load(command: LoadCommand): Promise<RequestOutcome[]>;
  stats(): Promise<{
    guard: { running: number; queued: number };
    cluster: { mode: string; membersSeen: number; movedRequests: number; fallbackRequests: number };
    connection: { state: string; membersSeen: number };
  }>;
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
    load: (command) => call('load', command),
    stats: () => call('stats'),
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
