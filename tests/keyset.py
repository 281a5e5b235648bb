"""Walking a keyset-paged list the way a client does: by its service's cursors, by OFFSET page numbers, or by the
HTML pager's ``rel="next"`` links (shared by the tests of every keyset-paged list)."""

from __future__ import annotations

import re
from html import unescape

from lms.core.paging import encode_cursor

#: Cursors a client may send that no page gave: not base64, not JSON, the wrong arity or types, too long.
BAD_CURSORS = ["%%%", "bm90LWpzb24", encode_cursor([1]), encode_cursor(["x", "y", "z", "w", "v"]),
               encode_cursor([True, True, True, True]), encode_cursor([None, None]), "A" * 700]


def walk_cursors(read, ident, first=None, **kwargs) -> list[list]:
    """Every page of ``read(**kwargs, page=, after=)`` followed by ``next_cursor`` (from page 1, or the page after
    ``first``, a page read before): the idents of each page's rows."""
    pages = [read(**kwargs) if first is None else read(**kwargs, page=first.page + 1, after=first.next_cursor)]
    while pages[-1].next_cursor:
        pages.append(read(**kwargs, page=pages[-1].page + 1, after=pages[-1].next_cursor))
    return [[ident(row) for row in page.rows] for page in pages]


def walk_offsets(read, ident, count: int, **kwargs) -> list[list]:
    """``count`` pages of ``read`` by page number (OFFSET)."""
    return [[ident(row) for row in read(**kwargs, page=number).rows] for number in range(1, count + 1)]


def walk_links(client, url: str, pattern: str) -> tuple[list[str], str]:
    """What ``pattern``'s first group finds on every page from ``url`` on, following ``rel="next"`` links; and
    the last page's HTML."""
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        seen += [unescape(found) for found in re.findall(pattern, body)]
        link = re.search(r'href="([^"]+)" rel="next"', body)
        url = unescape(link.group(1)) if link else None
    return seen, body
