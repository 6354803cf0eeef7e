"""The matching behind the duplicate scan: keys, blocking and rapidfuzz comparisons."""

from __future__ import annotations

import random

from rapidfuzz import fuzz

from crm_desktop.domain.matching import (
    PhoneKeys,
    block_keys,
    blocks,
    company_keys,
    name_key,
    similar_pairs,
    web_host,
)


def test_name_keys() -> None:
    assert name_key("Anna", "Müller") == name_key("ANNA", "Mueller") == "anna mueller"
    assert name_key("", "Müller, Anna") == name_key("Müller", "Anna") == "anna mueller"
    assert name_key("Siobhán", "O'Brien") == "obrien siobhan"
    assert name_key("Łukasz", "Wójcik") == "lukasz wojcik"
    assert name_key("", "") == ""


def test_company_keys_drop_the_legal_form() -> None:
    assert company_keys("Lindenhof GmbH") == ("lindenhof gmbh", "lindenhof")
    assert company_keys("Nord Logistics Sp. z o.o.")[1] == "nord logistics"
    assert company_keys("Birch Labs Pvt Ltd")[1] == "birch labs"
    assert company_keys("AB Bygg AB")[1] == "ab bygg"  # only at the end
    assert company_keys("GmbH")[1] == "gmbh"  # never empty


def test_web_hosts() -> None:
    assert web_host("https://www.Lindenhof.de/kontakt") == "lindenhof.de"
    assert web_host("lindenhof.de") == web_host("www.lindenhof.de") == "lindenhof.de"
    assert web_host("gmail.com") == web_host("") == web_host("localhost") == ""


def test_phone_keys_are_e164() -> None:
    key = PhoneKeys("DE")
    assert key("030 1234567") == key("+49 30 1234567") == key("0049 (30) 123-4567")
    assert key("+49 (0)30 1234567") == "+49301234567"
    assert key("not a number") is None


def test_a_typo_in_one_word_shares_a_block() -> None:
    rng = random.Random(5)
    words = ["anna", "mueller", "lukas", "schaefer", "li", "ng", "oberhauser", "jo"]
    for _ in range(500):
        right = " ".join(sorted(rng.sample(words, 2)))
        at = rng.randrange(len(right))
        if right[at] == " ":
            continue
        typo = " ".join(sorted((right[:at] + rng.choice("xyz") + right[at + 1 :]).split()))
        assert block_keys(right) & block_keys(typo), (right, typo)
    assert blocks(["anna mueller", "anna muller", "carl weber"]) == [
        ["anna mueller", "anna muller"]
    ]


def test_similar_pairs_find_what_comparing_everything_finds() -> None:
    rng = random.Random(3)
    keys: list[str] = []
    for _ in range(120):
        base = "".join(rng.choice("abcdefgh ") for _ in range(rng.randint(2, 30)))
        keys.append(base)
        for _ in range(3):
            chars = list(base)
            for _ in range(rng.randint(1, 2)):
                at = rng.randrange(len(chars) + 1)
                choice = rng.random()
                if choice < 0.33 or at == len(chars):
                    chars.insert(at, rng.choice("abc"))
                elif choice < 0.66:
                    chars[at] = rng.choice("xyz")
                else:
                    del chars[at]
            keys.append("".join(chars))
    keys = list(dict.fromkeys(keys))
    for cutoff in (85, 88, 93):
        found = {(i, j): score for i, j, score in similar_pairs(keys, cutoff)}
        everything = {
            (i, j): round(fuzz.ratio(keys[i], keys[j]))
            for i in range(len(keys))
            for j in range(i + 1, len(keys))
            if fuzz.ratio(keys[i], keys[j]) >= cutoff
        }
        assert found == everything
        assert len(found) > 100
        for start in range(0, 60, 3):  # a few keys at a time: compared pair by pair
            few = keys[start : start + rng.randint(2, 8)]
            assert {(i, j) for i, j, _ in similar_pairs(few, cutoff)} == {
                (i, j)
                for i in range(len(few))
                for j in range(i + 1, len(few))
                if fuzz.ratio(few[i], few[j]) >= cutoff
            }
