"""Search documents of contacts inserted in several batches of one unit of work (an
import, demo data), on both databases. PostgreSQL writes the documents of the batches
before the last while the next are prepared; a contact touched again later in the same
unit of work is indexed once more, from its rows."""

from __future__ import annotations

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft, EmailEntry, RoleEntry
from crm_desktop.persistence.models import Company, ContactEmail
from crm_desktop.persistence.records_map import insert_contacts

COMPANY = "0190e1c2-0000-7000-8000-0000000000c1"
LATER = "0190e1c2-0000-7000-8000-0000000000c2"


def _batch(start: int, count: int, company: str = COMPANY) -> list[ContactDraft]:
    return [
        ContactDraft(
            first_name=f"Person{n}",
            last_name="Kowalczyk" if n % 2 else "Ødegård",
            emails=(EmailEntry(f"person{n}@batch.example"),),
            roles=(RoleEntry(company, "Buyer"),) if n % 3 == 0 else (),
        )
        for n in range(start, start + count)
    ]


def _found(app: AppContext, query: str) -> set[str]:
    return {hit.id for hit in app.search.search(query, 500)}


def test_contacts_of_every_batch_are_found_once(app: AppContext) -> None:
    with app.uow() as uow:
        uow.insert_rows(Company, [{"id": COMPANY, "name": "Fjordlicht AS"}])
        first = insert_contacts(uow, _batch(0, 30))
        second = insert_contacts(uow, _batch(30, 30))
        # After the second batch began: a new e-mail for a contact of the first, and a
        # company rename through the ORM.
        uow.insert_rows(
            ContactEmail,
            [
                {
                    "id": "0190e1c2-0000-7000-8000-0000000000e1",
                    "contact_id": first[1],
                    "position": 1,
                    "email": "late@addition.example",
                    "label": "",
                }
            ],
        )
        company = uow.session.get(Company, COMPANY)
        assert company is not None
        company.name = "Polarstern AS"
        uow.insert_rows(Company, [{"id": LATER, "name": "Nordkapp Handel"}])
        third = insert_contacts(uow, _batch(60, 30, LATER))
        uow.commit()
    everyone = set(first + second + third)
    assert _found(app, "batch.example") == everyone
    assert _found(app, "person45@batch") == {second[15]}
    assert _found(app, "late@addition") == {first[1]}
    with_role = {cid for n, cid in enumerate(first + second + third) if n % 3 == 0}
    assert _found(app, "polarstern") >= {c for c in with_role if c not in third}
    assert _found(app, "nordkapp") >= {c for c in with_role if c in third}
    assert not _found(app, "fjordlicht") & everyone
    assert _found(app, "odegard") == {
        cid for n, cid in enumerate(first + second + third) if n % 2 == 0
    }
    before = {q: _found(app, q) for q in ("batch.example", "polarstern", "kowalczyk", "late")}
    with app.uow() as uow:
        assert uow.search is not None
        uow.search.rebuild()
        uow.commit()
    assert {q: _found(app, q) for q in before} == before
