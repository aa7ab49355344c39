"""HTML -> Article: the article body and its metadata, via trafilatura.

trafilatura finds the main text (no navigation, ads or footers) and the page's
title, byline, published date and site name. The canonical URL is read here
from <link rel="canonical">, else <meta property="og:url">, resolved against
<base href> or the page's URL, with its query string kept (trafilatura's own
URL drops queries such as SPIP's `spip.php?article8532`, and falls back to the
<base href> site root, which TYPO3 pages all share). The article id is that URL
when it is a real article URL (absolute http(s), and not a site root: a path
beyond "/" or "/index.php" etc., or a query string), else the `fallback_id` the
caller gives (a file's stem, or the fetched URL), so editing a saved page
replaces its article instead of adding another.

Titles: trafilatura's title (a single <h1>, og:title, else the <title>) loses a
trailing site-name segment here, and only that: a last " | X", " - X", " – X"
or " — X" (spaces around the separator) is dropped when X is short (at most 5
words) and looks like a site name, meaning X matches the page's og:site_name or
source (case and a leading "The" ignored), or its host name ("Example News" for
examplenews.com, "BBC News" for bbc.co.uk), or X follows the last of several
such separators ("Storm hits coast | Weather | Planet"); never when fewer than 3
words would be left ("Rain | Planet" stays whole). When trafilatura split the
<title> itself (it keeps the part before the first separator, or after it when
that part holds a dot, so "U.S. storm hits coast - Example News" became "Example
News"), the whole <title> is taken instead and this rule applied to it.
Dates: a page's declared published date (meta tags, <time itemprop=datePublished>,
JSON-LD) at the precision it gives (dates.py: a year or a year-month stays
partial, unless the page writes out a day within it that trafilatura found),
else trafilatura's date only when the page writes that day out, so a
"/2000/01/" in an RDF namespace URL or any other link is not a date (the page's
own URL is).
Kicker labels and a repeated headline at the top of the body are dropped
(clean.drop_kickers), against trafilatura's title before its suffix is cut.
Quality floor (quality.py): a status/error page, a page that is mostly links
or only a photo caption is refused (ValueError with the reason) from the raw
HTML before extraction; a body under quality.MIN_WORDS words gets the headline
in front of it, and is refused when that is still too short.
`fragment_text` turns small HTML snippets
(feed entry bodies) into paragraphs with lxml. trafilatura and lxml are imported
here and nowhere else. It does not fetch pages or read files.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from .clean import clean_text, drop_kickers, headline_from
from .dates import PublishedDate, date_fields, read_date, states_day
from .quality import mostly_links, page_problem, with_headline
from .types import Article

__all__ = ["article_from_html", "canonical_url", "fragment_text", "link_only_fragment", "strip_site_suffix"]

_BLOCKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "section", "article"}


def _paragraphs(text: str) -> str:
    """trafilatura separates paragraphs with one newline; chunking wants blank lines."""
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


_SITE_ROOT_PATH = re.compile(r"^/*(index\.(php|html?|aspx?|jsp|cfm))?$", re.I)


def _article_url(href: str, base: str) -> str:
    """`href` made absolute against `base`, without its #fragment; "" unless it names an article."""
    href = (href or "").strip()
    if not href:
        return ""
    try:
        parts = urlsplit(urljoin(base, href) if base else href)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if _SITE_ROOT_PATH.match(parts.path) and not parts.query:
        return ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


_TITLE_SEPARATOR = re.compile(r"\s+[|\-\u2013\u2014]\s+")


def _compact(name: str) -> str:
    """"The Daily Planet" -> "dailyplanet": lower case, letters and digits only, no leading "the"."""
    words = re.sub(r"[^\w\s]", "", name.lower()).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return "".join(words)


def _matches_host(compact: str, host: str) -> bool:
    labels = [re.sub(r"[\W_]", "", label) for label in host.lower().split(":")[0].split(".")[:-1]
              if label not in ("www", "m")]
    return any(len(label) >= 3 and (compact == label or compact.startswith(label)
                                     or (len(compact) >= 3 and label.startswith(compact))) for label in labels)


