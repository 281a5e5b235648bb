"""Markdown for materi: CommonMark with raw HTML disabled and only safe links."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # html=False escapes any HTML in the source; markdown-it refuses javascript:/vbscript:/data: links.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    return md


def render_markdown(source: str) -> str:
    return _renderer().render(source or "")
