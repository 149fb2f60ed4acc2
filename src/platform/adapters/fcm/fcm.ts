/**
 * Firebase Cloud Messaging, HTTP v1 REST API:
 *   POST {FCM_BASE_URL}/v1/projects/{project}/messages:send   (Bearer OAuth2 access token)
 * The access token comes from Google's OAuth2 token endpoint with a service-account JWT
 * assertion (RFC 7523, RS256 signed with the account's private key by jose), cached until
 * a minute before it expires. Base and token URLs are configurable so tests run this real
 * client against a local server.
 */
import { readFile } from 'node:fs/promises';
import {
  GOOGLE_TOKEN_URL,
  GoogleOAuthError,
  serviceAccountTokens,
  type ServiceAccount,
} from '../google-oauth.ts';

export type { ServiceAccount };

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export interface FcmMessage {
  token: string;
  title: string;
  body: string;
  data: Record<string, string>;
  priority: 'NORMAL' | 'HIGH';
}

export class FcmError extends Error {
  /** HTTP status; undefined when FCM could not be reached. */
  readonly status: number | undefined;
  /** FCM error code (`UNREGISTERED`, `INVALID_ARGUMENT`, `QUOTA_EXCEEDED`, …) or gRPC status. */
  readonly errorCode: string | undefined;
  /** The request fields FCM named as invalid (`message.token`), from its BadRequest detail. */
  readonly invalidFields: readonly string[];
  constructor(
    message: string,
    status?: number,
    errorCode?: string,
    options?: { cause?: unknown; invalidFields?: readonly string[] },
  ) {
    super(message, options);
    this.name = 'FcmError';
    this.status = status;
    this.errorCode = errorCode;
    this.invalidFields = options?.invalidFields ?? [];
  }
  /**
   * The device token is no good, for good: the app was uninstalled or the token rotated
   * (UNREGISTERED), or it is not an FCM registration token at all (INVALID_ARGUMENT naming
   * the token). An INVALID_ARGUMENT about the message itself (a payload too large) says
   * nothing about the device and keeps it.
   */
  get tokenInvalid(): boolean {
    if (
      this.errorCode === 'UNREGISTERED' ||
      this.errorCode === 'NOT_FOUND' ||
      this.status === 404
    ) {
      return true;
    }
    return (
      this.errorCode === 'INVALID_ARGUMENT' &&
      (this.invalidFields.includes('message.token') || /registration token/i.test(this.message))
    );
  }
  /** Worth trying again later: unreachable, rate limited, or a server-side error. */
  get retryable(): boolean {
    if (this.status === undefined) return true;
    return this.status === 429 || this.status >= 500 || this.errorCode === 'UNAVAILABLE';
  }
}

export interface FcmClient {
  readonly projectId: string;
  /** Sends one message; resolves with FCM's message name (`projects/p/messages/123`). */
  send(message: FcmMessage): Promise<string>;
}

export interface FcmOptions {
  projectId?: string;
  serviceAccount: ServiceAccount;
  baseUrl?: string;
  tokenUrl?: string;
  timeoutMs?: number;
  now?: () => Date;
}

/** FCM_SERVICE_ACCOUNT_JSON: the JSON itself, or a path to the key file. */
export async function loadServiceAccount(value: string): Promise<ServiceAccount> {
  const raw = value.trim().startsWith('{') ? value : await readFile(value, 'utf8');
  let parsed: Partial<ServiceAccount>;
  try {
    parsed = JSON.parse(raw) as Partial<ServiceAccount>;
  } catch {
    throw new Error('FCM_SERVICE_ACCOUNT_JSON is not valid JSON');
  }
  if (!parsed.client_email || !parsed.private_key) {
    throw new Error('FCM service account needs client_email and private_key');
  }
  return parsed as ServiceAccount;
}

/** The HTTP v1 message: notification, data (deep link), Android and APNs priority. */
export function fcmRequestBody(message: FcmMessage) {
  const high = message.priority === 'HIGH';
  return {
    message: {
      token: message.token,
      notification: { title: message.title, body: message.body },
      data: message.data,
      android: { priority: high ? 'HIGH' : 'NORMAL' },
      apns: {
        headers: { 'apns-priority': high ? '10' : '5' },
        payload: { aps: { sound: 'default' } },
      },
    },
  };
}

export function createFcmClient(options: FcmOptions): FcmClient {
  const account = options.serviceAccount;
  const projectId = options.projectId ?? account.project_id;
  if (!projectId) throw new Error('FCM project id is missing (FCM_PROJECT_ID)');
  const tokenUrl = options.tokenUrl ?? account.token_uri ?? GOOGLE_TOKEN_URL;
  const baseUrl = (options.baseUrl ?? 'https://fcm.googleapis.com').replace(/\/+$/, '');
  const sendUrl = `${baseUrl}/v1/projects/${encodeURIComponent(projectId)}/messages:send`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const tokens = serviceAccountTokens({ account, scope: FCM_SCOPE, tokenUrl, timeoutMs, now });
  async function accessToken(): Promise<string> {
    try {
      return await tokens.get();
    } catch (err) {
      if (!(err instanceof GoogleOAuthError)) throw err;
      throw new FcmError(err.message, err.status, err.errorCode, { cause: err.cause });
    }
  }

  return {
    projectId,
    async send(message) {
      const token = await accessToken();
      let response: Response;
      try {
        response = await fetch(sendUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(fcmRequestBody(message)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new FcmError(`FCM unreachable: ${(err as Error).message}`, undefined, undefined, {
          cause: err,
        });
      }
      const body = (await response.json().catch(() => ({}))) as {
        name?: string;
        error?: {
          code?: number;
          message?: string;
          status?: string;
          details?: Array<{
            '@type'?: string;
            errorCode?: string;
            fieldViolations?: Array<{ field?: string }>;
          }>;
        };
      };
      if (response.ok && body.name) return body.name;
      if (response.status === 401) tokens.reset(); // token revoked or expired early
      const fcmCode = body.error?.details?.find((d) => d.errorCode)?.errorCode;
      const invalidFields = (body.error?.details ?? []).flatMap((d) =>
        (d.fieldViolations ?? []).flatMap((v) => (v.field ? [v.field] : [])),
      );
      throw new FcmError(
        `FCM answered ${response.status}: ${fcmCode ?? body.error?.status ?? ''} ${body.error?.message ?? ''}`.trim(),
        response.status,
        fcmCode ?? body.error?.status,
        { invalidFields },
      );
    },
  };
}
