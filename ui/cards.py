"""Source cards and the "open article" view, as escaped HTML.

A card shows a citation's headline, outlet and date, a link to the original
only when its URL is http(s), and the quoted sentence highlighted inside its
paragraph. The article view shows the stored article text (read through
`Library.article_text`, so articles without a URL open too) with every cited
sentence highlighted. Every piece of article text is HTML-escaped here; the
page adds no markup of its own to it. No gradio, no character offsets on screen.
"""

from __future__ import annotations

import html
from typing import Callable, Iterable, Sequence
from urllib.parse import quote, urlsplit

from assistant import Answer, Citation

__all__ = ["safe_url", "quote_in_paragraph", "render_cards", "render_article", "cited_articles", "CARDS_CSS"]

_CONTEXT = 400  # characters of a long paragraph kept on each side of the quote

CARDS_CSS = """
.cw-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin: 0 0 10px; }
.cw-card .cw-head { font-weight: 600; }
.cw-card .cw-meta, .cw-article .cw-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 2px 0 6px; }
.cw-card blockquote { margin: 0; padding-left: 8px; border-left: 3px solid var(--border-color-primary); }
.cw-card mark, .cw-article mark { background: #ffe58f; color: #000; padding: 0 1px; }
.cw-card:target { outline: 2px solid #f59e0b; }
.cw-article { max-height: 560px; overflow-y: auto; padding-right: 6px; }
.cw-article p { margin: 0 0 0.8em; }
"""


def safe_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL, made safe for an href and a Markdown link; else ""."""
    url = (url or "").strip()
    if not url or any(ord(ch) < 32 for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    # Spaces, quotes, brackets and parentheses would end an attribute or a Markdown link early.
    return quote(url, safe=":/?#@!$&'*+,;=%-._~").replace("'", "%27")


def _link(url: str, label_html: str) -> str:
    """A link to an already safe_url()-checked URL, opened in a new tab without access to this page."""
    return f"<a href=\"{html.escape(url)}\" target=\"_blank\" rel=\"noopener noreferrer\">{label_html}</a>"


def _meta(source: str, published_at: str) -> str:
    return " \u00b7 ".join(html.escape(x) for x in (source, published_at) if x)


def quote_in_paragraph(text: str | None, citation: Citation) -> str:
    """The paragraph holding the citation's sentence, escaped, with the sentence in <mark>."""
    start, end = citation.start, citation.end
    if not text or text[start:end] != citation.quote:
        found = text.find(citation.quote) if text and citation.quote else -1
        if found < 0:
            return f"<mark>{html.escape(citation.quote)}</mark>"
        start, end = found, found + len(citation.quote)
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    lead = "\u2026" if start - para_start > _CONTEXT else ""
    tail = "\u2026" if para_end - end > _CONTEXT else ""
    para_start = max(para_start, start - _CONTEXT)
    para_end = min(para_end, end + _CONTEXT)
    return (lead + html.escape(text[para_start:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>"
            + html.escape(text[end:para_end]) + tail)


def render_cards(answer: Answer | None, article_text: Callable[[str], str | None]) -> str:
    """One card per citation of `answer`; `article_text(article_id)` reads the stored article."""
    if answer is None:
        return "<div class='cw-cards'><p class='cw-meta'>Sources of the latest answer appear here.</p></div>"
    if not answer.citations:
        return ("<div class='cw-cards'><p class='cw-meta'>This answer cites no article. "
                "Click an earlier answer to see its sources.</p></div>")
    texts: dict[str, str | None] = {}
    cards = []
    for c in answer.citations:
        if c.article_id not in texts:
            texts[c.article_id] = article_text(c.article_id)
        title = html.escape(c.title or c.article_id)
        url = safe_url(c.url)
        head = _link(url, title) if url else title
        cards.append(
            f"<div class='cw-card' id='cw-source-{c.n}'>"
            f"<div class='cw-head'>[{c.n}] {head}</div>"
            f"<div class='cw-meta'>{_meta(c.source, c.published_at)}</div>"
            f"<blockquote>{quote_in_paragraph(texts[c.article_id], c)}</blockquote></div>"
        )
    return "<div class='cw-cards'>" + "".join(cards) + "</div>"


def cited_articles(answers: Iterable[Answer]) -> list[tuple[str, str]]:
    """(label, article_id) for every article cited in `answers`, newest answer first, once each."""
    seen: dict[str, str] = {}
    for answer in reversed(list(answers)):
        for c in answer.citations:
            if c.article_id not in seen:
                meta = ", ".join(x for x in (c.source, c.published_at) if x)
                label = (c.title or c.article_id)[:90] + (f" ({meta})" if meta else "")
                seen[c.article_id] = label
    return [(label, article_id) for article_id, label in seen.items()]


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render_article(row: dict | None, text: str | None, citations: Sequence[Citation] = ()) -> str:
    """The stored article (`row` from list_articles) with its cited sentences (`citations`) highlighted."""
    if row is None or text is None:
        return "<div class='cw-article'><p class='cw-meta'>This article is not in the archive (removed?).</p></div>"
    ranges = []
    for c in citations:
        if c.article_id != row.get("id"):
            continue
        if text[c.start:c.end] == c.quote:
            ranges.append((c.start, c.end))
        elif c.quote and text.find(c.quote) >= 0:
            found = text.find(c.quote)
            ranges.append((found, found + len(c.quote)))
    pieces, pos = [], 0
    for start, end in _merge(ranges):
        pieces.append(html.escape(text[pos:start]))
        # A highlight never spans a paragraph break in the output markup.
        pieces.append("<mark>" + html.escape(text[start:end]).replace("\n", "</mark>\n<mark>") + "</mark>")
        pos = end
    pieces.append(html.escape(text[pos:]))
    body = "".join(pieces)
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    title = html.escape(row.get("title") or row.get("id", ""))
    url = safe_url(row.get("url"))
    link = " " + _link(url, "original") if url else ""
    return (f"<div class='cw-article'><h3>{title}</h3>"
            f"<div class='cw-meta'>{_meta(row.get('source', ''), row.get('published_at', ''))}{link}</div>"
            f"{paragraphs}</div>")
