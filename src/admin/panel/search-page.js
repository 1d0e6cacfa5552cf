/**
 * What the search box found (`#/search?q=`): a call id, `call_<id>`, a room id, a user id, a
 * nickname or an openid. A single match opens at once; several are listed.
 */
import { ApiError, api } from './api.js';
import { h, patch, section } from './dom.js';

const hrefOf = (hit) =>
  hit.type === 'user' ? `#/users/${hit.id}` : `#/machines/${hit.kind}/${encodeURIComponent(hit.id)}`;

export function renderSearch(main) {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '').get('q') ?? '';
  let left = false;
  async function draw() {
    if (!q.trim()) {
      patch(
        main,
        section('Search', h('p', { class: 'hint' }, 'Type an id, call_<id>, a nickname or an openid above.')),
      );
      return;
    }
    patch(main, section(`Search: ${q}`, h('p', { class: 'hint' }, 'Searching…')));
    let results;
    try {
      ({ results } = await api(`/search?q=${encodeURIComponent(q.trim())}`));
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401)
        patch(main, section(`Search: ${q}`, h('p', { class: 'error' }, error.message)));
      return;
    }
    if (left) return;
    const [only] = results;
    if (results.length === 1 && only) {
      location.replace(hrefOf(only));
      return;
    }
    patch(
      main,
      section(
        `Search: ${q}`,
        results.length
          ? h(
              'ul',
              { id: 'search-results', class: 'search-results' },
              results.map((hit) =>
                h(
                  'li',
                  null,
                  h('a', { href: hrefOf(hit) }, hit.label),
                  h('span', { class: 'hint' }, ` matched by ${hit.matched}`),
                ),
              ),
            )
          : h('p', { class: 'hint', id: 'search-results' }, 'Nothing matches.'),
      ),
    );
  }
  void draw();
  return () => {
    left = true;
  };
}
