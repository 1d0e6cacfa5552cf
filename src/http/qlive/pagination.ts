import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../errors.js';

export const PAGE_SIZE = 10;

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});

export interface Page {
  page: number;
  size: number;
  offset: number;
}

export function pageOf(query: { page?: number | undefined; page_size?: number | undefined }): Page {
  const page = query.page ?? 1;
  const size = query.page_size ?? PAGE_SIZE;
  return { page, size, offset: (page - 1) * size };
}

function pageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set('page', String(page));
  return url.toString();
}

/** DRF's PageNumberPagination: `{count, next, previous, results}`; a page past the end is a 404. */
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
