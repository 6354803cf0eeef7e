import pytest

from crm_desktop.domain.text import display_name, fold, initials, query_terms, search_text


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Müller", "muller"),
        ("MÜLLER", "muller"),
        ("Weiß", "weiss"),
        ("Łukasz  Wójcik", "lukasz wojcik"),
        ("Øvergaard", "overgaard"),
        ("Núñez", "nunez"),
        ("Çelik", "celik"),
        ("ДМИТРИЙ", "дмитрии"),
        ("東京", "東京"),
        ("  plain  ascii ", "plain ascii"),
    ],
)
def test_fold_ignores_case_and_accents_in_every_script(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_search_text_adds_the_german_transliteration() -> None:
    body = search_text("Jürgen", "Müller", "Köln")
    assert body.startswith("jurgen muller koln")
    assert {"juergen", "mueller", "koeln"} <= set(body.split())
    assert search_text("Anna", "Smith") == "anna smith"


def test_query_terms_are_folded_longest_first() -> None:
    assert query_terms("Anna MÜLLER an") == ["muller", "anna", "an"]


def test_display_name_is_never_empty() -> None:
    assert display_name("", "") == "(no name)"
    assert display_name("Anna", "") == "Anna"
    assert initials("Anna Maria Müller") == "AM"
