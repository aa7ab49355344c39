"""The article quality floor: what loaded text counts as an article, for every format.

One rule, applied by the loaders (load.py, html.py, feeds.py) before anything is
stored; an input below it becomes a `LoadFailure` naming the file (and record or
entry) and the reason, so the CLI prints one line for it like any other skip.

1. Words. A word is a run of letters/digits, or one CJK/kana character
   (`word_count`). An article's body needs at least MIN_WORDS (4) words. When the
   body has fewer, the headline is put in front of it, and a body with no word at
   all ("…", "—") is dropped, so a headline-only item becomes a short article of
   its headline; if headline and body together still have fewer than MIN_WORDS
   words, the input is skipped ("no text" / "too short ... at least 4 needed").
   This is the same for .txt/.md files, HTML pages and RSS/Atom/JSON Feed entries.
   JSON/JSONL records are exempt from the 4-word minimum when their text has at
   least MIN_RECORD_WORDS (1) word: a record's producer has already said it is an
   article (exports, test corpora). A record whose text has no word at all falls
   under the general rule (its headline stands alone if it has 4 words).
   MIN_WORDS is low on purpose: real wire briefs and headline-only feed items are
   short, and length alone cannot tell a two-sentence brief from a photo caption;
   the structural checks below do that for HTML. (The realtimeqa-dev corpus's
   shortest article has 94 words: none is rejected.)
2. Links (HTML pages, and feed entry bodies given as HTML). Visible text is what
   lies in <body> outside script/style/noscript/template/head, counted in words on
   the raw HTML before extraction. A page is "mostly links" when more than
   MAX_LINK_SHARE (50%) of its visible words are inside <a> elements and fewer
   than MIN_OWN_WORDS (100) visible words are outside links (so an article under a
   large menu is kept). Such a page is skipped; such a feed entry body is treated
   as empty ("Read the full story" links are not article text), leaving the
   headline rule of 1.
3. Captions (HTML pages). A page is "only a photo caption" when more than
   MAX_CAPTION_SHARE (50%) of its visible words outside links are inside
   <figcaption> or an element whose class names a caption ("caption",
   "wp-caption-text"...), and fewer than MIN_OWN_WORDS words lie outside them.
4. Status and error pages (HTML pages). Skipped when the <title> or the first
   <h1> is a server status or error message: "404 Not Found", "403 Forbidden",
   "Error 503", "Service Unavailable", "Internal Server Error", "Bad Gateway",
   "Access Denied", "Page not found", "Apache Server Status for ...",
   "Server status", "Site under maintenance", "Index of /..." (`STATUS_TITLE`),
   alone or followed by a separator (" | Site", " - ...", " for host").
"""

from __future__ import annotations

import re

__all__ = [
    "MIN_WORDS", "MIN_RECORD_WORDS", "MAX_LINK_SHARE", "MAX_CAPTION_SHARE", "MIN_OWN_WORDS", "STATUS_TITLE",
    "word_count", "with_headline", "page_problem", "mostly_links",
]

MIN_WORDS = 4
MIN_RECORD_WORDS = 1
MAX_LINK_SHARE = 0.5
MAX_CAPTION_SHARE = 0.5
MIN_OWN_WORDS = 100

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_STATUS_PHRASES = (
    r"not found|page not found|file not found|forbidden|access denied|unauthori[sz]ed|bad request|bad gateway"
    r"|gateway time-?out|service (?:temporarily )?unavailable|internal server error|server error"
    r"|(?:site |website |page )?(?:is )?(?:under|down for) maintenance|maintenance mode"
    r"|apache(?: http)?(?: server)? status|server status|index of /\S*")
STATUS_TITLE = re.compile(
    rf"^\s*(?:(?:http\s*)?(?:error\s*)?\d{{3}}\s*[-:\u2013\u2014]?\s*)?(?:error\s*)?(?:{_STATUS_PHRASES})"
    rf"\s*(?:$|[|:\-\u2013\u2014(]|for\b|on\b)"
    rf"|^\s*(?:http\s*)?error\s*\d{{3}}\s*$", re.I)
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "meta", "link"}
_CAPTION_CLASS = re.compile(r"caption", re.I)


def word_count(text: str) -> int:
    return len(_WORD.findall(text or ""))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def with_headline(title: str, body: str, what: str, minimum: int = MIN_WORDS) -> tuple[str, str]:
    """(text, "") when `body` passes rule 1, ("", reason) when not; `what` names the input ("feed entry")."""
    if word_count(body) >= minimum:
        return body, ""
    if word_count(body) == 0:
        body = ""
    text = "\n\n".join(p for p in (title, body) if p)
    if word_count(text) >= minimum:
        return text, ""
    if not body:
        return "", (f"{what} has no text (headline has {_plural(word_count(title), 'word')}; "
                    f"at least {minimum} needed)")
    return "", f"{what} too short ({_plural(word_count(text), 'word')} with its headline; at least {minimum} needed)"


def _counts(root) -> dict[str, int]:
    """Visible words of an lxml tree: all, inside <a>, and inside captions (outside <a>)."""
    counts = {"all": 0, "link": 0, "caption": 0}

    def add(text, in_link: bool, in_caption: bool) -> None:
        n = word_count(text) if text else 0
        counts["all"] += n
        if in_link:
            counts["link"] += n
        elif in_caption:
            counts["caption"] += n

    def walk(element, in_link: bool, in_caption: bool) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag and tag not in _SKIP_TAGS:  # comments and processing instructions hold no visible text
            link = in_link or tag == "a"
            caption = in_caption or tag == "figcaption" or bool(_CAPTION_CLASS.search(element.get("class") or ""))
            add(element.text, link, caption)
            for child in element:
                walk(child, link, caption)
        add(element.tail, in_link, in_caption)

    bodies = [e for e in root.iter("body")] or [root]
    for child in bodies[0]:
        walk(child, False, False)
    add(bodies[0].text, False, False)
    return counts


def mostly_links(root) -> str:
    """The rule-2 reason for an lxml tree, "" when it is not mostly links."""
    counts = _counts(root)
    if counts["all"] and counts["link"] / counts["all"] > MAX_LINK_SHARE and \
            counts["all"] - counts["link"] < MIN_OWN_WORDS:
        share = round(100 * counts["link"] / counts["all"])
        return (f"mostly links ({share}% of its {_plural(counts['all'], 'visible word')} are inside links; "
                f"at most {round(100 * MAX_LINK_SHARE)}%)")
    return ""


def page_problem(root) -> str:
    """Why an HTML page (parsed by lxml) is not an article under rules 2-4, "" when it may be one."""
    titles = [" ".join((e.text_content() or "").split()) for e in root.iter("title")][:1]
    titles += [" ".join((e.text_content() or "").split()) for e in root.iter("h1")][:1]
    for title in titles:
        if title and STATUS_TITLE.search(title):
            return f"status or error page, not an article (title {title[:80]!r})"
    links = mostly_links(root)
    if links:
        return f"page is {links}"
    counts = _counts(root)
    own = counts["all"] - counts["link"]
    if own and counts["caption"] / own > MAX_CAPTION_SHARE and own - counts["caption"] < MIN_OWN_WORDS:
        return (f"page is only a photo caption ({counts['caption']} of its {_plural(own, 'word')} outside links "
                f"are in captions; at most {round(100 * MAX_CAPTION_SHARE)}%)")
    return ""
