import pytest

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import CompanyDraft, ContactDraft, EmailEntry


def test_a_contact_needs_a_name_or_an_email() -> None:
    with pytest.raises(ValidationError, match="name or an e-mail"):
        ContactDraft().validated()
    assert ContactDraft(emails=(EmailEntry("a@b.example"),)).validated()


def test_a_bad_email_is_refused_with_the_address_in_the_message() -> None:
    with pytest.raises(ValidationError, match="not-an-address"):
        ContactDraft(first_name="A", emails=(EmailEntry("not-an-address"),)).validated()


def test_a_company_needs_a_name() -> None:
    with pytest.raises(ValidationError, match="company needs a name"):
        CompanyDraft(name="  ").validated()


def test_changesets_merge_and_answer_what_changed() -> None:
    merged = ChangeSet.of("contacts", ["a"]) | ChangeSet.of("contacts", ["b"])
    merged |= ChangeSet.of("deals", ["d"])
    assert merged.ids("contacts") == {"a", "b"}
    assert merged.touches("deals")
    assert not merged.touches("companies")
    assert not ChangeSet()
