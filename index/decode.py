"""Bytes -> text for article files whose encoding nobody declared.

UTF-8 (with or without a BOM) first; anything else goes to charset-normalizer's
detection, so Windows-1252 wire exports or Latin-1 pages decode instead of
crashing. Binary data (NUL bytes, or nothing the detector can read as text) is
rejected with a reason. charset-normalizer is imported here and nowhere else.
It does not read files; the loader hands it bytes.
"""

from __future__ import annotations

__all__ = ["decode_text", "looks_binary"]


_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32 text has NUL bytes but announces itself


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB of data without a UTF-16/32 byte-order mark."""
    return b"\x00" in data[:8192] and not data.startswith(_WIDE_BOMS)


def decode_text(data: bytes) -> str:
    """Decode `data`, detecting the encoding when it is not UTF-8; ValueError for binary data."""
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
