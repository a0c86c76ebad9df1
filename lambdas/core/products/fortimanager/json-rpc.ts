/**
 * One JSON-RPC call to a FortiManager (wire facts: README.md beside this file): `POST /jsonrpc`
 * with the admin token (or a key checked) as Bearer, in the manager's queue (./call-queue.ts); the
 * status is `result[0].status.code` whatever the HTTP status. Shared by the FortiManager adapter and
 * the fleet of FortiGates behind a manager (../fortigate-fleet).
 */
import { excerpt, FatalError, RetryableError, redact } from '../../errors.ts';
import { httpsJson, type TlsPin } from '../../http.ts';
import { queuedCall } from './call-queue.ts';

/** FortiManager JSON-RPC status codes (wire facts: README.md beside this file). */
export const FMG_STATUS = {
  ok: 0,
  exists: -2,
  notFound: -3,
  invalidUrl: -6,
  invalidData: -10,
  noPermission: -11,
} as const;

/**
 * How long a -11 waits before it is asked once more: long enough for another client's call (the
 * key's consumer, another process of this system) that the manager saw as concurrent to finish.
 */
const NO_PERMISSION_RETRY_MS = 250;

export type RpcMethod = 'get' | 'add' | 'update' | 'delete' | 'exec';
export interface RpcOptions {
  readonly data?: unknown;
  readonly bearer?: string;
  /** Material the call carries (a password it sets), redacted from the answer's message like the tokens. */
  readonly material?: readonly string[];
}
export interface RpcAnswer {
  readonly code: number;
  readonly message: string;
  readonly data: unknown;
  readonly httpStatus: number;
}

/** The manager a call goes to: its address, pinning, admin token and queue width. */
export interface RpcManager {
  readonly baseUrl: string;
  readonly tls: TlsPin;
  readonly adminCredential: { readonly token: string };
  readonly maxConcurrentCalls: number;
}

let nextId = 1;

/**
 * One JSON-RPC call in the manager's queue; returns the status code and data of `result[0]`.
 * 7.2.7 to 7.4.7 answer -11 to a token call that overlaps another, and the queue cannot hold back
 * other processes or the key's consumer: a -11 is asked once more (out of the queue while it
 * waits), so only a repeated -11 reaches the caller.
 */
export async function fmgRpc(
  manager: RpcManager,
  timeoutMs: number | undefined,
  method: RpcMethod,
  url: string,
  options: RpcOptions = {},
): Promise<RpcAnswer> {
  const send = () =>
    queuedCall(manager.baseUrl, manager.maxConcurrentCalls, () =>
      sendRpc(manager, timeoutMs, method, url, options),
    );
  const first = await send();
  if (first.code !== FMG_STATUS.noPermission) return first;
  await new Promise((resolve) => setTimeout(resolve, NO_PERMISSION_RETRY_MS));
  return send();
}

async function sendRpc(
  manager: RpcManager,
  timeoutMs: number | undefined,
  method: RpcMethod,
  url: string,
  options: RpcOptions,
): Promise<RpcAnswer> {
  const response = await httpsJson({
    baseUrl: manager.baseUrl,
    method: 'POST',
    path: '/jsonrpc',
    headers: { authorization: `Bearer ${options.bearer ?? manager.adminCredential.token}` },
    body: { id: nextId++, method, params: [{ url, ...(options.data ? { data: options.data } : {}) }] },
    tls: manager.tls,
    timeoutMs,
  });
  if (response.status === 429 || response.status >= 500) {
    throw new RetryableError(`FortiManager failed transiently on ${method} ${url} (HTTP ${response.status})`);
  }
  const result = (
    response.json as { result?: { status?: { code?: unknown; message?: unknown }; data?: unknown }[] }
  )?.result?.[0];
  const code = typeof result?.status?.code === 'number' ? result.status.code : Number.NaN;
  if (response.status === 200 && Number.isNaN(code)) {
    throw new FatalError(`FortiManager answered ${method} ${url} without result[0].status.code`);
  }
  const message = excerpt(
    redact(String(result?.status?.message ?? ''), [
      manager.adminCredential.token,
      options.bearer,
      ...(options.material ?? []),
    ]),
  );
  return { code, message, data: result?.data, httpStatus: response.status };
}
