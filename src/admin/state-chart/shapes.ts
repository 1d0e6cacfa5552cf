/** The laid-out chart's shapes, and the sizes the layout and the label placement share (px; labels are ~7px a character). */
export const MARGIN = 20;
export const LINE = 14;
export const CHAR = 7;

export interface NodeBox {
  id: string;
  key: string;
  x: number;
  y: number;
  width: number;
  height: number;
  final: boolean;
  initial: boolean;
}

export type EdgeKind = 'next' | 'skip' | 'back' | 'self';

export interface EdgeShape {
  from: string;
  /** The target state id (the source itself for a self loop). */
  to: string;
  kind: EdgeKind;
  /** SVG path data. */
  path: string;
  /** Label lines, drawn centred at labelX from the baseline labelY downwards. */
  lines: string[];
  labelX: number;
  labelY: number;
  /** One line per transition, with its guard: the edge's tooltip. */
  details: string[];
}

export interface ChartLayout {
  /** The drawing's bounds (labels may reach left of the first state): the SVG viewBox. */
  minX: number;
  minY: number;
  width: number;
  height: number;
  nodes: NodeBox[];
  edges: EdgeShape[];
}
