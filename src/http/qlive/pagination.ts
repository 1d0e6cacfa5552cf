import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../errors.js';

/** A page holds 8 items, as in QLive's original server (spec/README.md, QLive wire rules). */
export const PAGE_SIZE = 8;

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'from 1; 8 items a page' })),
});

export interface Page {
  page: number;
  size: number;
  offset: number;
}

export function pageOf(query: { page?: number | undefined }): Page {
  const page = query.page ?? 1;
  return { page, size: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE };
}

/** The page's items out of a whole list; a page past the end is `[]` (the bare-array lists). */
export function pageItems<T>(page: Page, all: readonly T[]): T[] {
  return all.slice(page.offset, page.offset + page.size);
}

function pageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set('page', String(page));
  return url.toString();
}

/**
 * DRF's PageNumberPagination, for the lists whose document shows it (`qlive_gift/`):
 * `{count, next, previous, results}`; a page past the end is a 404 "Invalid page.", as DRF answers.
 */
export function paginated<T>(request: FastifyRequest, page: Page, count: number, results: T[]) {
  const lastPage = Math.max(1, Math.ceil(count / page.size));
  if (page.page > lastPage) throw notFound('Invalid page.', 'page');
  return {
    count,
    next: page.page < lastPage ? pageUrl(request, page.page + 1) : null,
    previous: page.page > 1 ? pageUrl(request, page.page - 1) : null,
    results,
  };
}

export function PaginatedResponse<T extends Parameters<typeof Type.Array>[0]>(item: T) {
  return Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
    results: Type.Array(item),
  });
}

/** A bare-array list (`get_livelist/`, `get_users_info/`, GET `qlive_pay/`): one page of items, `[]` past the end. */
export function PageOf<T extends Parameters<typeof Type.Array>[0]>(item: T, description: string) {
  return Type.Array(item, { description: `${description}; 8 a page, [] past the last page` });
}
