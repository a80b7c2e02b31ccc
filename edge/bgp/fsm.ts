/**
 * The BGP finite state machine of RFC 4271 §8 as a pure function: (state, event) -> (state,
 * actions). The session shell owns the socket and the timers and carries the actions out.
 * Simplifications, all allowed by §8: no DelayOpen, no collision detection (one connection per
 * neighbor, see the shell), and a passive neighbor returns to Active at once after a failure
 * instead of waiting in Idle (it never connects out, so there is no oscillation to damp).
 */
import { CeaseSubcode, ErrorCode, FsmSubcode } from './codec/constants.js';
import { type LocalSettings, type Negotiated, negotiate } from './codec/negotiate.js';
import type { NotificationMessage } from './codec/notification.js';
import { shutdownCommunication, shutdownData } from './codec/notification.js';
import type { OpenMessage } from './codec/open.js';
import type { ProtocolError } from './codec/result.js';
import { BgpErrorCode } from './errors.js';

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold';

export interface FsmConfig {
  local: LocalSettings;
  peerAs: number;
  /** Wait for the peer to connect; never connect out. */
  passive: boolean;
  /** ConnectRetryTime in seconds (RFC 4271 §10 suggests 120). */
  connectRetryS: number;
  /** Wait in Idle before an active neighbor reconnects after a failure, in seconds. */
  idleHoldS: number;
}

/** RFC 4271 §8.2.2: the hold timer while waiting for the peer's OPEN is "a large value", 4 minutes suggested. */
export const OPEN_HOLD_TIME_S = 240;

export interface FsmState {
  state: SessionState;
  negotiated?: Negotiated;
  /** Cleared by a manual stop: then nothing restarts the session. */
  enabled: boolean;
}

export type FsmEvent =
  | { type: 'start' }
  | { type: 'stop'; shutdownMessage?: string }
  | { type: 'timer'; timer: TimerName }
  | { type: 'tcp-connected' }
  | { type: 'tcp-failed'; reason: string }
  | { type: 'open'; open: OpenMessage }
  | { type: 'keepalive' }
  | { type: 'update' }
  | { type: 'route-refresh' }
  | { type: 'notification'; message: NotificationMessage }
  /** A decoding error, or a decision of the shell (max-prefix): send this NOTIFICATION and close. */
  | { type: 'error'; error: ProtocolError; code: BgpErrorCode };

export interface DownReason {
  code: BgpErrorCode;
  message: string;
  /** The NOTIFICATION that ended the session, and who sent it. */
  notification?: NotificationMessage & { direction: 'sent' | 'received' };
  /** The session had reached Established. */
  wasEstablished: boolean;
}

export type FsmAction =
  | { type: 'connect' }
  | { type: 'close' }
  | { type: 'send-open' }
  | { type: 'send-keepalive' }
  | { type: 'send-notification'; message: NotificationMessage }
  | { type: 'start-timer'; timer: TimerName; durationMs: number }
  | { type: 'stop-timer'; timer: TimerName }
  | { type: 'established'; negotiated: Negotiated }
  | { type: 'down'; reason: DownReason };

export interface FsmResult {
  next: FsmState;
  actions: FsmAction[];
}

export function initialFsmState(): FsmState {
  return { state: 'Idle', enabled: false };
}

const ALL_TIMERS: readonly TimerName[] = ['connectRetry', 'hold', 'keepalive', 'idleHold'];
const stopTimers = (): FsmAction[] => ALL_TIMERS.map((timer) => ({ type: 'stop-timer', timer }));
const timer = (name: TimerName, seconds: number): FsmAction => ({
  type: 'start-timer',
  timer: name,
  durationMs: seconds * 1000,
});

/** Where a session goes after a failure: passive waits in Active, active waits out the idle hold. */
function afterFailure(
  config: FsmConfig,
  current: FsmState,
  reason: DownReason,
  sent?: NotificationMessage,
): FsmResult {
  const actions: FsmAction[] = [];
  if (sent) actions.push({ type: 'send-notification', message: sent });
  actions.push({ type: 'close' }, ...stopTimers(), { type: 'down', reason });
  if (!current.enabled) return { next: { state: 'Idle', enabled: false }, actions };
  if (config.passive) return { next: { state: 'Active', enabled: true }, actions };
  actions.push(timer('idleHold', config.idleHoldS));
  return { next: { state: 'Idle', enabled: true }, actions };
}

