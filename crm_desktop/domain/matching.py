"""The matching behind the duplicate scan, free of the database: the keys records are
compared by (folded names, E.164 phones, web hosts, company names without their legal
form), blocking of names so they are not all compared with each other, rapidfuzz
comparisons within a block, and pairs joined into groups (union-find)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import phonenumbers

from crm_desktop.domain.duplicates import DuplicateGroup, DuplicatePair
from crm_desktop.domain.phones import to_e164
from crm_desktop.domain.text import fold

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"\w+")
_APOSTROPHES = str.maketrans("", "", "'’`´")
_FEW = 8  # keys compared pair by pair by `similar_pairs`
_HOST_END = re.compile(r"[/?#\\]")
_PHONE_SEPARATORS = str.maketrans("", "", " -./()\u00a0")
_LEGAL_FORMS = frozenset([
    "gmbh", "mbh", "ag", "kg", "ohg", "ug", "gbr", "ev", "co", "kgaa", "se", "ltd", "limited",
    "inc", "incorporated", "llc", "llp", "plc", "pvt", "private", "corp", "corporation",
    "company", "sa", "sas", "sarl", "sl", "srl", "spa", "sp", "z", "oo", "zoo", "bv", "nv",
    "ab", "as", "asa", "oy", "oyj", "aps", "sro", "kk",
])  # fmt: skip
_PUBLIC_MAIL_HOSTS = frozenset([
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "t-online.de",
    "posteo.de", "mail.de", "proton.me", "protonmail.com",
])  # fmt: skip


def name_key(first: str, last: str) -> str:
    """Folded words of a person's name in sorted order, umlauts written out."""
    text = f"{first} {last}".casefold().translate(_GERMAN).translate(_APOSTROPHES)
    return " ".join(sorted(_WORD.findall(fold(text))))


def company_keys(name: str) -> tuple[str, str]:
    """(folded name, folded name without its legal form) of a company."""
    words = _WORD.findall(fold(name.replace(".", "").translate(_APOSTROPHES)))
    full = " ".join(words)
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return full, " ".join(words)


def web_host(value: str) -> str:
    """The host of a domain or website, without "www." ("" for none or a public mailer)."""
    text = value.strip().lower()
    if not text:
        return ""
    # What urlsplit(...).hostname gives, by hand: 25 times faster, and a scan asks 25,000.
    rest = text.split("//", 1)[-1]
    host = _HOST_END.split(rest, 1)[0].rpartition("@")[2].partition(":")[0]
    host = host.strip(".").removeprefix("www.")
    return "" if "." not in host or host in _PUBLIC_MAIL_HOSTS else host


class PhoneKeys:
    """E.164 forms of stored numbers, cached: numbers written "+49 30 1234567" or
    "0049 30 1234567" are made E.164 by dropping separators; the rest go through
    phonenumbers with the default country."""

    def __init__(self, country: str) -> None:
        self.country = country
        self._cache: dict[str, str | None] = {}

    def __call__(self, number: str) -> str | None:
        if number in self._cache:
            return self._cache[number]
        compact = number.strip().translate(_PHONE_SEPARATORS)
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        if compact[1:].isdigit() and compact[:1] == "+" and "(0)" not in number:
            key: str | None = compact if 8 <= len(compact) <= 16 else None
        else:
            key = to_e164(number, self.country)
        self._cache[number] = key
        return key


