// @ts-check
// Session: login, token refresh and authorised JSON requests to /api/v1.
//
// The refresh token lives in the storage the app chooses: a kiosk keeps it in
// localStorage so the device logs in once; the agent console keeps it in
// sessionStorage so a reload stays signed in but a closed tab does not. The
// short-lived access token stays in memory only.

// ApiError is an {"error": {"code", "message"}} answer, or a network failure
// (code "network").
export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {number} [status] the HTTP status; 0 when there was no answer
   */
  constructor(code, message, status = 0) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

// loginErrorKey names the message key the sign-in forms show for a failed
// login: a busy or unreachable server reads differently from a wrong password.
/**
 * @param {unknown} err
 * @returns {string}
 */
export function loginErrorKey(err) {
  if (!(err instanceof ApiError)) return 'login.network';
  if (err.status === 429) return 'login.rate_limited';
  if (err.code === 'network' || err.status >= 500) return 'login.network';
  return 'login.failed';
}

// Refresh this long before the access token expires, so a request never
// races the expiry.
const refreshMargin = 60_000;

export class Session {
  #storage;
  #key;
  #access = null; // {token, role, expiresAt}
  #refreshing = null;

  /** @param {{storage: Storage, key: string}} opts */
  constructor({ storage, key }) {
    this.#storage = storage;
    this.#key = key;
  }

  // hasCredentials reports whether a refresh token is remembered.
  get hasCredentials() {
    return Boolean(this.#load()?.refresh_token);
  }

  get role() {
    return this.#access?.role ?? this.#load()?.role ?? '';
  }

  /**
   * @param {string} username
   * @param {string} password
   * @returns {Promise<{token: string, refresh_token: string, role: string, expires_at: string | number}>}
   */
  async login(username, password) {
    const tokens = await postJSON('/api/v1/auth/login', { username, password });
    this.#remember(tokens);
    return tokens;
  }

  // token returns a valid access token, refreshing it when it is about to expire.
  /**
   * @param {{force?: boolean}} [opts]
   * @returns {Promise<string>}
   */
  async token({ force = false } = {}) {
    const a = this.#access;
    if (!force && a && a.expiresAt - Date.now() > refreshMargin) {
      return a.token;
    }
    await this.refresh();
    return this.#access.token;
  }

  // refresh trades the stored refresh token for new tokens; concurrent
  // callers share one request because refresh tokens rotate on use.
  refresh() {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #doRefresh() {
    const stored = this.#load();
    if (!stored?.refresh_token) {
      throw new ApiError('unauthenticated', 'not signed in', 401);
    }
    try {
      this.#remember(await postJSON('/api/v1/auth/refresh', { refresh_token: stored.refresh_token }));
    } catch (err) {
      if (err.status === 401 || err.status === 403) {
        this.forget();
      }
      throw err;
    }
  }

  // api performs an authorised request and decodes the JSON answer.
  /**
   * @param {string} path
   * @param {{method?: string, body?: any, headers?: Record<string, string>}} [options]
   * @returns {Promise<any>}
   */
  async api(path, options = {}) {
    return decode(await this.fetch(path, options));
  }

  // fetch performs an authorised request and returns the Response as it
  // is. A Blob or ArrayBuffer body is sent as bytes, anything else as JSON;
  // headers adds to the defaults (e.g. a chunk's checksum).
  /**
   * @param {string} path
   * @param {{method?: string, body?: any, headers?: Record<string, string>}} [opts]
   * @returns {Promise<Response>}
   */
  async fetch(path, { method = 'GET', body, headers = {} } = {}) {
    const send = async (token) => request(path, method, body, token, headers);
    let res = await send(await this.token());
    if (res.status === 401) {
      res = await send(await this.token({ force: true }));
    }
    return res;
  }

  // blob fetches authorised bytes (a scan, a signature), which an <img>
  // cannot do by itself because the token never goes into a URL.
  /**
   * @param {string} path
   * @returns {Promise<Blob>}
   */
  async blob(path) {
    const res = await this.fetch(path, { headers: { Accept: '*/*' } });
    if (!res.ok) return decode(res); // throws the ApiError
    try {
      return await res.blob();
    } catch (err) {
      throw new ApiError('network', err.message);
    }
  }

  // logout revokes the refresh token on the server (best effort) and forgets it.
  async logout() {
    const stored = this.#load();
    this.forget();
    if (stored?.refresh_token) {
      await postJSON('/api/v1/auth/logout', { refresh_token: stored.refresh_token }).catch(() => {});
    }
  }

  forget() {
    this.#access = null;
    this.#storage.removeItem(this.#key);
  }

  #remember(t) {
    this.#access = { token: t.token, role: t.role, expiresAt: parseExpiry(t.expires_at) };
    this.#storage.setItem(this.#key, JSON.stringify({ refresh_token: t.refresh_token, role: t.role }));
  }

  #load() {
    try {
      return JSON.parse(this.#storage.getItem(this.#key) || 'null');
    } catch {
      return null;
    }
  }
}

// parseExpiry accepts an RFC 3339 time or unix seconds/milliseconds; an
// unreadable value counts as "expires soon" so the token is refreshed early.
function parseExpiry(v) {
  if (typeof v === 'number') {
    return v < 1e12 ? v * 1000 : v;
  }
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? Date.now() + refreshMargin : ms;
}

async function request(path, method, body, token, extra = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const raw = body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body);
  if (body !== undefined) headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  Object.assign(headers, extra);
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError('network', err.message);
  }
}

async function postJSON(path, body) {
  return decode(await request(path, 'POST', body));
}

async function decode(res) {
  let payload = null;
  try {
    payload = await res.json();
  } catch {
    // An empty or non-JSON body: the status decides below.
  }
  if (!res.ok) {
    const e = payload?.error ?? {};
    throw new ApiError(e.code || `http_${res.status}`, e.message || res.statusText, res.status);
  }
  return payload;
}