function notify(
  config: FsmConfig,
  current: FsmState,
  message: NotificationMessage,
  code: BgpErrorCode,
  text: string,
): FsmResult {
  return afterFailure(
    config,
    current,
    {
      code,
      message: text,
      notification: { ...message, direction: 'sent' },
      wasEstablished: current.state === 'Established',
    },
    message,
  );
}

const fsmError = (subcode: number): NotificationMessage => ({
  code: ErrorCode.Fsm,
  subcode,
  data: new Uint8Array(0),
});

const UNEXPECTED_SUBCODE: Partial<Record<SessionState, number>> = {
  OpenSent: FsmSubcode.UnexpectedInOpenSent,
  OpenConfirm: FsmSubcode.UnexpectedInOpenConfirm,
  Established: FsmSubcode.UnexpectedInEstablished,
};

/** The state machine's step. Events that mean nothing in a state are ignored (no actions). */
export function fsmStep(config: FsmConfig, current: FsmState, event: FsmEvent): FsmResult {
  const s = current.state;
  const same: FsmResult = { next: current, actions: [] };
  const connected = s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established';

  switch (event.type) {
    case 'start':
      if (s !== 'Idle') return { next: { ...current, enabled: true }, actions: [] };
      return startFromIdle(config);
    case 'stop': {
      if (!connected) {
        return { next: { state: 'Idle', enabled: false }, actions: [{ type: 'close' }, ...stopTimers()] };
      }
      // RFC 4486 §4 Administrative Shutdown, with the RFC 8203 / RFC 9003 communication.
      const message: NotificationMessage = {
        code: ErrorCode.Cease,
        subcode: CeaseSubcode.AdministrativeShutdown,
        data: event.shutdownMessage ? shutdownData(event.shutdownMessage) : new Uint8Array(0),
      };
      return notify(
        config,
        { ...current, enabled: false },
        message,
        BgpErrorCode.AdminShutdown,
        event.shutdownMessage ?? 'administrative shutdown',
      );
    }
    case 'timer':
      return onTimer(config, current, event.timer);
    case 'tcp-connected':
      if (s === 'Idle') return { next: current, actions: [{ type: 'close' }] };
      if (s === 'Connect' || s === 'Active') {
        return {
          next: { state: 'OpenSent', enabled: current.enabled },
          actions: [
            { type: 'stop-timer', timer: 'connectRetry' },
            { type: 'send-open' },
            timer('hold', OPEN_HOLD_TIME_S),
          ],
        };
      }
      return same;
    case 'tcp-failed':
      if (s === 'Connect' || s === 'Active') {
        if (config.passive)
          return { next: { state: 'Active', enabled: current.enabled }, actions: [{ type: 'close' }] };
        return {
          next: { state: 'Active', enabled: current.enabled },
          actions: [{ type: 'close' }, timer('connectRetry', config.connectRetryS)],
        };
      }
      if (!connected) return same;
      return afterFailure(config, current, {
        code: BgpErrorCode.ConnectionLost,
        message: event.reason,
        wasEstablished: s === 'Established',
      });
    case 'open': {
      if (s !== 'OpenSent') {
        if (!connected) return same;
        return notify(
          config,
          current,
          fsmError(UNEXPECTED_SUBCODE[s] ?? 0),
          BgpErrorCode.MalformedMessage,
          `OPEN in ${s}`,
        );
      }
      const result = negotiate(config.local, config.peerAs, event.open);
      if (!result.ok) {
        const { code, subcode, data, reason } = result.error;
        return notify(config, current, { code, subcode, data }, BgpErrorCode.MalformedMessage, reason);
      }
      const n = result.value;
      const actions: FsmAction[] = [{ type: 'send-keepalive' }];
      if (n.holdTimeS > 0) actions.push(timer('hold', n.holdTimeS), timer('keepalive', n.keepaliveS));
      else actions.push({ type: 'stop-timer', timer: 'hold' });
      return { next: { state: 'OpenConfirm', enabled: current.enabled, negotiated: n }, actions };
    }
    case 'keepalive':
      if (s === 'OpenConfirm') {
        const n = current.negotiated!;
        const actions: FsmAction[] = [];
        if (n.holdTimeS > 0) actions.push(timer('hold', n.holdTimeS));
        actions.push({ type: 'established', negotiated: n });
        return { next: { ...current, state: 'Established' }, actions };
      }
      return onTraffic(config, current, 'KEEPALIVE');
    case 'update':
    case 'route-refresh':
      return onTraffic(config, current, event.type === 'update' ? 'UPDATE' : 'ROUTE-REFRESH');
    case 'notification': {
      if (!connected) return same;
      const communication = shutdownCommunication(event.message);
      const text =
        communication.kind === 'message'
          ? `peer sent NOTIFICATION ${event.message.code}/${event.message.subcode}: ${communication.text}`
          : `peer sent NOTIFICATION ${event.message.code}/${event.message.subcode}`;
      return afterFailure(config, current, {
        code: BgpErrorCode.PeerNotification,
        message: text,
        notification: { ...event.message, direction: 'received' },
        wasEstablished: s === 'Established',
      });
    }
    case 'error': {
      if (!connected) return same;
      const { code, subcode, data, reason } = event.error;
      return notify(config, current, { code, subcode, data }, event.code, reason);
    }
  }
}

