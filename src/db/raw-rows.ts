import { getTableColumns, type InferInsertModel, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * The bridge between a table's TypeScript rows and the rows a SQL function takes (as jsonb) or
 * answers: column names and value conversions come from the drizzle schema, so a function call
 * reads and writes the same shapes as the query builder.
 */
export function toColumnJson<T extends Table>(
  table: T,
  values: Partial<InferInsertModel<T>>,
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = (values as Record<string, unknown>)[key];
    if (value === undefined) continue;
    json[column.name] = value === null ? null : column.mapToDriverValue(value);
  }
  return json;
}

export function fromColumnRow<T extends Table>(table: T, row: Record<string, unknown>): InferSelectModel<T> {
  const values: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = row[column.name];
    values[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return values as InferSelectModel<T>;
}
