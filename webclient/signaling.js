// @ts-check
// Signaling: the one WebSocket to /ws that speaks docs/protocol.md.
//
// It authenticates with the first message, answers requests by id, and when
// the link drops (island 4G does) reconnects with exponential backoff and
// resumes the same server session, so a queued request or a running call
// survives. The resume ticket is kept in sessionStorage so a page reload
// resumes too.

// SignalingError is a typed protocol error ("not_offered", "no_agents", …) or
// a local one: "offline" (no socket), "timeout", "closed".
export class SignalingError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

const backoffFirst = 500;
const backoffMax = 15_000;
const pingEvery = 15_000;
// The server pings every 20 s; hearing nothing for this long means the link
// is dead even if the browser has not noticed yet.
const silenceLimit = 45_000;
const requestTimeout = 15_000;
// While a call is live the link is watched closely and, once it is back,
// the next attempt is never far off: the call resumes within seconds of the
// link's return instead of after a backoff grown during the outage. A socket
// that has not opened by connectLimit is given up for a fresh one, as one
// opened while the link was dark may never get through.
const live = Object.freeze({ backoffMax: 500, pingEvery: 2_000, silenceLimit: 5_000, connectLimit: 3_000 });

// Connection states, in the order a healthy socket goes through them.
export const State = Object.freeze({
  connecting: 'connecting',
  open: 'open',
  reconnecting: 'reconnecting',
  replaced: 'replaced',
  unauthenticated: 'unauthenticated',
  closed: 'closed',
});

export class Signaling extends EventTarget {
  #url;
  #getToken;
  #invitation;
  #resume;
  #ws = null;
  /** @type {string} */
  #state = State.closed;
  #nextId = 1;
  #pending = new Map();
  #handlers = new Map();
  #attempt = 0;
  #retryTimer = 0;
  #pingTimer = 0;
  #lastHeard = 0;
  #welcome = null;
  #forceRefresh = false;
  #liveCalls = 0;
  #connectTimer = 0;
  #onOnline = () => this.#retryNow();

  // getToken({force}) returns an access token; a remote guest has an
  // invitation's secret instead. resumeKey names the sessionStorage entry
  // for the resume ticket.
  /** @param {{getToken?: (opts?: {force?: boolean}) => Promise<string>, invitation?: string, resumeKey: string, url?: string}} opts */
  constructor({ getToken, invitation = '', resumeKey, url = defaultURL() }) {
    super();
    this.#url = url;
    this.#getToken = getToken;
    this.#invitation = invitation;
    this.#resume = new ResumeTicket(resumeKey);
  }

  get state() {
    return this.#state;
  }

  get isOpen() {
    return this.#state === State.open;
  }

  // welcome is the data of the last welcome: identity, ice_servers, …
  get welcome() {
    return this.#welcome;
  }

