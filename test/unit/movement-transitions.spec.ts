import { DomainError } from '@common/errors/domain-error';
import { isSwiftReference } from '@modules/money-movements/end-to-end-ref';
import { canTransition, MOVEMENT_EVENTS, MOVEMENT_STATES, MovementEvent, MovementState, transition } from '@modules/money-movements/movement-state-machine';

// The whole transition table, written out once more by hand: every (state, event) pair, so that
// adding or dropping a `from` state is a visible change here (found by `npm run test:mutation`).
const LIVE = ['pending', 'queued', 'sent'] as const;
const EXPECTED: Record<MovementEvent, { from: readonly MovementState[]; to: MovementState }> = {
  wait_for_endpoint: { from: ['pending'], to: 'queued' },
  attempt_failed: { from: LIVE, to: 'sent' },
  acknowledged: { from: LIVE, to: 'acknowledged' },
  endpoint_gone: { from: LIVE, to: 'queued' },
  executed: { from: [...LIVE, 'acknowledged'], to: 'executed' },
  failed: { from: [...LIVE, 'acknowledged'], to: 'failed' },
};

describe('movement transition table', () => {
  const events = Object.keys(EXPECTED) as MovementEvent[];

  it('has exactly these events', () => {
    expect(Object.keys(MOVEMENT_EVENTS).sort()).toEqual([...events].sort());
  });

  it.each(events.flatMap((event) => MOVEMENT_STATES.map((state) => [state, event] as const)))('%s + %s', (state, event) => {
    const allowed = EXPECTED[event].from.includes(state);
    expect(canTransition(state, event)).toBe(allowed);
    if (allowed) {
      expect(transition(state, event)).toBe(EXPECTED[event].to);
    } else {
      expect(() => transition(state, event)).toThrow(DomainError);
    }
  });

  it('a refused transition names the state, the event and the events that are allowed', () => {
    let err: unknown;
    try {
      transition('acknowledged', 'wait_for_endpoint');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'INVALID_SETTLEMENT_TRANSITION',
      message: 'A movement that is acknowledged cannot become queued',
      details: { state: 'acknowledged', event: 'wait_for_endpoint', allowed: ['executed', 'failed'] },
    });
    expect(() => transition('executed', 'failed')).toThrow(expect.objectContaining({ details: { state: 'executed', event: 'failed', allowed: [] } }));
  });
});

describe('SWIFT reference length', () => {
  it('one character is a reference, none is not', () => {
    expect(isSwiftReference('A')).toBe(true);
    expect(isSwiftReference('A'.repeat(16))).toBe(true);
    expect(isSwiftReference('')).toBe(false);
  });
});
