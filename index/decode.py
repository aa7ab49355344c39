"""Bytes -> text for article files whose encoding nobody declared.

UTF-8 (with or without a BOM) first; then UTF-16/UTF-32 without a byte-order
mark, recognised by where its NUL bytes fall (ASCII characters are one
significant byte plus one or three NULs) and confirmed by decoding a sample
into plausible text; anything else goes to charset-normalizer's detection, so
Windows-1252 wire exports, Latin-1 pages or KOI8-R / Shift_JIS / EUC-KR feeds
decode instead of crashing. Binary data (NUL bytes that are not wide text, or
nothing the detector can read as text) is rejected with a reason.
charset-normalizer is imported here and nowhere else. It does not read files;
the loader hands it bytes.
"""

from __future__ import annotations

import unicodedata

__all__ = ["decode_text", "looks_binary", "wide_encoding"]


_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32 text has NUL bytes but announces itself
# encoding, code unit size, positions within a unit of the bytes that are NUL for ASCII characters
_WIDE_CANDIDATES = (("utf-32-le", 4, (1, 2, 3)), ("utf-32-be", 4, (0, 1, 2)),  # 32 first: UTF-16 reads it as NULs
                    ("utf-16-le", 2, (1,)), ("utf-16-be", 2, (0,)))
_SAMPLE = 8192


def _plausible_text(text: str, cut: bool) -> bool:
    """Few control, unassigned, private-use or replacement characters: text, not noise."""
    if len(text.strip()) < 2:
        return False
    bad = 0
    for ch in text:
        if ch in "\t\n\r\f":
            continue
        if ord(ch) < 32 or ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"):
            bad += 1
    return bad <= len(text) // 100 + (1 if cut else 0)  # one for a character cut at the sample's end


def wide_encoding(data: bytes) -> str | None:
    """"utf-16-le" etc. when `data` is BOM-less UTF-16/32 text, else None (also for UTF-8 or binary)."""
    sample = data[:_SAMPLE]
    if b"\x00" not in sample or data.startswith(_WIDE_BOMS):
        return None
    cut = len(data) > _SAMPLE
    for encoding, unit, high in _WIDE_CANDIDATES:
        if not cut and len(data) % unit:
            continue
        part = sample[: len(sample) - len(sample) % unit]
        nuls = [i % unit for i, b in enumerate(part) if b == 0]
        # ASCII (markup, spaces, newlines) puts its NULs in the high bytes; most NULs must be there.
        if sum(1 for i in nuls if i in high) * 2 < len(nuls):
            continue
        if _plausible_text(part.decode(encoding, errors="replace"), cut):
            return encoding
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB of data that is not UTF-16/32 text (with or without a byte-order mark)."""
    return b"\x00" in data[:_SAMPLE] and not data.startswith(_WIDE_BOMS) and wide_encoding(data) is None


def decode_text(data: bytes) -> str:
    """Decode `data`, detecting the encoding when it is not UTF-8; ValueError for binary data."""
    wide = wide_encoding(data)
    if wide:
        try:
            return data.decode(wide)
        except UnicodeDecodeError as exc:
            raise ValueError(f"looks like {wide.upper()} text but does not decode ({exc.reason})") from None
    if looks_binary(data):
        raise ValueError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("binary or undecodable file (no text encoding fits)")
    return str(best)
