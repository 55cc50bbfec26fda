// @ts-check
// The agent console: wires the session, the signaling connection, the state
// bar, the ringing offer, the call and the wrap-up to the screens, and keeps
// the agent's place across reconnects and page reloads. Supervisors and
// admins who sign in here get the supervisor view instead.

import { $, Screens } from '/lib/dom.js';
import { I18n } from '/lib/i18n.js';
import { Session } from '/lib/session.js';
import { Shell, fillLoginScreen } from '/lib/shell.js';
import { Signaling, State } from '/lib/signaling.js';
import { AgentCall } from './incall.js';
import { AgentCollab } from './collab.js';
import { collabMessages } from './collab-strings.js';
import { AgentGuests, guestMessages } from './guests.js';
import { OfferPanel } from './offer.js';
// Overseers get the supervisor view (wallboard, live calls, 监看).
import { credentialsKey, langKey, overseerRoles } from './pageshell.js';
import { StateBar } from './statebar.js';
import { messages } from './strings.js';
import { SupervisorView } from './supervisor.js';
import { supervisorMessages } from './supervisor-strings.js';
import { UnfinishedCases } from './unfinished.js';
import { FollowUpBooking } from './followup.js';
import { WrapUp } from './wrapup.js';

const texts = {
  zh: { ...messages.zh, ...supervisorMessages.zh, ...collabMessages.zh, ...guestMessages.zh },
  en: { ...messages.en, ...supervisorMessages.en, ...collabMessages.en, ...guestMessages.en },
};

class Console {
  i18n = new I18n(texts, Shell.savedLang(langKey));
  screens = new Screens();
  session = new Session({ storage: sessionStorage, key: credentialsKey });
  // Station devices have the kiosk; everyone else signs in here.
  shell = new Shell({ i18n: this.i18n, screens: this.screens, session: this.session, allows: (role) => role !== 'station', langKey });
  signaling = new Signaling({
    getToken: (opts) => this.session.token(opts),
    resumeKey: 'cloudwindow.console.resume',
  });
  stateBar = new StateBar({ signaling: this.signaling, i18n: this.i18n });
  offer = new OfferPanel({ signaling: this.signaling, i18n: this.i18n });
  call = new AgentCall({ signaling: this.signaling, i18n: this.i18n, session: this.session });
  collab = new AgentCollab({ signaling: this.signaling, i18n: this.i18n, call: this.call });
  guests = new AgentGuests({ signaling: this.signaling, i18n: this.i18n, call: this.call });
  wrapup = new WrapUp({ signaling: this.signaling, session: this.session, i18n: this.i18n });
  followUp = new FollowUpBooking({ session: this.session, i18n: this.i18n, wrapup: this.wrapup });
  unfinished = new UnfinishedCases({ session: this.session, i18n: this.i18n });
  supervisor = new SupervisorView({ signaling: this.signaling, i18n: this.i18n, session: this.session });
  #role = '';
  #missed = false;

  start() {
    fillLoginScreen();
    this.#wireControls();
    this.#wireParts();
    this.#wireSignaling();
    this.shell.start();
    if (this.session.hasCredentials) {
      this.signaling.start();
    } else {
      this.screens.show('login');
    }
  }

