import { describe, expect, it } from 'vitest';
import { Afi } from './codec/constants.js';
import type { OpenMessage } from './codec/open.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  OPEN_HOLD_TIME_S,
  fsmStep,
  initialFsmState,
} from './fsm.js';

const config: FsmConfig = {
  local: {
    localAs: 65000,
    routerId: '192.0.2.254',
    holdTimeS: 90,
    families: [Afi.Ipv4, Afi.Ipv6],
    addPathReceive: false,
  },
  peerAs: 65001,
  passive: true,
  connectRetryS: 5,
  idleHoldS: 2,
};
const active: FsmConfig = { ...config, passive: false };

const peerOpen: OpenMessage = {
  version: 4,
  myAs: 65001,
  holdTimeS: 30,
  bgpId: '192.0.2.1',
  capabilities: [{ kind: 'four-octet-as', asn: 65001 }],
};

/** Runs events from `start`, returning the final state and every action in order. */
function run(
  cfg: FsmConfig,
  events: FsmEvent[],
  start: FsmState = initialFsmState(),
): { state: FsmState; actions: FsmAction[] } {
  let state = start;
  const actions: FsmAction[] = [];
  for (const event of events) {
    const result = fsmStep(cfg, state, event);
    state = result.next;
    actions.push(...result.actions);
  }
  return { state, actions };
}

const kinds = (actions: FsmAction[]): string[] =>
  actions
    .filter((a) => a.type !== 'stop-timer')
    .map((a) => (a.type === 'start-timer' ? `timer:${a.timer}:${a.durationMs}` : a.type));

const toEstablished: FsmEvent[] = [
  { type: 'start' },
  { type: 'tcp-connected' },
  { type: 'open', open: peerOpen },
  { type: 'keepalive' },
];