def strip_site_suffix(title: str, site_names: tuple[str, ...] = (), hosts: tuple[str, ...] = ()) -> str:
    """`title` without a trailing " | Site Name" segment (the rule is in the module docstring)."""
    title = " ".join(title.split())
    parts = list(_TITLE_SEPARATOR.finditer(title))
    if not parts:
        return title
    last = parts[-1]
    head, tail = title[:last.start()].strip(), title[last.end():].strip()
    if not tail or len(tail.split()) > 5 or len(head.split()) < 3:
        return title
    compact = _compact(tail)
    if not compact:
        return title
    named = any(compact == _compact(name) for name in site_names if name and name.strip())
    hosted = any(_matches_host(compact, host) for host in hosts if host)
    return head if named or hosted or len(parts) >= 2 else title


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "" if url else ""
    except ValueError:
        return ""


def _declared_titles(root) -> set[str]:
    """Headline texts the page states outside <title>: its h1/h2 headings and title meta tags."""
    found = {" ".join((e.text_content() or "").split()) for tag in ("h1", "h2") for e in root.iter(tag)}
    found |= {" ".join((e.get("content") or "").split()) for e in root.iter("meta")
              if (e.get("property") or e.get("name") or "").strip().lower() in ("og:title", "twitter:title", "title")}
    return found - {""}


def _declared_hosts(root) -> tuple[str, ...]:
    """Hosts of the page's <base href> and og:url."""
    hrefs = [e.get("href") or "" for e in root.iter("base")]
    hrefs += [e.get("content") or "" for e in root.iter("meta") if (e.get("property") or "").strip().lower() == "og:url"]
    return tuple(_host(h.strip()) for h in hrefs if h.strip())


def _title_element(root) -> str:
    for element in root.iter("title"):
        return " ".join((element.text_content() or "").split())
    return ""


def _parse_html(html: str | bytes):
    import lxml.html

    try:
        data = html.encode("utf-8") if isinstance(html, str) else html
        return lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(encoding="utf-8")
                                             if isinstance(html, str) else None)
    except Exception:  # lxml raises several types for junk
        return None


def canonical_url(html: str | bytes, url: str = "") -> str:
    """The page's article URL from <link rel="canonical"> or og:url; "" when it declares none that names one."""
    root = _parse_html(html)
    return _canonical_from_root(root, url) if root is not None else ""


def _canonical_from_root(root, url: str) -> str:
    base = url
    for element in root.iter("base"):
        if element.get("href"):
            base = urljoin(url, element.get("href").strip()) if url else element.get("href").strip()
            break
    candidates = [e.get("href") for e in root.iter("link")
                  if "canonical" in (e.get("rel") or "").lower().split()]
    candidates += [e.get("content") for e in root.iter("meta")
                   if (e.get("property") or e.get("name") or "").strip().lower() == "og:url"]
    for href in candidates:
        found = _article_url(href or "", base)
        if found:
            return found
    return ""


_PUBLISHED_META = ("article:published_time", "og:article:published_time", "og:published_time", "datepublished",
                   "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "date",
                   "pubdate", "publishdate", "publish-date", "publish_date", "publication_date", "parsely-pub-date",
                   "sailthru.date", "article.published", "citation_publication_date", "citation_date")
_ANY_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>]+", re.I)
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{4,40})"')


def _declared_date(root) -> PublishedDate:
    """The published date a page declares in a date-bearing field, at the precision it gives it.

    Fields, first found wins: the meta tags in _PUBLISHED_META (property, name or itemprop), a
    <time> marked itemprop="datePublished" or pubdate, JSON-LD "datePublished"."""
    metas: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        if key in _PUBLISHED_META and (element.get("content") or "").strip():
            metas.setdefault(key, element.get("content").strip())
    values = [metas[k] for k in _PUBLISHED_META if k in metas]
    values += [e.get("datetime") or e.text_content() or "" for e in root.iter("time")
               if (e.get("itemprop") or "").lower() == "datepublished" or e.get("pubdate") is not None]
    values += [m.group(1) for e in root.iter("script") if "ld+json" in (e.get("type") or "").lower()
               for m in _JSON_LD_PUBLISHED.finditer(e.text_content() or "")]
    for value in values:
        found = read_date(value)
        if found.precision:
            return found
    return PublishedDate()


