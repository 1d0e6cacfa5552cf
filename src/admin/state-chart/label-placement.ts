/**
 * Where the chart's labels go: off the legs of other arcs, and the drawing's bounds including every
 * label (a self loop's label may be wider than its state).
 */
import { CHAR, type EdgeShape, LINE, MARGIN, type NodeBox } from './shapes.js';

/** Legs of an arc: near-vertical from each anchor to the arc's lowest point. */
function legsOf(edge: EdgeShape): { x: number; top: number; bottom: number }[] {
  const [, sx, sy, , , , , tx, ty] = edge.path.split(/[ ,]+/).map(Number) as number[];
  const lowest = edge.labelY - LINE;
  return [
    { x: sx!, top: sy!, bottom: lowest },
    { x: tx!, top: ty!, bottom: lowest },
  ];
}

/** Moves an arc's label sideways when another arc's leg runs through it (arcs spanning a state start there). */
export function nudgeOffLegs(arcs: EdgeShape[]): void {
  for (const edge of arcs) {
    const half = (Math.max(0, ...edge.lines.map((line) => line.length)) * CHAR) / 2 + 6;
    const top = edge.labelY - LINE;
    const bottom = edge.labelY + (edge.lines.length - 1) * LINE + 4;
    for (const other of arcs) {
      if (other === edge) continue;
      for (const leg of legsOf(other)) {
        const crosses = leg.top < bottom && leg.bottom > top;
        if (!crosses || Math.abs(leg.x - edge.labelX) >= half) continue;
        edge.labelX = leg.x + (edge.labelX >= leg.x ? half : -half);
      }
    }
  }
}

export function boundsOf(nodes: NodeBox[], edges: EdgeShape[], arcsBottom: number) {
  const xs: number[] = [];
  const ys: number[] = [arcsBottom];
  for (const node of nodes) {
    xs.push(node.x - (node.initial ? 24 : 0), node.x + node.width);
    ys.push(node.y, node.y + node.height);
  }
  for (const edge of edges) {
    const half = (Math.max(0, ...edge.lines.map((line) => line.length)) * CHAR) / 2;
    xs.push(edge.labelX - half, edge.labelX + half);
    ys.push(edge.labelY - LINE, edge.labelY + (edge.lines.length - 1) * LINE + 4);
    if (edge.kind === 'self') ys.push(edge.labelY - LINE);
  }
  const minX = Math.floor(Math.min(...xs) - MARGIN);
  const minY = Math.floor(Math.min(...ys) - MARGIN);
  return {
    minX,
    minY,
    width: Math.ceil(Math.max(...xs) + MARGIN - minX),
    height: Math.ceil(Math.max(...ys) + MARGIN - minY),
  };
}
