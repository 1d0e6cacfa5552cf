/**
 * Renders a laid-out chart as SVG markup. Every state is a `<g class="state" data-state="<id>">`
 * so the panel highlights the current state by adding a class; every edge carries its transitions
 * (with guards) as a `<title>` tooltip. Styling is left to the panel's stylesheet (classes only, no
 * inline styles, so a strict Content-Security-Policy holds).
 */
import { type ChartLayout, type EdgeShape, LINE, type NodeBox } from './shapes.js';

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const n = (value: number) => String(Math.round(value * 10) / 10);

function nodeSvg(node: NodeBox): string {
  const classes = ['state', node.final ? 'final' : '', node.initial ? 'initial' : '']
    .filter(Boolean)
    .join(' ');
  const inner = node.final
    ? `<rect class="state-inner" x="${n(node.x + 4)}" y="${n(node.y + 4)}" width="${n(node.width - 8)}" height="${n(node.height - 8)}" rx="6"/>`
    : '';
  const entry = node.initial
    ? `<circle class="initial-dot" cx="${n(node.x - 14)}" cy="${n(node.y + node.height / 2)}" r="4"/>` +
      `<path class="edge-line" d="M ${n(node.x - 10)} ${n(node.y + node.height / 2)} L ${n(node.x)} ${n(node.y + node.height / 2)}" marker-end="url(#arrow)"/>`
    : '';
  return (
    `<g class="${classes}" data-state="${escapeXml(node.id)}">${entry}` +
    `<rect class="state-box" x="${n(node.x)}" y="${n(node.y)}" width="${n(node.width)}" height="${n(node.height)}" rx="8"/>` +
    inner +
    `<text class="state-name" x="${n(node.x + node.width / 2)}" y="${n(node.y + node.height / 2 + 5)}" text-anchor="middle">${escapeXml(node.key)}</text>` +
    `</g>`
  );
}

function edgeLabelSvg(edge: EdgeShape): string {
  const lines = edge.lines
    .map(
      (line, index) =>
        `<tspan x="${n(edge.labelX)}" y="${n(edge.labelY + index * LINE)}">${escapeXml(line)}</tspan>`,
    )
    .join('');
  return `<text class="edge-label ${edge.kind}" text-anchor="middle"><title>${escapeXml(edge.details.join('\n'))}</title>${lines}</text>`;
}

function edgeSvg(edge: EdgeShape): string {
  return (
    `<g class="edge ${edge.kind}" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}">` +
    `<title>${escapeXml(edge.details.join('\n'))}</title>` +
    `<path class="edge-line" d="${edge.path}" marker-end="url(#arrow)"/>` +
    `</g>`
  );
}

export function chartSvg(layout: ChartLayout, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="state-chart" role="img" viewBox="${n(layout.minX)} ${n(layout.minY)} ${n(layout.width)} ${n(layout.height)}" width="${n(layout.width)}" height="${n(layout.height)}">` +
    `<title>${escapeXml(title)}</title>` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow-head" d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>` +
    layout.edges.map(edgeSvg).join('') +
    layout.nodes.map(nodeSvg).join('') +
    // Labels last: drawn over every line, with a halo from the stylesheet, they stay readable.
    layout.edges.map(edgeLabelSvg).join('') +
    `</svg>`
  );
}
