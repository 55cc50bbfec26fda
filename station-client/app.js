// @ts-check
// The station kiosk: wires the session, the signaling connection, the
// catalog browser, the call flow, what follows a call and the case status
// lookup to the screens.

import { $, Screens } from '/lib/dom.js';
import { I18n } from '/lib/i18n.js';
import { Session } from '/lib/session.js';
import { Shell } from '/lib/shell.js';
import { Signaling, State } from '/lib/signaling.js';
import { AfterCall } from './aftercall.js';
import { Booking, addBookingMessages } from './booking.js';
import { CatalogBrowser } from './catalog.js';
import { StationCall } from './calling.js';
import { Heartbeat } from './heartbeat.js';
import { Inactivity } from './inactivity.js';
import { CaseLookup } from './lookup.js';
import { KioskGuests, addGuestMessages } from './guests.js';
import { CallParties, addPartiesMessages } from './parties.js';
import { keepAppOffline } from './offline.js';
import { SelfCheck } from './selfcheck.js';
import { kioskSettings } from './settings.js';
import { messages } from './strings.js';
import { TicketBoard } from './tickets.js';

// Screens a resident may walk away from; they fall back to idle. The idle
// screen itself only falls back to Chinese.
const leavableScreens = new Set(['green', 'categories', 'items', 'detail', 'camera-problem', 'notice', 'lookup', 'helper-pin', 'selfcheck', 'booking', 'booking-manage']);

addBookingMessages(messages);
addPartiesMessages(messages);
addGuestMessages(messages);

class Kiosk {
  settings = kioskSettings();
  i18n = new I18n(messages, 'zh');
  screens = new Screens();
  session = new Session({ storage: localStorage, key: 'cloudwindow.station.credentials' });
  // Only station device accounts run a kiosk; each resident starts in Chinese.
  shell = new Shell({ i18n: this.i18n, screens: this.screens, session: this.session, allows: (role) => role === 'station' });
  signaling = new Signaling({
    getToken: (opts) => this.session.token(opts),
    resumeKey: 'cloudwindow.station.resume',
  });
  catalog = new CatalogBrowser({ session: this.session, i18n: this.i18n, screens: this.screens });
  call = new StationCall({
    signaling: this.signaling,
    session: this.session,
    i18n: this.i18n,
    screens: this.screens,
    documentCamera: this.settings.documentCamera,
    camera: this.settings.camera,
  });
  parties = new CallParties({ signaling: this.signaling, i18n: this.i18n, call: this.call });
  guests = new KioskGuests({ signaling: this.signaling, i18n: this.i18n });
  afterCall = new AfterCall({ signaling: this.signaling, session: this.session, i18n: this.i18n, screens: this.screens });
  lookup = new CaseLookup({ session: this.session, i18n: this.i18n, screens: this.screens });
  booking = new Booking({ session: this.session, i18n: this.i18n, screens: this.screens });
  selfCheck = new SelfCheck({
    session: this.session,
    signaling: this.signaling,
    i18n: this.i18n,
    screens: this.screens,
    documentCamera: this.settings.documentCamera,
    camera: this.settings.camera,
  });
  tickets = new TicketBoard({
    signaling: this.signaling,
    i18n: this.i18n,
    screens: this.screens,
    busy: () => this.call.active || this.afterCall.active,
  });
  heartbeat = new Heartbeat({ signaling: this.signaling, documentCamera: this.settings.documentCamera });
  inactivity = new Inactivity({ timeoutMs: this.settings.idleTimeoutMs, onIdle: () => this.#timedOut() });
  // offlineReady tells support (and the browser tests) that this kiosk can
  // start without the server.
  offlineReady = false;
  #large = false;

  start() {
    this.#wireControls();
    this.#wireSignaling();
    this.shell.start();
    this.#startClock();
    // A kiosk starts unattended (after a power cut, a reboot, a reload): with
    // stored credentials it connects by itself and shows its first screen.
    if (this.session.hasCredentials) {
      this.screens.show('loading');
      this.signaling.start();
    } else {
      this.screens.show('login');
    }
    keepAppOffline().then((ok) => {
      this.offlineReady = ok;
    });
  }

  // largeText turns 大字 on or off: one touch for the resident in front of
  // the kiosk, until the kiosk is left alone.
  largeText(on) {
    this.#large = on;
    document.documentElement.classList.toggle('large-text', on);
    $('#large-text').setAttribute('aria-pressed', String(on));
  }

  home() {
    this.afterCall.leave();
    if (this.call.active || this.tickets.show()) return;
    this.screens.show('idle');
  }

  #wireControls() {
    this.shell.onLogin(() => this.#login());
    $('#start').addEventListener('click', () => this.catalog.start(''));
    $('#start-green').addEventListener('click', () => this.screens.show('green'));
    $('#start-lookup').addEventListener('click', () => this.lookup.start());
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-green]'))) {
      b.addEventListener('click', () => this.catalog.start(b.dataset.green));
    }
    $('#large-text').addEventListener('click', () => this.largeText(!this.#large));
    document.addEventListener('click', (e) => this.#navigate(/** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('[data-action]'))?.dataset.action));
    this.catalog.addEventListener('call', (/** @type {CustomEvent} */ e) => this.call.begin(e.detail.item, e.detail.green));
    this.call.addEventListener('done', () => this.home());
    this.call.addEventListener('ended', (/** @type {CustomEvent} */ e) => this.afterCall.begin(e.detail.call, e.detail.reason));
    this.afterCall.addEventListener('done', () => this.home());
    $('#ticket-button').addEventListener('click', () => this.catalog.item && this.tickets.take(this.catalog.item, this.catalog.green));
    this.tickets.addEventListener('take', () => this.catalog.start(''));
    this.tickets.addEventListener('empty', () => this.home());
    this.booking.addEventListener('call', (/** @type {CustomEvent} */ e) => this.call.begin(e.detail.item, '', e.detail.appointmentId));
    this.booking.addEventListener('home', () => this.home());
    this.screens.addEventListener('change', (/** @type {CustomEvent} */ e) => {
      if (leavableScreens.has(e.detail) || e.detail === 'idle') this.inactivity.arm();
      else this.inactivity.disarm();
    });
  }

  #navigate(action) {
    switch (action) {
      case 'home':
        this.home();
        break;
      case 'categories':
        this.catalog.showCategories();
        break;
      case 'back-to-items':
        this.catalog.showItems();
        break;
    }
  }

  #wireSignaling() {
    const sig = this.signaling;
    sig.addEventListener('welcome', (/** @type {CustomEvent} */ e) => this.#welcomed(e.detail));
    sig.addEventListener('state', (/** @type {CustomEvent} */ e) => this.#renderConnection(e.detail));
    sig.addEventListener('unauthenticated', () => {
      this.session.forget();
      this.#signedOut();
    });
    sig.addEventListener('replaced', () => this.shell.banner('net.replaced', true));
  }

  // signedOut: the stored device sign-in was refused (account disabled or
  // password reset). Nobody but the helper can fix it, so the screen says
  // so instead of retrying.
  #signedOut() {
    $('#login-notice').hidden = false;
    this.screens.show('login');
  }

  #welcomed(w) {
    $('#station-name').textContent = w.identity?.display_name ?? '';
    if (w.identity?.role && w.identity.role !== 'station') {
      this.signaling.close({ forget: true });
      this.shell.refuse();
      return;
    }
    const first = this.screens.current === 'loading' || this.screens.current === 'login';
    this.call.resume(w);
    this.tickets.refresh();
    if (first && !this.call.active && this.screens.current !== 'notice') this.screens.show('idle');
    this.catalog.refresh().catch(() => {});
    this.booking.start();
  }

  async #login() {
    if (!(await this.shell.signIn())) return;
    $('#login-notice').hidden = true;
    this.screens.show('loading');
    this.signaling.start();
  }

