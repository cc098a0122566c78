export { AdaptiveConcurrency, type AdaptiveConcurrencyOptions } from './adaptive.ts';
export {
  type BreakerOptions,
  type BreakerState,
  type CircuitBreaker,
  createBreaker,
  isTransportFailure,
} from './breaker.ts';
export { createGlobalLimiter, type GlobalLimiter, type GlobalLimiterStats } from './global-limiter.ts';
export {
  REFUSAL_JSONRPC_CODES,
  REFUSAL_REASONS,
  type Refusal,
  type RefusalReason,
  refusalError,
  refusalOf,
  refusalToJsonRpcError,
} from './refusals.ts';
export { isIdempotentMethod, type RetryOptions, retryIdempotent } from './retry.ts';
export {
  createServerGuard,
  type RunOptions,
  resolveServerLimits,
  type ServerGuard,
  type ServerGuardLimits,
  type ServerGuardOptions,
  type ServerGuardStats,
} from './server-guard.ts';
export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from './token-bucket.ts';
