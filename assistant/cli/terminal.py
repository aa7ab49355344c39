"""Article text printed to a terminal: control characters (ANSI escapes, carriage returns, bells) from a
hostile title or quote are shown as U+FFFD instead of acting on the terminal. JSON output is left as is
(its encoder escapes them)."""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F, which include the 8-bit CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    return _CONTROL.sub("\ufffd", str(text))