describe('BGP FSM (RFC 4271 §8)', () => {
  it('walks a passive session Idle → Active → OpenSent → OpenConfirm → Established', () => {
    const states: string[] = [];
    let state = initialFsmState();
    const all: FsmAction[] = [];
    for (const event of toEstablished) {
      const r = fsmStep(config, state, event);
      state = r.next;
      states.push(state.state);
      all.push(...r.actions);
    }
    expect(states).toEqual(['Active', 'OpenSent', 'OpenConfirm', 'Established']);
    expect(kinds(all)).toEqual([
      'send-open',
      `timer:hold:${OPEN_HOLD_TIME_S * 1000}`,
      'send-keepalive',
      'timer:hold:30000',
      'timer:keepalive:10000',
      'timer:hold:30000',
      'established',
    ]);
    expect(state.negotiated).toMatchObject({ holdTimeS: 30, keepaliveS: 10, peerAs: 65001 });
  });

  it('connects out in active mode and retries on the ConnectRetry timer', () => {
    const { state, actions } = run(active, [
      { type: 'start' },
      { type: 'tcp-failed', reason: 'ECONNREFUSED' },
      { type: 'timer', timer: 'connectRetry' },
    ]);
    expect(state.state).toBe('Connect');
    expect(kinds(actions)).toEqual([
      'timer:connectRetry:5000',
      'connect',
      'close',
      'timer:connectRetry:5000',
      'close',
      'timer:connectRetry:5000',
      'connect',
    ]);
  });

  it('sends KEEPALIVEs on its timer and restarts the hold timer on traffic', () => {
    const up = run(config, toEstablished).state;
    expect(kinds(fsmStep(config, up, { type: 'timer', timer: 'keepalive' }).actions)).toEqual([
      'send-keepalive',
      'timer:keepalive:10000',
    ]);
    expect(kinds(fsmStep(config, up, { type: 'update' }).actions)).toEqual(['timer:hold:30000']);
    expect(kinds(fsmStep(config, up, { type: 'keepalive' }).actions)).toEqual(['timer:hold:30000']);
  });

  it('runs no timers when the negotiated hold time is 0', () => {
    const { state, actions } = run(config, [
      { type: 'start' },
      { type: 'tcp-connected' },
      { type: 'open', open: { ...peerOpen, holdTimeS: 0 } },
      { type: 'keepalive' },
    ]);
    expect(state.state).toBe('Established');
    expect(
      kinds(actions).filter((k) => k.startsWith('timer:') && !k.includes(String(OPEN_HOLD_TIME_S * 1000))),
    ).toEqual([]);
    expect(fsmStep(config, state, { type: 'timer', timer: 'keepalive' }).actions).toEqual([]);
  });

  it('sends Hold Timer Expired and goes down when the hold timer fires', () => {
    const up = run(config, toEstablished).state;
    const r = fsmStep(config, up, { type: 'timer', timer: 'hold' });
    expect(r.next.state).toBe('Active');
    expect(r.actions).toContainEqual({
      type: 'send-notification',
      message: { code: 4, subcode: 0, data: new Uint8Array(0) },
    });
    const down = r.actions.find((a) => a.type === 'down');
    expect(down).toMatchObject({ reason: { code: 'BGP_ERR_HOLD_TIMER_EXPIRED', wasEstablished: true } });
  });

  it('answers a bad OPEN with its NOTIFICATION', () => {
    const r = run(config, [
      { type: 'start' },
      { type: 'tcp-connected' },
      { type: 'open', open: { ...peerOpen, holdTimeS: 2 } },
    ]);
    expect(r.actions).toContainEqual({
      type: 'send-notification',
      message: { code: 2, subcode: 6, data: new Uint8Array(0) },
    });
    expect(r.state.state).toBe('Active');
  });

  it.each([
    ['an UPDATE in OpenSent', [{ type: 'start' }, { type: 'tcp-connected' }, { type: 'update' }], 1],
    [
      'an UPDATE in OpenConfirm',
      [{ type: 'start' }, { type: 'tcp-connected' }, { type: 'open', open: peerOpen }, { type: 'update' }],
      2,
    ],
    ['an OPEN in Established', [...toEstablished, { type: 'open', open: peerOpen }], 3],
  ] as [string, FsmEvent[], number][])(
    'answers %s with an FSM Error (RFC 6608)',
    (_name, events, subcode) => {
      const { actions } = run(config, events);
      expect(actions).toContainEqual({
        type: 'send-notification',
        message: { code: 5, subcode, data: new Uint8Array(0) },
      });
    },
  );

  it('goes down without sending on a received NOTIFICATION, reading its shutdown communication', () => {
    const up = run(config, toEstablished).state;
    const r = fsmStep(config, up, {
      type: 'notification',
      message: { code: 6, subcode: 2, data: Uint8Array.from([3, 0x62, 0x79, 0x65]) },
    });
    expect(r.actions.some((a) => a.type === 'send-notification')).toBe(false);
    expect(r.actions.find((a) => a.type === 'down')).toMatchObject({
      reason: {
        code: 'BGP_ERR_PEER_NOTIFICATION',
        message: 'peer sent NOTIFICATION 6/2: bye',
        notification: { direction: 'received' },
      },
    });
  });

  it('reports a lost connection as such, so graceful restart can keep the routes', () => {
    const r = fsmStep(config, run(config, toEstablished).state, { type: 'tcp-failed', reason: 'reset' });
    expect(r.actions.find((a) => a.type === 'down')).toMatchObject({
      reason: { code: 'BGP_ERR_CONNECTION_LOST', wasEstablished: true },
    });
    expect(r.next.state).toBe('Active');
  });

  it('stops with an Administrative Shutdown carrying the message, and stays down', () => {
    const r = fsmStep(config, run(config, toEstablished).state, { type: 'stop', shutdownMessage: 'bye' });
    expect(r.actions).toContainEqual({
      type: 'send-notification',
      message: { code: 6, subcode: 2, data: Uint8Array.from([3, 0x62, 0x79, 0x65]) },
    });
    expect(r.next).toEqual({ state: 'Idle', enabled: false });
    expect(fsmStep(config, r.next, { type: 'tcp-connected' }).actions).toEqual([{ type: 'close' }]);
    expect(fsmStep(config, r.next, { type: 'timer', timer: 'idleHold' }).actions).toEqual([]);
  });

  it('waits out the idle hold after a failure in active mode, then connects again', () => {
    const up = run(active, [
      { type: 'start' },
      { type: 'tcp-connected' },
      { type: 'open', open: peerOpen },
      { type: 'keepalive' },
    ]).state;
    const down = fsmStep(active, up, { type: 'tcp-failed', reason: 'reset' });
    expect(down.next.state).toBe('Idle');
    expect(kinds(down.actions)).toContain('timer:idleHold:2000');
    const again = fsmStep(active, down.next, { type: 'timer', timer: 'idleHold' });
    expect(again.next.state).toBe('Connect');
    expect(kinds(again.actions)).toContain('connect');
  });

  it('ignores events that mean nothing in a state', () => {
    const idle = initialFsmState();
    for (const event of [
      { type: 'keepalive' },
      { type: 'update' },
      { type: 'timer', timer: 'hold' },
      { type: 'notification', message: { code: 6, subcode: 0, data: new Uint8Array(0) } },
    ] as FsmEvent[]) {
      expect(fsmStep(config, idle, event)).toEqual({ next: idle, actions: [] });
    }
  });
});
