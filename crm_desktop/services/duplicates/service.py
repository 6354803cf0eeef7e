"""Duplicates: the warning while a contact is typed (`similar_contacts`), the scan over
every live contact or company (`scan`), and merging what it finds (`merge_preview`,
`merge`, `undo_merge`; the merge itself lives in duplicates/merge.py).

What makes two contacts a pair (each with a score 0-100 and a reason in words):
- the same e-mail, case-folded (100);
- the same phone after E.164 normalisation (95);
  (an e-mail or phone that more than `SHARED_LINE_LIMIT` contacts share is an office's,
  info@ or a switchboard: it pairs only those of them with names alike, as at a company);
- a role at the same company and names at least `COMPANY_NAME_THRESHOLD` similar
  (0.95 x similarity);
- names at least `NAME_THRESHOLD` similar on their own (0.9 x similarity), unless the name
  is common: one that more than `COMMON_NAME_LIMIT` live contacts share is no evidence by
  itself (a CRM may know several Thomas Müllers).
Names are compared as folded words in sorted order, with ä/ö/ü/ß written out, so
"Anna Müller", "Anna Mueller" and "Müller, Anna" are 100 % alike, and "Anna Möller" is
92 % like "Anna Müller": a pair only when both work at the same company.
Companies pair on the same name (legal form aside) or names `COMPANY_THRESHOLD` alike, web
domain, phone or e-mail.

The scan is blocked so it never compares every name with every other: exact keys meet in
dictionaries; similar names are compared (rapidfuzz) only among distinct names that share
a word and the first or last two letters of the others (`block_keys`), and names at one
company among themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from typing import Any

from crm_desktop.domain.duplicates import (
    DuplicateGroup,
    DuplicateHit,
    MergePreview,
    MergeResult,
    check_kind,
)
from crm_desktop.domain.matching import (
    Pairs,
    PhoneKeys,
    blocks,
    company_keys,
    group_pairs,
    name_key,
    names_alike,
    pretty_phone,
    similar_pairs,
    web_host,
)
from crm_desktop.domain.phones import to_e164
from crm_desktop.domain.records import ContactDraft
from crm_desktop.domain.text import display_name, fold
from crm_desktop.services._common import UowFactory
from crm_desktop.services.duplicates import merge as merging

NAME_SIMILARITY = 0.88  # the while-typing warning (difflib ratio)

NAME_THRESHOLD = 93  # similar names alone (rapidfuzz ratio of the sorted folded words)
COMPANY_NAME_THRESHOLD = 88  # similar names of two people with a role at one company
COMMON_NAME_LIMIT = 5  # a name more live contacts share is no evidence on its own
COMPANY_THRESHOLD = 95  # company names alike apart from the legal form
SHARED_LINE_LIMIT = 3  # an e-mail or phone more contacts share is an office's (info@, a
# switchboard): it pairs only those of them whose names are alike too
SCORE_EMAIL, SCORE_PHONE, SCORE_COMPANY_EMAIL = 100, 95, 100
SCORE_NAME, SCORE_DOMAIN, SCORE_COMPANY_PHONE, SCORE_LEGAL_FORM = 95, 95, 90, 85
SCORE_SIMILAR_COMPANY = 85  # percent of the names' similarity

Progress = Callable[[int, int], None]


def _shared_line(
    pairs: Pairs, holders: list[int], keys: list[str], score: int, reason: str
) -> None:
    """Pairs among the holders of an office's e-mail or phone: same or alike names only."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for i in holders:
        by_name[keys[i]].append(i)
    for same_name in by_name.values():
        if len(same_name) > 1:
            pairs.star(same_name, score, reason)
    distinct = [k for k in by_name if k]
    for a, b, _ in similar_pairs(distinct, COMPANY_NAME_THRESHOLD):
        pairs.add(by_name[distinct[a]][0], by_name[distinct[b]][0], score, reason)


