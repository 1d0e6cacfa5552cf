/**
 * The README's endpoint table, made from the server's own OpenAPI document so it cannot drift:
 * `npm run docs:endpoints` writes it between the markers, and a test compares the two.
 */

export const TABLE_START = '<!-- endpoints:start (npm run docs:endpoints writes this table) -->';
export const TABLE_END = '<!-- endpoints:end -->';

interface SchemaObject {
  properties?: Record<string, unknown>;
  required?: string[];
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The request's fields: body properties and query parameters, `?` marking the optional ones. */
function fields(operation: Operation): string {
  const names: string[] = [];
  const body = Object.values(operation.requestBody?.content ?? {})[0]?.schema;
  for (const name of Object.keys(body?.properties ?? {})) {
    names.push(body?.required?.includes(name) ? name : `${name}?`);
  }
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'query') names.push(parameter.required ? parameter.name : `${parameter.name}?`);
  }
  return names.map((name) => `\`${name}\``).join(' ');
}

const CREDENTIALS: Record<string, string> = {
  adminBearer: 'admin token',
  qliveToken: 'QLive token',
};

function credential(operation: Operation): string {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  return schemes.map((scheme) => CREDENTIALS[scheme] ?? scheme).join(', ');
}

/** First sentence of the summary or description, on one line, with pipes escaped. */
function purpose(operation: Operation): string {
  const text = (operation.summary ?? operation.description ?? '').replace(/\s+/g, ' ').trim();
  const sentence = text.match(/^.*?[.;](?=\s|$)/)?.[0] ?? text;
  return sentence.replace(/\.$/, '').replaceAll('|', '\\|');
}

/** One table per tag (in the order tags first appear), each row `METHOD` `full path` purpose. */
export function renderEndpointTable(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  let count = 0;
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? 'other';
      const rows = byTag.get(tag) ?? [];
      // OpenAPI writes path parameters as {id}; the README and the routes say :id.
      const fullPath = path.replace(/\{([^}]+)\}/g, ':$1');
      rows.push(
        `| \`${method.toUpperCase()}\` | \`${fullPath}\` | ${credential(operation)} | ${fields(operation)} | ${purpose(operation)} |`,
      );
      byTag.set(tag, rows);
      count += 1;
    }
  }
  const sections = [...byTag].map(
    ([tag, rows]) =>
      `**${tag}**\n\n| method | path | credential | fields | note |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}`,
  );
  return [
    TABLE_START,
    `${count} endpoints, generated from the OpenAPI document (\`/docs/json\`; browse it at \`/docs\`). ` +
      "Paid-call endpoints take the user's `token` as a body field; fields marked `?` are optional; " +
      'the sections above and below say what each does.',
    '',
    sections.join('\n\n'),
    TABLE_END,
  ].join('\n');
}

/** The README with its endpoint table replaced (or undefined when the markers are missing). */
export function withEndpointTable(readme: string, table: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
}

/** The table currently in the README, or undefined. */
export function endpointTableIn(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start, end + TABLE_END.length);
}
