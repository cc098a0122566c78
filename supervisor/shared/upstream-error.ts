/**
 * An error a server answered with, kept exactly as it sent it (code, message, data). The
 * upstream channel raises it, the breaker and retries treat it as an answer (the transport
 * works), and the gateway passes it to the client unchanged.
 */
export class UpstreamRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(error: { code: number; message: string; data?: unknown }) {
    super(error.message);
    this.name = 'UpstreamRpcError';
    this.code = error.code;
    this.data = error.data;
  }
}