  #wireControls() {
    this.shell.onLogin(() => this.#login());
    this.shell.onLogout(() => this.#logout());
    this.i18n.addEventListener('change', () => this.#renderDesk());
    // Browsers start audio only after a click; any click will do.
    const unlock = () => {
      this.offer.ringer.unlock();
      setTimeout(() => this.#renderDesk(), 100);
    };
    window.addEventListener('pointerdown', unlock, { capture: true });
    window.addEventListener('keydown', (e) => this.#shortcut(e));
  }

  #wireParts() {
    this.stateBar.addEventListener('status', (/** @type {CustomEvent} */ e) => this.#statusChanged(e.detail));
    this.stateBar.addEventListener('failed', (/** @type {CustomEvent} */ e) => this.shell.toast(this.i18n.t('state.failed', { message: e.detail.message })));
    this.offer.addEventListener('change', (/** @type {CustomEvent} */ e) => this.stateBar.lock(e.detail));
    this.offer.addEventListener('accepted', (/** @type {CustomEvent} */ e) => this.call.start(e.detail));
    this.offer.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.shell.toast(e.detail));
    this.offer.addEventListener('missed', () => {
      this.#missed = true;
      this.#renderDesk();
    });
    this.call.addEventListener('started', () => this.#route());
    this.call.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.shell.toast(e.detail));
    this.call.addEventListener('ended', (/** @type {CustomEvent} */ e) => {
      this.wrapup.begin(e.detail);
      this.#route();
    });
    this.wrapup.addEventListener('done', () => {
      this.#route();
      this.#loadUnfinished();
    });
    this.wrapup.addEventListener('cancel', () => this.#route());
    this.unfinished.addEventListener('pick', (/** @type {CustomEvent} */ e) => {
      this.wrapup.beginCase(e.detail.case, e.detail.materials);
      this.#route();
    });
    this.collab.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.shell.toast(e.detail));
    this.guests.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.shell.toast(e.detail));
    this.supervisor.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.shell.toast(e.detail));
  }

  #wireSignaling() {
    const sig = this.signaling;
    sig.addEventListener('welcome', (/** @type {CustomEvent} */ e) => this.#welcomed(e.detail));
    sig.addEventListener('state', (/** @type {CustomEvent} */ e) => this.#renderConnection(e.detail));
    sig.addEventListener('unauthenticated', () => this.#signedOut());
    sig.addEventListener('replaced', () => this.shell.banner('net.replaced', true));
  }

  // welcomed reconciles the page with the session the server holds.
  #welcomed(w) {
    const id = w.identity ?? {};
    if (id.role === 'station') {
      this.signaling.close({ forget: true });
      this.shell.refuse();
      return;
    }
    this.#role = id.role;
    $('#agent-name').textContent = id.display_name || id.username || '';
    $('#agent-state-bar').hidden = id.role !== 'agent';
    // The supervisor view has the queue figures on its wallboard.
    $('#queue-stats').hidden = this.#overseer;
    $('#logout').hidden = false;
    if (this.#overseer) this.supervisor.start(w);
    // 未结办件 sit on an agent's desk, and under a supervisor's live calls.
    $(this.#overseer ? '.sv-body' : '[data-screen="desk"]').append($('#unfinished'));
    if (!w.resumed) this.offer.clear();
    if (w.agent_state) this.stateBar.setStatus({ state: w.agent_state, reason: this.#keptReason(w) });
    this.#resumeCall(w);
    if (w.agent_state && !w.call) this.call.standBy(w.agent_state, Boolean(w.standby));
    this.#route();
    this.#loadUnfinished();
  }

  // loadUnfinished lists the unfinished cases (an agent's own, everyone's
  // for supervisors), but for the call whose wrap-up form is open.
  #loadUnfinished() {
    if (this.#role === 'agent' || this.#overseer) this.unfinished.load(this.wrapup.callID, { showAgent: this.#overseer });
  }

  // keptReason: welcome carries the state without its reason; a resumed
  // session keeps the 小休/示忙 choice the page already showed.
  #keptReason(w) {
    const s = this.stateBar.status;
    return w.resumed && s.state === w.agent_state ? s.reason : '';
  }

  #resumeCall(w) {
    if (w.call) {
      if (this.call.data?.call_id === w.call.call_id && w.resumed) {
        if (w.call.moved) this.call.start(w.call);
        else this.call.signalingResumed();
      } else {
        this.call.drop();
        this.call.start(w.call);
      }
      return;
    }
    this.call.drop();
    if (w.agent_state === 'wrap_up' && !this.wrapup.open) this.wrapup.restore();
    if (w.agent_state && w.agent_state !== 'wrap_up' && this.wrapup.open) this.wrapup.close();
  }

  #statusChanged(s) {
    if (s.state === 'wrap_up') {
      this.wrapup.setDeadline(s.wrapupDeadlineS);
    } else if (s.state !== 'busy' && this.wrapup.open) {
      this.wrapup.close(); // the server ended wrap-up by its timeout
    }
    if (s.state === 'ready') this.#missed = false;
    this.call.standBy(s.state);
    this.#route();
  }

  get #overseer() {
    return overseerRoles.includes(this.#role);
  }

  #route() {
    if (this.#overseer) {
      this.screens.show(this.wrapup.editingCase ? 'wrapup' : 'supervise');
      return;
    }
    let screen = 'desk';
    if (this.call.active) screen = 'call';
    else if (this.wrapup.open || this.wrapup.editingCase) screen = 'wrapup';
    this.screens.show(screen);
    this.#renderDesk();
  }

  #renderDesk() {
    if (this.#role && this.#role !== 'agent') {
      $('#desk-state').textContent = this.i18n.t('desk.supervisor');
      $('#desk-hint').textContent = this.i18n.t('desk.supervisor_hint');
      $('#enable-sound').hidden = true;
      return;
    }
    const choice = this.stateBar.choice || 'not_ready';
    $('#desk-state').textContent = this.i18n.t(`desk.${choice}`);
    $('#desk-state').dataset.state = choice;
    let hint = choice === 'ready' ? 'desk.ready_hint' : 'desk.not_ready_hint';
    if (this.#missed && choice !== 'ready') hint = 'desk.missed';
    $('#desk-hint').textContent = this.i18n.t(hint);
    $('#enable-sound').hidden = !this.offer.ringer.blocked;
  }

  #shortcut(e) {
    const keys = {
      F8: () => this.offer.accept(),
      F7: () => this.offer.reject(),
      F9: () => this.call.hangup(),
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }

  async #login() {
    this.offer.ringer.unlock();
    if (!(await this.shell.signIn())) return;
    this.screens.show('loading');
    this.signaling.start();
  }

  async #logout() {
    if (this.call.active) return;
    await this.supervisor.stop();
    this.signaling.close({ forget: true });
    await this.session.logout();
    this.#signedOut();
  }

  #signedOut() {
    this.#role = '';
    this.supervisor.drop();
    this.offer.clear();
    this.call.drop();
    this.wrapup.close();
    this.unfinished.clear();
    $('#agent-state-bar').hidden = true;
    $('#queue-stats').hidden = true;
    this.shell.signedOut();
  }

  #renderConnection(state) {
    if (state === State.reconnecting) this.shell.banner('net.reconnecting');
    else if (state === State.open) this.shell.banner('');
  }
}

const app = new Console();
// Reachable from DevTools for support and from the browser tests.
/** @type {any} */ (window).cloudWindow = app;
app.start();
