/**
 * Lays a chart graph out left to right: each state gets a column by the longest path from the
 * initial state (back edges, found by a depth-first search, do not count), states sharing a column
 * are stacked. Transitions between the same two states are drawn as one edge whose label lists
 * their events:
 *
 * - `next` (one column to the right): a straight arrow, label above it;
 * - `skip` (further right): an arc below the row, shorter spans inside longer ones, label under it;
 * - `back` (to the left or the same column): the mirror image, above the row;
 * - `self` (no target, e.g. a billing TICK): a loop on top of the state, label above it.
 *
 * Pure and deterministic, so a chart is the same for the same definition.
 */
import type { ChartGraph, ChartTransition } from './graph.js';
import { boundsOf, nudgeOffLegs } from './label-placement.js';
import {
  CHAR,
  type ChartLayout,
  type EdgeKind,
  type EdgeShape,
  LINE,
  MARGIN,
  type NodeBox,
} from './shapes.js';

export type { ChartLayout, EdgeKind, EdgeShape, NodeBox } from './shapes.js';

const NODE_W = 132;
const NODE_H = 40;
const GAP = 170;
const ROW_GAP = 60;
const LOOP = 34;
const ANCHOR_STEP = 12;
/** Arc labels are kept narrow: they sit where other arcs' legs may pass (the panel gives them a halo). */
const ARC_CHARS = 26;

interface Group {
  from: string;
  to: string;
  transitions: ChartTransition[];
}

function groupsOf(graph: ChartGraph): Group[] {
  const groups = new Map<string, Group>();
  for (const state of graph.states) {
    for (const transition of state.transitions) {
      const to = transition.target ?? state.id;
      const key = `${state.id}\u0000${to}`;
      const group = groups.get(key) ?? { from: state.id, to, transitions: [] };
      group.transitions.push(transition);
      groups.set(key, group);
    }
  }
  return [...groups.values()];
}

/** Column of every state: longest path from the initial state over forward edges. */
function columnsOf(graph: ChartGraph, groups: Group[]): { column: Map<string, number>; back: Set<Group> } {
  const targets = new Map<string, Group[]>();
  for (const group of groups) {
    if (group.from === group.to) continue;
    targets.set(group.from, [...(targets.get(group.from) ?? []), group]);
  }
  const mark = new Map<string, 'open' | 'done'>();
  const back = new Set<Group>();
  const postorder: string[] = [];
  const visit = (id: string) => {
    mark.set(id, 'open');
    for (const group of targets.get(id) ?? []) {
      const seen = mark.get(group.to);
      if (seen === 'open') back.add(group);
      else if (seen === undefined) visit(group.to);
    }
    mark.set(id, 'done');
    postorder.push(id);
  };
  const starts = [graph.initial, ...graph.states.map((state) => state.id)].filter(
    (id): id is string => id !== null,
  );
  for (const id of starts) if (!mark.has(id)) visit(id);

  const column = new Map<string, number>();
  for (const id of postorder.reverse()) {
    const own = column.get(id) ?? 0;
    column.set(id, own);
    for (const group of targets.get(id) ?? []) {
      if (!back.has(group)) column.set(group.to, Math.max(column.get(group.to) ?? 0, own + 1));
    }
  }
  return { column, back };
}

/** Event labels of a group, each once, wrapped into lines of at most `maxChars`. */
function wrap(labels: string[], maxChars: number): string[] {
  const lines: string[] = [];
  for (const label of labels) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 2 + label.length <= maxChars) {
      lines[lines.length - 1] = `${last}, ${label}`;
    } else lines.push(label);
  }
  return lines;
}

const unique = (values: string[]) => [...new Set(values)];

/** A named guard reads as itself; an anonymous one (`inline`) only says that there is a condition. */
const guardText = (guard: string | null) =>
  guard === null ? '' : guard === 'inline' ? ' (if allowed)' : ` [${guard}]`;

function detailsOf(group: Group, keyOf: (id: string) => string): string[] {
  return unique(
    group.transitions.map(
      (t) => `${t.label}${guardText(t.guard)} → ${t.target === null ? '(stays)' : keyOf(t.target)}`,
    ),
  );
}

