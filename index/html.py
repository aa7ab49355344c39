"""HTML -> Article: the article body and its metadata, via trafilatura.

trafilatura finds the main text (no navigation, ads or footers) and the page's
title, byline, published date, site name and canonical URL. The article id is
the canonical URL when the page declares one, else the `fallback_id` the caller
gives (a file's stem, or the fetched URL), so editing a saved page replaces its
article instead of adding another. `fragment_text` turns small HTML snippets
(feed entry bodies) into paragraphs with lxml. trafilatura and lxml are imported
here and nowhere else. It does not fetch pages or read files.
"""

from __future__ import annotations

from .clean import clean_text, headline_from
from .types import Article

__all__ = ["article_from_html", "fragment_text"]

_BLOCKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "section", "article"}


def _paragraphs(text: str) -> str:
    """trafilatura separates paragraphs with one newline; chunking wants blank lines."""
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


def article_from_html(html: str | bytes, origin: str, fallback_id: str, url: str = "") -> Article:
    """Extract the article in `html`; ValueError when the page holds no article text."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, include_links=False,
    )
    body = (getattr(doc, "text", "") or "") if doc is not None else ""
    if not body.strip():
        raise ValueError("no article text found in the HTML")
    title = (doc.title or "").strip()
    author = (doc.author or "").strip()
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    # trafilatura keeps the headline and the byline as the first paragraphs; they are metadata.
    if lines and title and lines[0] == title:
        lines = lines[1:]
    if lines and author and lines[0].lower() in {author.lower(), f"by {author.lower()}"}:
        lines = lines[1:]
    cleaned = clean_text(_paragraphs("\n".join(lines)))
    if not cleaned.text:
        raise ValueError("no article text found in the HTML")
    canonical = (doc.url or "").strip()
    extra = {k: v for k, v in {"byline": author, "hostname": doc.hostname or "", "description": doc.description or ""}
             .items() if v}
    return Article(
        id=canonical or fallback_id,
        title=title or headline_from(cleaned.text),
        text=cleaned.text,
        url=canonical or url,
        source=(doc.sitename or "").strip() or cleaned.source or (doc.hostname or ""),
        published_at=(doc.date or "")[:10],
        origin=origin,
        extra=extra,
    )


def fragment_text(fragment: str) -> str:
    """Plain text of an HTML snippet, one paragraph per block element."""
    if "<" not in fragment:
        return fragment.strip()
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types for junk; treat it as text
        return fragment.strip()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
            element.text = "\n\n" + (element.text or "")
    text = root.text_content()
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
