"""A new deal's defaults (DealService.new_draft)."""

from __future__ import annotations

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import CompanyDraft, ContactDraft, RoleEntry


def test_no_pipeline_yet(app: AppContext) -> None:
    with pytest.raises(ValidationError, match="no pipeline"):
        app.deals.new_draft()


def test_new_draft_defaults(app: AppContext) -> None:
    app.pipeline.create_pipeline("Sales")
    projects = app.pipeline.create_pipeline(
        "Projects", [("Won", 100, 0, "won"), ("Briefing", 20, 7, "open")]
    ).id
    me = app.users.create_me("Grace").id
    first = app.companies.create(CompanyDraft(name="Analytical Engines")).id
    other = app.companies.create(CompanyDraft(name="Difference Ltd")).id
    ada = app.contacts.create(
        ContactDraft(
            first_name="Ada",
            roles=(RoleEntry(first, "Countess", ""), RoleEntry(other, "Adviser", "")),
        )
    ).id

    plain = app.deals.new_draft()
    sales = app.pipeline.pipelines()[0]
    assert (plain.pipeline_id, plain.stage_id) == (sales.id, sales.stages[0].id)
    assert (plain.currency, plain.owner_id, plain.contact_id) == ("EUR", me, None)

    app.settings.set("currency", "CHF")
    draft = app.deals.new_draft(projects, ada)
    briefing = next(s for s in app.pipeline.pipelines()[1].stages if s.name == "Briefing")
    assert (draft.pipeline_id, draft.stage_id) == (projects, briefing.id)  # first *open*
    assert (draft.currency, draft.contact_id, draft.company_id) == ("CHF", ada, first)
    assert draft.title == ""

    with pytest.raises(NotFoundError):
        app.deals.new_draft("no-such-pipeline")
