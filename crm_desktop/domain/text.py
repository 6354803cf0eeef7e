"""Text folding for search and matching: case- and accent-insensitive-enough.

SQLite's LIKE and FTS5 fold ASCII only, so we fold ourselves, the same way for the indexed
text and for the query: "muller", "MÜLLER" and "Müller" all meet; German transliteration
("Mueller") is indexed beside the folded form so it finds "Müller" too.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

# Letters that do not decompose into base + combining mark.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "ı": "i",
        "ħ": "h",
    }
)
# Combining diacritical marks (the blocks Latin, Greek and Cyrillic accents decompose to).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip accents and collapse spaces: the form that is indexed and matched."""
    if text.isascii():
        return " ".join(text.lower().split())
    lowered = text.casefold().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = _COMBINING.sub("", decomposed)
    return " ".join(stripped.split())


def search_text(*parts: str | None) -> str:
    """The body stored in the search index for a record made of these parts."""
    folded: list[str] = []
    extra: list[str] = []
    for part in parts:
        if not part:
            continue
        if part.isascii():
            text = " ".join(part.lower().split())
            if text:
                folded.append(text)
            continue
        text, words = _folded_part(part)
        if text:
            folded.append(text)
        extra.extend(words)
    body = " ".join(folded)
    return f"{body} {' '.join(extra)}" if extra else body


# Part by part, because folding works character by character (and `split` on whitespace):
# the folded parts joined by spaces are the fold of the parts joined by spaces, and the
# words of the joined text are the words of each part in turn. Names, companies and
# cities repeat across records, so a part is folded once.
@lru_cache(maxsize=65536)
def _folded_part(part: str) -> tuple[str, tuple[str, ...]]:
    """A non-ASCII part's folded text, and the German transliterations of its words that
    differ from their plain fold (so "Mueller" finds "Müller")."""
    extra = tuple(
        g
        for w in part.split()
        if not w.isascii()
        for g in (fold(w.casefold().translate(_GERMAN)),)
        if g != fold(w)
    )
    return fold(part), extra


def query_terms(query: str) -> list[str]:
    """The folded words of a search query, longest first (the most selective)."""
    words = fold(query).split(" ")
    return sorted({w for w in words if w}, key=len, reverse=True)


def display_name(first: str | None, last: str | None) -> str:
    """How a person's name reads in lists: "First Last", never empty."""
    name = " ".join(p for p in (first, last) if p)
    return name or "(no name)"


def initials(name: str) -> str:
    parts = [p for p in name.split() if p]
    return "".join(p[0] for p in parts[:2]).upper()


YEARLESS = 1604  # the year of a birthday given without one (a leap year, as vCard and Apple)


def birthday_text(day: dt.date | None) -> str:
    """A birthday as people read it: "17 May 1980", or "17 May" when the year is unknown."""
    if day is None:
        return ""
    text = f"{day.day} {day:%B}"
    return text if day.year == YEARLESS else f"{text} {day.year}"