function startFromIdle(config: FsmConfig): FsmResult {
  if (config.passive)
    return { next: { state: 'Active', enabled: true }, actions: [{ type: 'stop-timer', timer: 'idleHold' }] };
  return {
    next: { state: 'Connect', enabled: true },
    actions: [
      { type: 'stop-timer', timer: 'idleHold' },
      timer('connectRetry', config.connectRetryS),
      { type: 'connect' },
    ],
  };
}

function onTimer(config: FsmConfig, current: FsmState, name: TimerName): FsmResult {
  const s = current.state;
  switch (name) {
    case 'idleHold':
      return s === 'Idle' && current.enabled ? startFromIdle(config) : { next: current, actions: [] };
    case 'connectRetry':
      if (config.passive || (s !== 'Connect' && s !== 'Active')) return { next: current, actions: [] };
      // RFC 4271 §8.2.2: drop the attempt in progress, try again, restart the timer.
      return {
        next: { ...current, state: 'Connect' },
        actions: [{ type: 'close' }, timer('connectRetry', config.connectRetryS), { type: 'connect' }],
      };
    case 'hold':
      if (s !== 'OpenSent' && s !== 'OpenConfirm' && s !== 'Established')
        return { next: current, actions: [] };
      return notify(
        config,
        current,
        { code: ErrorCode.HoldTimerExpired, subcode: 0, data: new Uint8Array(0) },
        BgpErrorCode.HoldTimerExpired,
        'no message from the peer within the hold time',
      );
    case 'keepalive': {
      const n = current.negotiated;
      if ((s !== 'OpenConfirm' && s !== 'Established') || !n || n.keepaliveS === 0)
        return { next: current, actions: [] };
      return { next: current, actions: [{ type: 'send-keepalive' }, timer('keepalive', n.keepaliveS)] };
    }
  }
}

/** KEEPALIVE, UPDATE or ROUTE-REFRESH: restarts the hold timer in Established, an FSM error before. */
function onTraffic(config: FsmConfig, current: FsmState, what: string): FsmResult {
  const s = current.state;
  if (s === 'Established') {
    const hold = current.negotiated?.holdTimeS ?? 0;
    return { next: current, actions: hold > 0 ? [timer('hold', hold)] : [] };
  }
  if (s === 'OpenSent' || s === 'OpenConfirm') {
    // RFC 6608 §4: an unexpected message gets an FSM Error naming the state.
    return notify(
      config,
      current,
      fsmError(UNEXPECTED_SUBCODE[s] ?? 0),
      BgpErrorCode.MalformedMessage,
      `${what} in ${s}`,
    );
  }
  return { next: current, actions: [] };
}