  // renderConnection: a kiosk that is still starting says plainly that it
  // is connecting (and keeps trying); one in use shows a banner.
  #renderConnection(state) {
    const starting = this.screens.current === 'loading';
    if (starting) this.#loadingText(state === State.reconnecting ? 'loading.connecting' : 'loading');
    if (state === State.reconnecting && !starting) this.shell.banner('net.reconnecting');
    else if (state === State.open) this.shell.banner('');
  }

  #loadingText(key) {
    const p = $('#loading-text');
    p.dataset.i18n = key;
    p.textContent = this.i18n.t(key);
  }

  #startClock() {
    const fmt = () => {
      const locale = this.i18n.lang === 'zh' ? 'zh-CN' : 'en-GB';
      const now = new Date();
      const date = now.toLocaleDateString(locale, { month: 'long', day: 'numeric', weekday: 'long' });
      const time = now.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
      $('#clock-date').textContent = date;
      $('#clock-time').textContent = time;
    };
    fmt();
    setInterval(fmt, 10_000);
    this.i18n.addEventListener('change', fmt);
  }

  // timedOut: the resident walked away; the next one starts fresh, in Chinese.
  #timedOut() {
    if (this.call.active || this.afterCall.active) return;
    this.i18n.setLang('zh');
    this.largeText(false);
    if (leavableScreens.has(this.screens.current)) this.home();
  }
}

const kiosk = new Kiosk();
// Reachable from DevTools for support and from the browser tests.
/** @type {any} */ (window).cloudWindow = kiosk;
kiosk.start();