def _published(root, html: str | bytes, extracted: str, url: str) -> PublishedDate:
    """The page's date: a declared day (_declared_date), else trafilatura's day when the page writes it
    out (dates.states_day) and it lies within the declared year or month if any, else the declared
    partial date. So a "2000/01/" in a namespace URL or a bare year never becomes a day."""
    declared = _declared_date(root) if root is not None else PublishedDate()
    if declared.precision == "day":
        return declared
    day = read_date((extracted or "")[:10]).day
    if not day or not day.startswith(declared.value):  # a day within a declared year or month may refine it
        return declared
    page = html.decode("utf-8", "ignore") if isinstance(html, bytes) else html
    # Dates inside links and namespace URLs ("http://www.w3.org/1999/02/22-rdf-syntax-ns#") are not
    # the page's date; the page's own URL is.
    page = _ANY_URL.sub(" ", page) + " " + url
    return read_date(day) if states_day(page, day) else declared


def article_from_html(html: str | bytes, origin: str, fallback_id: str, url: str = "") -> Article:
    """Extract the article in `html`; ValueError when the page holds no article text."""
    import trafilatura

    root = _parse_html(html)  # parsed once: quality checks, canonical URL, <title>, headings and hosts
    problem = page_problem(root) if root is not None else ""
    if problem:
        raise ValueError(problem)
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
    canonical = _canonical_from_root(root, url) if root is not None else ""
    full_title = _title_element(root) if root is not None else ""
    if title and full_title and title != full_title and title in (
            p.strip() for p in _TITLE_SEPARATOR.split(full_title)) and title not in _declared_titles(root):
        title = full_title  # trafilatura split the <title> itself, on any separator
    sitename = (doc.sitename or "").strip()
    hosts = (_host(canonical), _host(url), doc.hostname or "") + (_declared_hosts(root) if root is not None else ())
    if (sitename and root is not None and sitename != full_title
            and sitename in (p.strip() for p in _TITLE_SEPARATOR.split(full_title))
            and sitename not in {(e.get("content") or "").strip() for e in root.iter("meta")}):
        sitename = ""  # trafilatura took a <title> part holding a dot ("U.S. storm ...") for the site name
    whole = title
    title = strip_site_suffix(title, (sitename, cleaned.source), hosts) if title else ""
    if not sitename and title != " ".join(whole.split()):
        sitename = _TITLE_SEPARATOR.split(" ".join(whole.split()))[-1].strip()  # the suffix named the site
    # Kickers ("EXCLUSIVE", "Analysis") and the headline repeated with small changes (clean.drop_kickers).
    body = "\n\n".join(drop_kickers(cleaned.text.split("\n\n"), title, whole))
    body, short = with_headline(title, body, "page")
    if short:
        raise ValueError(short)
    published_at, dated = date_fields(_published(root, html, doc.date or "", canonical or url))
    extra = {k: v for k, v in {"byline": author, "hostname": doc.hostname or "", "description": doc.description or ""}
             .items() if v}
    extra.update(dated)
    return Article(
        id=canonical or fallback_id,
        title=title or headline_from(body),
        text=body,
        url=canonical or url,
        source=sitename or cleaned.source or (doc.hostname or ""),
        published_at=published_at,
        origin=origin,
        extra=extra,
    )


def link_only_fragment(fragment: str) -> bool:
    """True when an HTML snippet (a feed entry body) is mostly links (quality.py rule 2)."""
    if "<" not in fragment:
        return False
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types for junk; treat it as text
        return False
    return bool(mostly_links(root))


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