  // callLive(true) says a call is running over this session, until a
  // callLive(false): a dropped link is then noticed within seconds and
  // retried at once when it returns (see live).
  /** @param {boolean} on */
  callLive(on) {
    const was = this.#liveCalls > 0;
    this.#liveCalls = Math.max(0, this.#liveCalls + (on ? 1 : -1));
    if (was !== this.#liveCalls > 0 && this.isOpen) this.#startPing();
    if (on && this.#state === State.reconnecting) this.#retryNow();
  }

  get #live() {
    return this.#liveCalls > 0;
  }

  // start connects; after a refused sign-in it starts again with the
  // credentials of the new one.
  start() {
    if (this.#state !== State.closed && this.#state !== State.unauthenticated) return;
    window.addEventListener('online', this.#onOnline);
    this.#connect(State.connecting);
  }

  // close ends the connection for good; forget also drops the resume ticket
  // (logout), so the next start begins a new session.
  close({ forget = false } = {}) {
    window.removeEventListener('online', this.#onOnline);
    if (forget) this.#resume.clear();
    this.#setState(State.closed);
    this.#teardown('closed');
  }

  // on registers a handler for a server message type; it returns a function
  // that removes it.
  /**
   * @param {string} type
   * @param {(data: any, msg: any) => void} fn
   * @returns {() => void} unsubscribes
   */
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.#handlers.get(type)?.delete(fn);
  }

  // send delivers a message that needs no reply; it reports whether the
  // socket took it.
  /**
   * @param {string} type
   * @param {Record<string, any>} [data]
   */
  send(type, data = {}) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify({ type, data }));
    return true;
  }

  // request sends a message with an id and resolves with the reply's data
  // (the reply type is in .type of the resolved {type, data}).
  /**
   * @param {string} type
   * @param {Record<string, any>} [data]
   * @param {number} [timeout] ms
   * @returns {Promise<any>}
   */
  request(type, data = {}, timeout = requestTimeout) {
    if (!this.isOpen) {
      return Promise.reject(new SignalingError('offline', 'not connected'));
    }
    return this.#call(type, data, timeout);
  }

  #call(type, data, timeout) {
    const id = String(this.#nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('timeout', `${type}: no reply`));
      }, timeout);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ type, id, data }));
    });
  }

  #connect(state) {
    this.#setState(state);
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    if (this.#live) {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = setTimeout(() => {
        if (ws === this.#ws && ws.readyState === WebSocket.CONNECTING) this.#lost(ws);
      }, live.connectLimit);
    }
    ws.onopen = () => {
      clearTimeout(this.#connectTimer);
      this.#authenticate(ws);
    };
    ws.onmessage = (e) => this.#receive(ws, e.data);
    ws.onclose = () => this.#lost(ws);
    ws.onerror = () => {}; // onclose follows and decides
  }

  async #authenticate(ws) {
    const force = this.#forceRefresh;
    /** @type {Record<string, string>} */
    let creds;
    try {
      creds = this.#invitation ? { invitation: this.#invitation } : { token: await this.#getToken({ force }) };
    } catch (err) {
      this.#tokenFailed(ws, err);
      return;
    }
    if (ws !== this.#ws) return;
    const resume = this.#resume.load();
    this.#call('auth', { ...creds, ...resume }, requestTimeout).then(
      (reply) => this.#welcomed(ws, reply.data),
      (err) => this.#authRejected(ws, err, force, Boolean(resume.resume)),
    );
  }

  // authRejected decides between retrying (fresh token, no resume ticket, or
  // just later) and giving up; the server closes the socket after a refused
  // auth, and #lost schedules the retry.
  #authRejected(ws, err, forced, resumed) {
    if (ws !== this.#ws) return;
    if (err.code === 'invalid_token' && !forced && !this.#invitation) {
      this.#forceRefresh = true;
    } else if (err.code === 'invalid_token' || err.code === 'unauthenticated' || err.code === 'forbidden') {
      this.#giveUp(err);
      return;
    } else if (resumed && err.code !== 'timeout' && err.code !== 'offline') {
      this.#resume.clear(); // a ticket the server no longer accepts
    }
    ws.close();
  }

  // tokenFailed: a refused refresh token means signing in again; anything
  // else (network, server busy) is worth another try.
  #tokenFailed(ws, err) {
    if (ws !== this.#ws) return;
    if (err.code === 'unauthenticated' || err.status === 401 || err.status === 403) {
      this.#giveUp(err);
      return;
    }
    ws.close();
  }

  #giveUp(err) {
    this.#setState(State.unauthenticated);
    this.#teardown('unauthenticated');
    this.dispatchEvent(new CustomEvent('unauthenticated', { detail: err }));
  }

  #welcomed(ws, data) {
    if (ws !== this.#ws) return;
    this.#attempt = 0;
    this.#forceRefresh = false;
    this.#welcome = data;
    this.#resume.save(data.session_id, data.resume_token);
    this.#startPing();
    this.#setState(State.open);
    this.dispatchEvent(new CustomEvent('welcome', { detail: data }));
  }

  #receive(ws, raw) {
    if (ws !== this.#ws) return;
    this.#lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      console.warn('signaling: unreadable message');
      return;
    }
    if (msg.re && this.#settle(msg)) return;
    if (msg.type === 'session.replaced') {
      this.#replaced();
      return;
    }
    this.#dispatch(msg);
  }

  // settle resolves the request a reply answers; an error without a known
  // request (e.g. rate_limited) falls through to the handlers.
  #settle(msg) {
    const p = this.#pending.get(msg.re);
    if (!p) return false;
    this.#pending.delete(msg.re);
    clearTimeout(p.timer);
    if (msg.type === 'error') {
      p.reject(new SignalingError(msg.data?.code ?? 'internal', msg.data?.message));
    } else {
      p.resolve({ type: msg.type, data: msg.data ?? {} });
    }
    return true;
  }

  #dispatch(msg) {
    for (const fn of this.#handlers.get(msg.type) ?? []) {
      try {
        fn(msg.data ?? {}, msg);
      } catch (err) {
        console.error(`signaling: handler for ${msg.type}`, err);
      }
    }
  }

  #replaced() {
    this.#resume.clear();
    this.#setState(State.replaced);
    this.#teardown('replaced');
    this.dispatchEvent(new CustomEvent('replaced'));
  }

  #lost(ws) {
    if (ws !== this.#ws) return;
    this.#teardown('offline');
    if (this.#state === State.closed || this.#state === State.replaced || this.#state === State.unauthenticated) {
      return;
    }
    this.#setState(State.reconnecting);
    const delay = Math.min(this.#live ? live.backoffMax : backoffMax, backoffFirst * 2 ** this.#attempt);
    this.#attempt++;
    // Jitter spreads out the kiosks of one island when their link comes back.
    this.#retryTimer = setTimeout(() => this.#reconnect(), delay * (0.5 + Math.random() / 2));
  }

  #reconnect() {
    this.#retryTimer = 0;
    this.#connect(State.reconnecting);
  }

  #retryNow() {
    if (this.#state === State.reconnecting && this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#attempt = 0;
      this.#reconnect();
    }
  }

  #startPing() {
    clearInterval(this.#pingTimer);
    this.#lastHeard = Date.now();
    const { every, limit } = this.#live
      ? { every: live.pingEvery, limit: live.silenceLimit }
      : { every: pingEvery, limit: silenceLimit };
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastHeard > limit) {
        this.#lost(this.#ws);
        return;
      }
      this.request('ping').catch(() => {});
    }, every);
  }

  // teardown drops the socket and fails every pending request.
  #teardown(code) {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState <= WebSocket.OPEN) ws.close();
    }
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new SignalingError(code, 'connection lost'));
    }
    this.#pending.clear();
  }

  #setState(s) {
    if (this.#state === s) return;
    this.#state = s;
    this.dispatchEvent(new CustomEvent('state', { detail: s }));
  }
}

function defaultURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

// ResumeTicket keeps {resume, resume_token} from the last welcome.
class ResumeTicket {
  #key;

  constructor(key) {
    this.#key = key;
  }

  load() {
    try {
      const t = JSON.parse(sessionStorage.getItem(this.#key) || 'null');
      return t?.resume && t?.resume_token ? { resume: t.resume, resume_token: t.resume_token } : {};
    } catch {
      return {};
    }
  }

  save(sessionID, token) {
    if (!sessionID || !token) return;
    sessionStorage.setItem(this.#key, JSON.stringify({ resume: sessionID, resume_token: token }));
  }

  clear() {
    sessionStorage.removeItem(this.#key);
  }
}