class DuplicateService:
    def __init__(self, uow_factory: UowFactory, default_country: str = "DE") -> None:
        self._uow = uow_factory
        self._country = default_country

    # ---- the scan -------------------------------------------------------------------------

    def scan(
        self, kind: str = "contacts", progress: Progress | None = None
    ) -> list[DuplicateGroup]:
        """Groups of live contacts (or companies) that are probably one record, best first,
        each with its pairs' scores and reasons in words. Records in the Trash are left out."""
        check_kind(kind)
        report = progress or (lambda done, total: None)
        if kind == "companies":
            return self._scan_companies(report)
        return self._scan_contacts(report)

    def _scan_contacts(self, report: Progress) -> list[DuplicateGroup]:
        steps = 6
        report(0, steps)
        with self._uow.read() as uow:
            repo = uow.duplicates
            rows = repo.contacts()
            emails = repo.contact_emails()
            report(1, steps)
            phones = repo.contact_phones()
            roles = repo.contact_companies()
            links = repo.link_counts("contact_id")
            company_names = dict(uow.companies.names())
        report(2, steps)
        ids = [r[0] for r in rows]
        names = [display_name(r[1], r[2]) for r in rows]
        created = [r[3] for r in rows]
        index = {cid: i for i, cid in enumerate(ids)}
        pairs = Pairs()

        keys = [name_key(r[1], r[2]) for r in rows]

        def same(label: str, shown: Callable[[str], str], entries: list[tuple[str, str]]) -> None:
            by_key: dict[str, set[int]] = defaultdict(set)
            for cid, key in entries:
                i = index.get(cid)
                if i is not None:
                    by_key[key].add(i)
            score = SCORE_EMAIL if label == "e-mail" else SCORE_PHONE
            for key, members in by_key.items():
                if len(members) > 1:
                    unique = sorted(members, key=lambda i: (created[i], ids[i]))
                    reason = f"same {label} {shown(key)}"
                    if len(unique) <= SHARED_LINE_LIMIT:
                        pairs.star(unique, score, reason)
                    else:
                        _shared_line(
                            pairs,
                            unique,
                            keys,
                            score,
                            f"{reason} (shared by {len(unique)} contacts)",
                        )

        same("e-mail", str, [(c, e.strip().casefold()) for c, e in emails if "@" in e])
        report(3, steps)
        phone_key = PhoneKeys(self._country)
        keyed_phones = [(c, k) for c, n in phones for k in (phone_key(n),) if k]
        same("phone", pretty_phone, keyed_phones)
        report(4, steps)
        self._company_names(pairs, roles, index, keys, names, company_names)
        report(5, steps)
        self._similar_names(pairs, keys, names)
        groups = group_pairs("contacts", pairs, ids, names, self._keeper_order(ids, created, links))
        report(steps, steps)
        return groups

    @staticmethod
    def _keeper_order(
        ids: list[str], created: list[Any], links: dict[str, int]
    ) -> list[tuple[int, Any]]:
        """Sort keys of the records: the one with the most activities, deals and orders
        first (the one a merge should keep), then the oldest."""
        return [(-links.get(row_id, 0), when) for row_id, when in zip(ids, created, strict=True)]

    @staticmethod
    def _company_names(
        pairs: Pairs,
        roles: list[tuple[str, str]],
        index: dict[str, int],
        keys: list[str],
        names: list[str],
        company_names: dict[str, str],
    ) -> None:
        staff: dict[str, set[int]] = defaultdict(set)
        for cid, company_id in roles:
            i = index.get(cid)
            if i is not None and keys[i]:
                staff[company_id].add(i)
        for company_id, people in staff.items():
            if len(people) < 2:
                continue
            by_key: dict[str, list[int]] = defaultdict(list)
            for i in sorted(people):
                by_key[keys[i]].append(i)
            distinct = list(by_key)
            company = company_names.get(company_id, "")
            links = [(k, k, 100) for k in distinct if len(by_key[k]) > 1]
            links += [
                (distinct[a], distinct[b], score)
                for a, b, score in similar_pairs(distinct, COMPANY_NAME_THRESHOLD)
            ]
            for ka, kb, score in links:
                for a in by_key[ka]:
                    for b in by_key[kb]:
                        if a < b or ka != kb:
                            pairs.add(
                                a,
                                b,
                                round(score * SCORE_NAME / 100),
                                f"same company {company} and {names_alike(names, a, b, score)}",
                            )

    @staticmethod
    def _similar_names(pairs: Pairs, keys: list[str], names: list[str]) -> None:
        holders: dict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            if key:
                holders[key].append(i)
        rare = [k for k, members in holders.items() if len(members) <= COMMON_NAME_LIMIT]
        score_of = SCORE_NAME - 5  # a name alone is weaker than a name at the same company

        def link(a: int, b: int, similarity: int) -> None:
            pairs.add(
                a,
                b,
                round(similarity * score_of / 100),
                names_alike(names, a, b, similarity),
            )

        for key in rare:
            members = holders[key]
            for x, a in enumerate(members):
                for b in members[x + 1 :]:
                    link(a, b, 100)
        seen: set[tuple[str, str]] = set()
        for block in blocks(rare):
            for i, j, score in similar_pairs(block, NAME_THRESHOLD):
                ka, kb = block[i], block[j]
                if (ka, kb) in seen or (kb, ka) in seen:
                    continue
                seen.add((ka, kb))
                for a in holders[ka]:
                    for b in holders[kb]:
                        link(a, b, score)

    @staticmethod
    def _similar_company_names(
        pairs: Pairs, keyed: dict[tuple[str, str], list[int]], names: list[str], rank: list[int]
    ) -> None:
        """Company names alike apart from their legal form (a typo, a letter more)."""
        holders = {key: members for (what, key), members in keyed.items() if what == "bare"}
        seen: set[tuple[str, str]] = set()
        for block in blocks(holders):
            for i, j, score in similar_pairs(block, COMPANY_THRESHOLD):
                ka, kb = sorted((block[i], block[j]))
                if (ka, kb) not in seen:
                    seen.add((ka, kb))
                    a, b = sorted((holders[ka][0], holders[kb][0]), key=rank.__getitem__)
                    pairs.add(
                        a,
                        b,
                        round(score * SCORE_SIMILAR_COMPANY / 100),
                        f"similar names {score} %: {names[a]} / {names[b]}",
                    )

    def _scan_companies(self, report: Progress) -> list[DuplicateGroup]:
        steps = 3
        report(0, steps)
        with self._uow.read() as uow:
            repo = uow.duplicates
            rows = repo.companies()
            links = repo.link_counts("company_id")
        report(1, steps)
        ids = [r[0] for r in rows]
        names = [r[1] for r in rows]
        created = [r[6] for r in rows]
        order = sorted(range(len(ids)), key=lambda i: (created[i], ids[i]))
        phone_key = PhoneKeys(self._country)
        pairs = Pairs()
        keyed: dict[tuple[str, str], list[int]] = defaultdict(list)
        full_names = {}
        for i in order:
            _, domain, website, phone, email = rows[i][1:6]
            full, bare = company_keys(names[i])
            full_names[i] = full
            for what, key in (
                ("name", full),
                ("bare", bare),
                ("domain", web_host(domain)),
                ("domain", web_host(website)),
                ("phone", (phone_key(phone) or "") if phone.strip() else ""),
                ("e-mail", email.strip().casefold()),
            ):
                members = keyed[(what, key)] if key else None
                if members is not None and (not members or members[-1] != i):
                    members.append(i)
        report(2, steps)
        for (what, key), members in keyed.items():
            if len(members) < 2:
                continue
            if what == "name":
                pairs.star(members, SCORE_NAME, f"same name {names[members[0]]}")
            elif what == "bare":
                first = members[0]
                for other in members[1:]:
                    if full_names[other] != full_names[first]:
                        pairs.add(
                            first,
                            other,
                            SCORE_LEGAL_FORM,
                            f"same name apart from the legal form: {names[first]} / {names[other]}",
                        )
            elif what == "domain":
                pairs.star(members, SCORE_DOMAIN, f"same web domain {key}")
            elif what == "phone":
                pairs.star(
                    members,
                    SCORE_COMPANY_PHONE,
                    f"same phone {pretty_phone(key)}",
                )
            else:
                pairs.star(members, SCORE_COMPANY_EMAIL, f"same e-mail {key}")
        rank = [0] * len(ids)
        for position, i in enumerate(order):
            rank[i] = position
        self._similar_company_names(pairs, keyed, names, rank)
        groups = group_pairs(
            "companies", pairs, ids, names, self._keeper_order(ids, created, links)
        )
        report(steps, steps)
        return groups

    # ---- merging --------------------------------------------------------------------------

    def merge_preview(self, kind: str, keep_id: str, other_ids: Sequence[str]) -> MergePreview:
        """Each field's value in every record and whose is proposed (the kept record's
        unless it is empty), the lists the kept record will hold, and the rows that move."""
        return merging.preview(self._uow, check_kind(kind), keep_id, other_ids)

    def merge(
        self,
        kind: str,
        keep_id: str,
        other_ids: Sequence[str],
        choices: dict[str, Any] | None = None,
    ) -> MergeResult:
        """Merge the others into the kept record in one unit of work: chosen field values
        (a record id takes that record's value; anything else is the value itself), lists
        united, every linked row moved over, the others to the Trash with a note."""
        return merging.merge(self._uow, check_kind(kind), keep_id, other_ids, choices or {})

    def undo_merge(self, result: MergeResult) -> MergeResult:
        """Put everything back as it was before the merge (one unit of work): the others
        out of the Trash, every moved row back, the kept record's fields as they were.
        Returns the undo's own result; `undo_merge` of that one merges again (redo)."""
        return merging.undo(self._uow, result)

    # ---- the warning while typing ---------------------------------------------------------

    def similar_contacts(
        self, draft: ContactDraft, exclude_id: str | None = None, limit: int = 5
    ) -> list[DuplicateHit]:
        """Existing live contacts that look like the draft, with why."""
        hits: dict[str, DuplicateHit] = {}

        def add(contact_id: str, name: str, reason: str) -> None:
            if contact_id != exclude_id and contact_id not in hits:
                hits[contact_id] = DuplicateHit(contact_id, name, reason)

        with self._uow.read() as uow:
            for entry in draft.emails:
                if "@" in entry.email:
                    for c in uow.contacts.by_email(entry.email):
                        add(
                            c.id,
                            display_name(c.first_name, c.last_name),
                            f"same e-mail {entry.email.strip().lower()}",
                        )
            for phone in draft.phones:
                e164 = to_e164(phone.number, self._country)
                if e164 is None:
                    continue
                for contact_id, number in uow.contacts.phone_candidates(e164[-8:]):
                    if to_e164(number, self._country) == e164:
                        match = uow.contacts.get(contact_id)
                        if match is not None:
                            add(
                                match.id,
                                display_name(match.first_name, match.last_name),
                                f"same phone {e164}",
                            )
            wanted = fold(f"{draft.last_name} {draft.first_name}")
            if len(draft.last_name.strip()) >= 2 and draft.first_name.strip():
                for c in uow.contacts.by_sort_prefix(fold(draft.last_name)[:3]):
                    if SequenceMatcher(None, wanted, c.sort_name).ratio() >= NAME_SIMILARITY:
                        add(c.id, display_name(c.first_name, c.last_name), "similar name")
        return list(hits.values())[:limit]
