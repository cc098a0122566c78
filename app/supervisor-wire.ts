/**
 * What the app reads from the supervisor's control API, validated at the edge with zod. The
 * schemas are loose on purpose: a newer supervisor may add fields (or states, such as
 * `installing`) and the app must keep working; only what the app reads is required.
 */
import { z } from 'zod';

export const serverRowSchema = z.looseObject({
  name: z.string(),
  /** One of the core's states; kept open so a state added later is shown, not rejected. */
  state: z.string(),
  pid: z.number().optional(),
  uptimeMs: z.number().optional(),
  restarts: z.number().optional(),
  health: z.string().optional(),
  breaker: z.string().optional(),
  lastError: z.string().optional(),
  lastExit: z
    .looseObject({ exitCode: z.number().nullable(), signal: z.string().nullable(), at: z.number() })
    .optional(),
});
export type ServerRow = z.infer<typeof serverRowSchema>;

export const statusBodySchema = z.looseObject({
  supervisor: z.looseObject({
    pid: z.number(),
    version: z.string().optional(),
    configFile: z.string().nullable().optional(),
  }),
  servers: z.array(serverRowSchema),
});
export type StatusBody = z.infer<typeof statusBodySchema>;

export const alertRecordSchema = z.looseObject({
  id: z.number(),
  key: z.string(),
  rule: z.string(),
  subject: z.string(),
  severity: z.string(),
  value: z.number(),
  threshold: z.number(),
  message: z.string(),
  firedAt: z.number().optional(),
  notifiedAt: z.number().optional(),
  lastSeenAt: z.number().optional(),
  resolvedAt: z.number().nullable().optional(),
  suppressedCount: z.number().default(0),
  acknowledgedAt: z.number().nullable().optional(),
});
export type AlertRecord = z.infer<typeof alertRecordSchema>;

/** `event: alert` of `GET /api/events`. */
export const alertEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('alert.fired'), alert: alertRecordSchema, isRepeat: z.boolean() }),
  z.looseObject({ type: z.literal('alert.resolved'), alert: alertRecordSchema }),
]);
export type AlertEvent = z.infer<typeof alertEventSchema>;

/** `event: server` of `GET /api/events`. */
export const serverEventSchema = z.looseObject({
  server: z.string(),
  kind: z.string(),
  state: z.string(),
  at: z.number(),
  exitCode: z.number().nullable().optional(),
  message: z.string().optional(),
});
export type ServerEvent = z.infer<typeof serverEventSchema>;

/** `GET /api/servers/NAME/logs`. */
export const logLinesSchema = z.looseObject({
  lines: z.array(z.looseObject({ stream: z.string(), line: z.string() })),
});
