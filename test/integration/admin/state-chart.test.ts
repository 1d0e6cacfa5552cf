// A pure test (no server): the panel's state chart comes from the machine definitions themselves.

import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { callMachine } from '../../../machines/call.js';
import { roomMachine } from '../../../machines/room.js';
import { graphOf } from '../../../src/admin/state-chart/graph.js';
import { stateChartOf } from '../../../src/admin/state-chart/index.js';
import { layoutChart } from '../../../src/admin/state-chart/layout.js';

describe('state chart generated from a machine definition', () => {
  it('has every state of the call machine, the initial and final ones marked', () => {
    const { svg, graph } = stateChartOf(callMachine);
    expect(graph.initial).toBe('call.ringing');
    for (const key of Object.keys(callMachine.root.states)) {
      expect(svg).toContain(`data-state="call.${key}"`);
    }
    expect(svg).toMatch(/<g class="state initial" data-state="call\.ringing">/);
    expect(svg).toMatch(/<g class="state final" data-state="call\.settled">/);
  });

  it('draws every transition of the definition, with guards and delays, and internal ones as loops', () => {
    const graph = graphOf(callMachine);
    const live = graph.states.find((state) => state.key === 'live');
    expect(live?.transitions).toEqual(
      expect.arrayContaining([
        { event: 'TICK', label: 'TICK', guard: 'isNextMinute', target: null },
        { event: 'HANGUP', label: 'HANGUP', guard: 'byGuest', target: 'call.ended' },
        { event: 'HANGUP', label: 'HANGUP', guard: 'byAnchor', target: 'call.ended' },
        { event: 'SERVER_HANGUP', label: 'SERVER_HANGUP', guard: null, target: 'call.ended' },
      ]),
    );
    const ringing = graph.states.find((state) => state.key === 'ringing');
    expect(ringing?.transitions).toContainEqual({
      event: 'xstate.after.ringTimeout.call.ringing',
      label: 'after ringTimeout',
      guard: null,
      target: 'call.ended',
    });

    const layout = layoutChart(graph);
    const edgeOf = (from: string, to: string) =>
      layout.edges.find((edge) => edge.from === from && edge.to === to);
    expect(edgeOf('call.live', 'call.live')).toMatchObject({ kind: 'self' });
    expect(edgeOf('call.live', 'call.live')?.lines.join(', ')).toBe(
      'TICK, MINUTE_CHARGED, DISCONNECTED, RECONNECTED',
    );
    expect(edgeOf('call.ringing', 'call.accepted')).toMatchObject({
      kind: 'next',
      lines: ['ACCEPT, ROOM_CREATED'],
    });
    expect(edgeOf('call.ringing', 'call.ended')).toMatchObject({ kind: 'skip' });
    expect(edgeOf('call.ringing', 'call.ended')?.details).toContain('HANGUP [byInitiator] → ended');
    // Every transition of the definition is on some edge.
    for (const state of graph.states) {
      for (const transition of state.transitions) {
        const edge = edgeOf(state.id, transition.target ?? state.id);
        expect(edge?.lines.join(', ')).toContain(transition.label);
      }
    }
  });

  it('lays states out left to right along the longest path, each in its own column', () => {
    const layout = layoutChart(graphOf(callMachine));
    const x = (key: string) => layout.nodes.find((node) => node.key === key)?.x ?? Number.NaN;
    expect(x('ringing')).toBeLessThan(x('accepted'));
    expect(x('accepted')).toBeLessThan(x('live'));
    expect(x('live')).toBeLessThan(x('ended'));
    expect(x('ended')).toBeLessThan(x('settled'));
    const room = layoutChart(graphOf(roomMachine));
    expect(room.nodes.map((node) => node.key)).toEqual(['live', 'ended']);
    expect(room.edges.find((edge) => edge.kind === 'self')?.lines.join(', ')).toContain('ENTER');
    expect(room.edges.find((edge) => edge.kind === 'next')?.lines.join(', ')).toContain('ADMIN_END');
  });

  it('handles back edges and nested states, and escapes names in the SVG', () => {
    const machine = createMachine({
      id: 'door',
      initial: 'closed',
      states: {
        closed: { on: { OPEN: 'open' } },
        open: {
          initial: 'idle',
          states: { idle: { on: { 'PUSH<&>': 'swinging' } }, swinging: {} },
          on: { CLOSE: 'closed' },
        },
      },
    });
    const { svg, graph } = stateChartOf(machine);
    expect(graph.states.map((state) => state.id)).toEqual([
      'door.closed',
      'door.open',
      'door.open.idle',
      'door.open.swinging',
    ]);
    const layout = layoutChart(graph);
    expect(layout.edges.find((edge) => edge.from === 'door.open' && edge.to === 'door.closed')?.kind).toBe(
      'back',
    );
    for (const value of [layout.width, layout.height, layout.minX, layout.minY])
      expect(Number.isFinite(value)).toBe(true);
    expect(svg).toContain('PUSH&lt;&amp;&gt;');
    expect(svg).not.toContain('PUSH<&>');
  });
});