export function layoutChart(graph: ChartGraph): ChartLayout {
  const groups = groupsOf(graph);
  const { column, back } = columnsOf(graph, groups);
  const keyOf = (id: string) => graph.states.find((state) => state.id === id)?.key ?? id;
  const kindOf = (group: Group): EdgeKind => {
    if (group.from === group.to) return 'self';
    if (back.has(group)) return 'back';
    const span = (column.get(group.to) ?? 0) - (column.get(group.from) ?? 0);
    return span === 1 ? 'next' : span > 1 ? 'skip' : 'back';
  };
  const linesOf = (group: Group, maxChars: number) =>
    wrap(unique(group.transitions.map((t) => t.label)), maxChars);

  // Vertical room the labels above a row need (self loops, next-edge labels).
  const selfRoom = Math.max(
    0,
    ...groups
      .filter((g) => kindOf(g) === 'self')
      .map((g) => LOOP * 0.75 + 8 + linesOf(g, Math.floor((NODE_W + GAP - 24) / CHAR)).length * LINE),
  );
  const nextRoom = Math.max(
    0,
    ...groups
      .filter((g) => kindOf(g) === 'next')
      .map((g) => linesOf(g, Math.floor((GAP - 12) / CHAR)).length * LINE + 8 - NODE_H / 2),
  );
  const rowTop = Math.max(selfRoom, nextRoom);
  // Back arcs rise above the row by 3/4 of their control depth, plus their labels.
  let backRoom = 0;
  let backDepth = rowTop + 34;
  for (const group of groups.filter((g) => kindOf(g) === 'back')) {
    const lines = linesOf(group, ARC_CHARS).length;
    backRoom = Math.max(backRoom, 0.75 * backDepth + lines * LINE + 6 - rowTop);
    backDepth += (lines * LINE + 20) / 0.75;
  }

  const rowInColumn = new Map<number, number>();
  const nodes: NodeBox[] = graph.states.map((state) => {
    const col = column.get(state.id) ?? 0;
    const row = rowInColumn.get(col) ?? 0;
    rowInColumn.set(col, row + 1);
    return {
      id: state.id,
      key: state.key,
      x: MARGIN + col * (NODE_W + GAP),
      y: MARGIN + backRoom + rowTop + row * (NODE_H + ROW_GAP + rowTop),
      width: NODE_W,
      height: NODE_H,
      final: state.type === 'final',
      initial: state.id === graph.initial,
    };
  });
  const box = new Map(nodes.map((node) => [node.id, node]));
  const at = (id: string) => box.get(id)!;
  const cx = (node: NodeBox) => node.x + node.width / 2;
  const bottomOf = (node: NodeBox) => node.y + node.height;

  const edges: EdgeShape[] = [];
  const base = (group: Group, kind: EdgeKind) => ({
    from: group.from,
    to: group.to,
    kind,
    details: detailsOf(group, keyOf),
  });

  for (const group of groups) {
    const from = at(group.from);
    const to = at(group.to);
    const kind = kindOf(group);
    if (kind === 'self') {
      const lines = linesOf(group, Math.floor((NODE_W + GAP - 24) / CHAR));
      const top = from.y;
      edges.push({
        ...base(group, kind),
        path: `M ${cx(from) - 18} ${top} C ${cx(from) - 34} ${top - LOOP}, ${cx(from) + 34} ${top - LOOP}, ${cx(from) + 18} ${top}`,
        lines,
        labelX: cx(from),
        labelY: top - LOOP * 0.75 - 8 - (lines.length - 1) * LINE,
      });
    } else if (kind === 'next') {
      const lines = linesOf(group, Math.floor((GAP - 12) / CHAR));
      const [x1, y1, x2, y2] = [from.x + from.width, from.y + from.height / 2, to.x, to.y + to.height / 2];
      edges.push({
        ...base(group, kind),
        path: `M ${x1} ${y1} L ${x2} ${y2}`,
        lines,
        labelX: (x1 + x2) / 2,
        labelY: (y1 + y2) / 2 - 8 - (lines.length - 1) * LINE,
      });
    }
  }

  // Arcs: shorter spans inside longer ones; each arc gets its own depth below (skip) or above (back).
  const span = (g: Group) => Math.abs((column.get(g.to) ?? 0) - (column.get(g.from) ?? 0));
  const arcs = (kind: 'skip' | 'back') =>
    groups
      .filter((g) => kindOf(g) === kind)
      .sort((a, b) => span(a) - span(b) || (column.get(a.from) ?? 0) - (column.get(b.from) ?? 0));
  const anchor = (node: NodeBox, side: string, direction: 1 | -1, outermostFirst: Group[], group: Group) => {
    // The outermost arc takes the slot nearest the centre, so nested arcs never cross.
    const order = outermostFirst.filter((g) => (side.startsWith('out') ? g.from : g.to) === node.id);
    return cx(node) + direction * (6 + ANCHOR_STEP * order.indexOf(group));
  };

  const below = arcs('skip');
  const belowOuterFirst = [...below].reverse();
  let depth = 34;
  let bottom = Math.max(...nodes.map(bottomOf));
  for (const group of below) {
    const from = at(group.from);
    const to = at(group.to);
    const lines = linesOf(group, ARC_CHARS);
    const sx = anchor(from, 'out-below', 1, belowOuterFirst, group);
    const tx = anchor(to, 'in-below', -1, belowOuterFirst, group);
    const [sy, ty] = [bottomOf(from), bottomOf(to)];
    const cy = Math.max(sy, ty) + depth;
    const lowest = 0.125 * (sy + ty) + 0.75 * cy;
    edges.push({
      ...base(group, 'skip'),
      path: `M ${sx} ${sy} C ${sx} ${cy}, ${tx} ${cy}, ${tx} ${ty}`,
      lines,
      labelX: (sx + tx) / 2,
      labelY: lowest + LINE,
    });
    bottom = Math.max(bottom, lowest + 4 + lines.length * LINE);
    depth += (lines.length * LINE + 20) / 0.75;
  }

  nudgeOffLegs(edges.filter((edge) => edge.kind === 'skip'));

  const above = arcs('back');
  const aboveOuterFirst = [...above].reverse();
  let height = rowTop + 34;
  for (const group of above) {
    const from = at(group.from);
    const to = at(group.to);
    const lines = linesOf(group, ARC_CHARS);
    const sx = anchor(from, 'out-above', 1, aboveOuterFirst, group) + from.width / 4;
    const tx = anchor(to, 'in-above', -1, aboveOuterFirst, group) - to.width / 4;
    const cy = Math.min(from.y, to.y) - height;
    const highest = 0.125 * (from.y + to.y) + 0.75 * cy;
    edges.push({
      ...base(group, 'back'),
      path: `M ${sx} ${from.y} C ${sx} ${cy}, ${tx} ${cy}, ${tx} ${to.y}`,
      lines,
      labelX: (sx + tx) / 2,
      labelY: highest - 6 - (lines.length - 1) * LINE,
    });
    height += (lines.length * LINE + 20) / 0.75;
  }

  return { ...boundsOf(nodes, edges, bottom), nodes, edges };
}
