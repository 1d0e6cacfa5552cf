/** A machine's state chart, generated from its xstate definition: graph → layout → SVG. */
import type { AnyStateMachine } from 'xstate';
import { type ChartGraph, graphOf } from './graph.js';
import { layoutChart } from './layout.js';
import { chartSvg } from './svg.js';

export type { ChartGraph, ChartState, ChartTransition } from './graph.js';

export interface StateChart {
  graph: ChartGraph;
  svg: string;
}

export function stateChartOf(machine: AnyStateMachine): StateChart {
  const graph = graphOf(machine);
  return { graph, svg: chartSvg(layoutChart(graph), `state chart of the ${machine.id} machine`) };
}
