// The one REST client: every call is typed from the OpenAPI document (src/api/schema.d.ts).
// The token is added here and nowhere else, so no call site can forget it or put it in a URL.
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import type { ApiError } from './types';

export const api = createClient<paths>({ baseUrl: '/api/v1' });

let currentToken: () => string | null = () => null;
let unauthorized: () => void = () => {};

/** Wires the client to the session without an import cycle (the session uses the client). */
export function configureAuth(token: () => string | null, onUnauthorized: () => void): void {
  currentToken = token;
  unauthorized = onUnauthorized;
}

/**
 * The Authorization header for the one request openapi-fetch cannot make: an upload with
 * progress (XMLHttpRequest, api/upload.ts). Calls `unauthorized` on a 401 like the middleware.
 */
export function bearer(): { header: string | null; onStatus: (status: number) => void } {
  const token = currentToken();
  return {
    header: token ? `Bearer ${token}` : null,
    onStatus: (status) => {
      if (status === 401 && token) unauthorized();
    },
  };
}

api.use({
  onRequest({ request }) {
    const token = currentToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A 401 to a call that carried a token means the login ended (expired, revoked, password
    // changed elsewhere); a 401 to the login form itself is just a wrong password.
    if (response.status === 401 && request.headers.has('Authorization')) unauthorized();
    return response;
  },
});

/** A REST error with the server's machine code (`username_taken`, `forbidden`, ...). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its body, or throws ApiFailure. */
export async function call<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (e) {
    throw new ApiFailure(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const { data, error, response } = answer;
  if (error !== undefined || !response.ok) {
    const body = (error ?? {}) as Partial<ApiError>;
    throw new ApiFailure(response.status, body.code ?? `http_${response.status}`, body.message ?? response.statusText);
  }
  return data as T;
}