def pretty_phone(e164: str) -> str:
    """+49301234567 -> "+49 30 1234567" (the E.164 text if it cannot be formatted)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class Pairs:
    """Pairs found so far (by record index) with their best score and their reasons."""

    def __init__(self) -> None:
        self.found: dict[tuple[int, int], tuple[int, list[str]]] = {}

    def add(self, a: int, b: int, score: int, reason: str) -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        best, reasons = self.found.get(key, (0, []))
        if reason not in reasons:
            reasons.append(reason)
        self.found[key] = (max(best, score), reasons)

    def star(self, members: Sequence[int], score: int, reason: str) -> None:
        """Tie records that share a key: each to the first (not every pair of a big group)."""
        first = members[0]
        for other in members[1:]:
            self.add(first, other, score, reason)


def similar_pairs(keys: Sequence[str], cutoff: int) -> Iterable[tuple[int, int, int]]:
    """(i, j, score) of the keys at least `cutoff` alike, i < j. Each key is compared with
    the later ones in one rapidfuzz call (its own C++ loop; no numpy needed), shortest
    first, so the keys too long to reach the cutoff are never looked at. A handful of
    keys (the people of one company) are compared pair by pair: cheaper than sorting."""
    from rapidfuzz import fuzz, process  # 6 MB the window only needs for a duplicate scan

    if len(keys) <= _FEW:
        for i, a in enumerate(keys):
            for j in range(i + 1, len(keys)):
                score = fuzz.ratio(a, keys[j], score_cutoff=cutoff)
                if score:
                    yield i, j, round(score)
        return
    order = sorted(range(len(keys)), key=lambda i: len(keys[i]))
    ordered = [keys[i] for i in order]
    # ratio >= cutoff needs len b - len a <= (1 - cutoff) (len a + len b), so a key can
    # only meet keys up to (200 - cutoff) / cutoff times its length.
    end = 0
    for x, key in enumerate(ordered):
        longest = len(key) * (200 - cutoff) // cutoff
        end = max(end, x + 1)
        while end < len(ordered) and len(ordered[end]) <= longest:
            end += 1
        if end <= x + 1:
            continue
        for _, score, y in process.extract(
            key, ordered[x + 1 : end], scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            i, j = order[x], order[x + 1 + y]
            yield min(i, j), max(i, j), round(score)


def names_alike(names: Sequence[str], a: int, b: int, similarity: int) -> str:
    if names[a] == names[b]:
        return f"same name {names[a]}"
    return f"similar names {similarity} %: {names[a]} / {names[b]}"


def _start(word: str) -> str:
    return word[:2] if len(word) > 3 else word[:1]


def _end(word: str) -> str:
    return word[-2:] if len(word) > 3 else word[-1:]


def block_keys(key: str) -> set[str]:
    """Where a name key is filed for comparison: each word whole, with the start and with
    the end (two letters, one of a short word) of the other words. A name with one typo
    (in one word) shares a filing with the right spelling: the untouched words whole, the
    changed word's start or end intact. One-word names are filed by their first and last
    three letters."""
    words = key.split(" ")
    if len(words) == 2:  # most names: the same filings as below, built faster
        a, b = words
        return {
            f"{a}<{_start(b)}",
            f"{a}>{_end(b)}",
            f"{b}<{_start(a)}",
            f"{b}>{_end(a)}",
        }
    if len(words) == 1:
        return {"<" + key[:3], ">" + key[-3:]}
    filed = set()
    for i, word in enumerate(words):
        rest = words[:i] + words[i + 1 :]
        filed.add(f"{word}<{' '.join(_start(w) for w in rest)}")
        filed.add(f"{word}>{' '.join(_end(w) for w in rest)}")
    return filed


def blocks(keys: Iterable[str]) -> list[list[str]]:
    """Distinct keys that share a filing (`block_keys`), in blocks of two or more; a block
    that several filings make alike is listed once."""
    filings: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        for filed in block_keys(key):
            filings[filed].append(key)
    unique = dict.fromkeys(tuple(b) for b in filings.values() if len(b) > 1)
    return [list(b) for b in unique]


def group_pairs(
    kind: str,
    pairs: Pairs,
    ids: Sequence[str],
    names: Sequence[str],
    order: Sequence[Any],
) -> list[DuplicateGroup]:
    """Connected records (union-find over the pairs) as groups, best first."""
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs.found:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, set[int]] = defaultdict(set)
    links: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in pairs.found:
        r = root(a)
        members[r].update((a, b))
        links[r].append((a, b))
    result = []
    for r, group in members.items():
        indexes = sorted(group, key=lambda i: (order[i], ids[i]))
        found = [
            DuplicatePair(ids[a], ids[b], score, tuple(reasons))
            for a, b in links[r]
            for score, reasons in (pairs.found[(a, b)],)
        ]
        found.sort(key=lambda p: (-p.score, p.a, p.b))
        result.append(
            DuplicateGroup(
                kind,
                tuple(ids[i] for i in indexes),
                tuple(names[i] for i in indexes),
                found[0].score,
                tuple(found),
            )
        )
    result.sort(key=lambda g: (-g.score, -len(g.ids), fold(g.names[0]), g.ids[0]))
    return result
