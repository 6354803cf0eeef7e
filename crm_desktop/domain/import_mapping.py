"""Which column of an imported sheet fills which field: presets for the exports of
Google Contacts, Outlook (English and German) and Thunderbird, our own export, and a
guesser by header names in English and German.

A mapping is a dict from header to field key ("" or absent: not imported). Several
columns may map to the same list field (e-mails, phones, address parts): they are taken
in column order, and the n-th label column belongs to the n-th value column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Field keys and how a person reads them (for the mapping screen's choices).
CONTACT_FIELDS: dict[str, str] = {
    "id": "ID (update this record)",
    "first_name": "First name",
    "last_name": "Last name",
    "middle_name": "Middle name",
    "prefix": "Name prefix (Dr., Mr.)",
    "suffix": "Name suffix (Jr., Sr.)",
    "nickname": "Nickname",
    "full_name": "Full name (as written)",
    "email": "E-mail",
    "email_home": "E-mail (home)",
    "email_other": "E-mail (other)",
    "email_label": "E-mail label",
    "phone": "Phone",
    "phone_work": "Phone (work)",
    "phone_mobile": "Phone (mobile)",
    "phone_home": "Phone (home)",
    "phone_fax": "Fax",
    "phone_pager": "Pager",
    "phone_other": "Phone (other)",
    "phone_label": "Phone label",
    "company": "Company",
    "title": "Job title",
    "department": "Department",
    "role": "Role",
    "website": "Website",
    "street": "Street",
    "street2": "Street, second line",
    "city": "City",
    "region": "Region / state",
    "postcode": "Postcode",
    "country": "Country",
    "address_label": "Address label",
    "address_formatted": "Address (all in one)",
    "home_street": "Street (home)",
    "home_city": "City (home)",
    "home_region": "Region (home)",
    "home_postcode": "Postcode (home)",
    "home_country": "Country (home)",
    "home_street2": "Street, second line (home)",
    "other_street": "Street (other)",
    "other_city": "City (other)",
    "other_region": "Region (other)",
    "other_postcode": "Postcode (other)",
    "other_country": "Country (other)",
    "birthday": "Birthday",
    "birth_year": "Birth year",
    "birth_month": "Birth month",
    "birth_day": "Birth day",
    "anniversary": "Anniversary",
    "event": "Date (Google's events: the anniversary is kept)",
    "event_label": "Date label",
    "notes": "Notes",
    "tags": "Tags",
    "lead_source": "Lead source",
    "owner": "Owner",
}
COMPANY_FIELDS: dict[str, str] = {
    "id": "ID (update this record)",
    "name": "Name",
    "domain": "Domain",
    "industry": "Industry",
    "phone": "Phone",
    "email": "E-mail",
    "website": "Website",
    "street": "Street",
    "city": "City",
    "region": "Region / state",
    "postcode": "Postcode",
    "country": "Country",
    "notes": "Notes",
    "tags": "Tags",
    "lead_source": "Lead source",
    "owner": "Owner",
}
PRESETS = ("auto", "google", "outlook", "thunderbird", "crm", "generic")

# Headers of our own exports (exports.py writes these; the round trip reads them back).
OWN_CONTACT_HEADERS = {
    "ID": "id",
    "Prefix": "prefix",
    "First name": "first_name",
    "Middle name": "middle_name",
    "Last name": "last_name",
    "Suffix": "suffix",
    "Nickname": "nickname",
    "Display name": "full_name",
    "Department": "department",
    "Role": "role",
    "Anniversary": "anniversary",
    "Websites": "website",
    "Company": "company",
    "Title": "title",
    "Street": "street",
    "Postcode": "postcode",
    "City": "city",
    "Region": "region",
    "Country": "country",
    "Birthday": "birthday",
    "Lead source": "lead_source",
    "Owner": "owner",
    "Tags": "tags",
    "Notes": "notes",
}
OWN_COMPANY_HEADERS = {
    "ID": "id",
    "Name": "name",
    "Domain": "domain",
    "Industry": "industry",
    "Phone": "phone",
    "E-mail": "email",
    "Website": "website",
    "Street": "street",
    "Postcode": "postcode",
    "City": "city",
    "Region": "region",
    "Country": "country",
    "Lead source": "lead_source",
    "Owner": "owner",
    "Tags": "tags",
    "Notes": "notes",
}


def _key(header: str) -> str:
    """A header folded for matching: lower case, only letters and digits, single spaces."""
    return " ".join(re.sub(r"[^0-9a-zäöüß]+", " ", header.lower()).split())


# Exact (folded) header names, English and German, from the common exports and by hand.
_NAMES: dict[str, str] = {
    # names
    "first name": "first_name", "given name": "first_name", "firstname": "first_name",
    "vorname": "first_name", "prénom": "first_name", "prenom": "first_name",
    "last name": "last_name", "family name": "last_name", "surname": "last_name",
    "lastname": "last_name", "nachname": "last_name", "familienname": "last_name",
    "middle name": "middle_name", "additional name": "middle_name",
    "weitere vornamen": "middle_name", "zweiter vorname": "middle_name",
    "name prefix": "prefix", "prefix": "prefix", "anrede": "prefix", "salutation": "prefix",
    "name suffix": "suffix", "suffix": "suffix", "namenszusatz": "suffix",
    "nickname": "nickname", "spitzname": "nickname", "short name": "nickname",
    "name": "full_name", "full name": "full_name", "display name": "full_name",
    "contact name": "full_name", "file as": "",
    "anzeigename": "full_name", "vollständiger name": "full_name", "kontakt": "full_name",
    # e-mail
    "e mail": "email", "email": "email", "e mail address": "email", "email address": "email",
    "e mail adresse": "email", "primary email": "email", "e mail 2 address": "email",
    "e mail 3 address": "email", "e mail 2 adresse": "email", "e mail 3 adresse": "email",
    "secondary email": "email", "work email": "email", "e mail geschäftlich": "email",
    "contact email": "email", "contact e mail": "email", "other email": "email_other",
    "primäre e mail adresse": "email", "sekundäre e mail adresse": "email", "mail": "email",
    "home email": "email_home", "private email": "email_home", "e mail privat": "email_home",
    # phones
    "phone": "phone", "telephone": "phone", "telefon": "phone", "phone number": "phone",
    "telefonnummer": "phone", "tel": "phone", "primary phone": "phone",
    "business phone": "phone_work", "business phone 2": "phone_work", "work phone": "phone_work",
    "company main phone": "phone_work", "telefon geschäftlich": "phone_work",
    "telefon geschäftlich 2": "phone_work", "tel dienstlich": "phone_work",
    "mobile phone": "phone_mobile", "mobile": "phone_mobile", "mobile number": "phone_mobile",
    "cell phone": "phone_mobile", "mobiltelefon": "phone_mobile", "handy": "phone_mobile",
    "mobil": "phone_mobile", "mobil tel nr": "phone_mobile", "mobilnummer": "phone_mobile",
    "contact phone": "phone",
    "home phone": "phone_home", "home phone 2": "phone_home", "telefon privat": "phone_home",
    "tel privat": "phone_home", "private phone": "phone_home",
    "business fax": "phone_fax", "fax": "phone_fax", "fax number": "phone_fax",
    "fax geschäftlich": "phone_fax", "fax nummer": "phone_fax", "home fax": "phone_fax",
    "other fax": "phone_fax", "pager": "phone_pager", "pager number": "phone_pager",
    "other phone": "phone_other", "car phone": "phone_other", "callback": "phone_other",
    "radio phone": "phone_other", "isdn": "phone_other", "assistant s phone": "phone_other",
    "tty tdd phone": "phone_other", "telex": "phone_other",
    # organisation
    "company": "company", "organization": "company", "organisation": "company",
    "company name": "company", "firma": "company", "unternehmen": "company",
    "organization name": "company", "organization 1 name": "company", "firmenname": "company",
    "business": "company", "business name": "company",
    "department": "department", "abteilung": "department",
    "organization department": "department", "organization 1 department": "department",
    "role": "role", "profession": "role", "beruf": "role",
    "organization job description": "role", "organization 1 job description": "role",
    "job title": "title", "title": "title", "position": "title", "organization title": "title",
    "organization 1 title": "title", "berufsbezeichnung": "title", "funktion": "title",
    "jobtitel": "title",
    # addresses
    "street": "street", "straße": "street", "strasse": "street", "address": "street",
    "adresse": "street", "business street": "street", "work address": "street",
    "straße geschäftlich": "street", "address 1 street": "street", "address 2 street": "street",
    "city": "city", "ort": "city", "stadt": "city", "town": "city", "business city": "city",
    "work city": "city", "ort geschäftlich": "city", "address 1 city": "city",
    "address 2 city": "city",
    "state": "region", "region": "region", "province": "region", "bundesland": "region",
    "business state": "region", "work state": "region", "region geschäftlich": "region",
    "address 1 region": "region", "address 2 region": "region",
    "zip": "postcode", "zip code": "postcode", "postcode": "postcode", "postal code": "postcode",
    "plz": "postcode", "postleitzahl": "postcode", "business postal code": "postcode",
    "work zipcode": "postcode", "postleitzahl geschäftlich": "postcode",
    "address 1 postal code": "postcode", "address 2 postal code": "postcode",
    "country": "country", "land": "country", "business country region": "country",
    "work country": "country", "land region geschäftlich": "country",
    "address 1 country": "country", "address 2 country": "country",
    "address 1 type": "address_label", "address 1 label": "address_label",
    "address 1 formatted": "address_formatted", "address 2 formatted": "address_formatted",
    "work address 2": "street2", "business street 2": "street2", "business street 3": "street2",
    "address 1 extended address": "street2", "home address 2": "home_street2",
    "home street 2": "home_street2", "home street 3": "home_street2",
    "other street": "other_street", "other city": "other_city", "other state": "other_region",
    "other postal code": "other_postcode", "other country region": "other_country",
    "address 2 type": "address_label", "address 2 label": "address_label",
    "home street": "home_street", "home address": "home_street", "straße privat": "home_street",
    "home city": "home_city", "ort privat": "home_city",
    "home state": "home_region", "region privat": "home_region",
    "home postal code": "home_postcode", "home zipcode": "home_postcode",
    "postleitzahl privat": "home_postcode",
    "home country region": "home_country", "home country": "home_country",
    "land region privat": "home_country",
    # the rest
    "birthday": "birthday", "geburtstag": "birthday", "date of birth": "birthday",
    "geburtsdatum": "birthday", "birth date": "birthday",
    "birth year": "birth_year", "birth month": "birth_month", "birth day": "birth_day",
    "anniversary": "anniversary", "jahrestag": "anniversary", "wedding anniversary": "anniversary",
    "notes": "notes", "note": "notes", "notizen": "notes", "notiz": "notes",
    "bemerkung": "notes", "bemerkungen": "notes", "kommentar": "notes", "comments": "notes",
    "tags": "tags", "tag": "tags", "categories": "tags", "kategorien": "tags",
    "labels": "tags", "group membership": "tags", "gruppen": "tags", "schlagworte": "tags",
    "lead source": "lead_source", "source": "lead_source", "quelle": "lead_source",
    "owner": "owner", "betreuer": "owner", "verantwortlich": "owner", "account manager": "owner",
    "website": "website", "web page": "website", "webseite": "website", "homepage": "website",
    "web page 1": "website", "web page 2": "website", "website 1 value": "website",
    "website 2 value": "website", "url": "website", "personal website": "website",
    "business website": "website", "webseite geschäftlich": "website",
    "id": "id",
}  # fmt: skip

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^e ?mail \d+ (value|address|adresse)$"), "email"),
    (re.compile(r"^e ?mail \d+ (type|label)$"), "email_label"),
    (re.compile(r"^e ?mail( \d+)?$"), "email"),
    (re.compile(r"^phone \d+ value$"), "phone"),
    (re.compile(r"^phone \d+ (type|label)$"), "phone_label"),
    (re.compile(r"^(phone|telefon)( \d+)?$"), "phone"),
    (re.compile(r"^address \d+ street$"), "street"),
    (re.compile(r"^address \d+ city$"), "city"),
    (re.compile(r"^address \d+ region$"), "region"),
    (re.compile(r"^address \d+ postal code$"), "postcode"),
    (re.compile(r"^address \d+ country$"), "country"),
    (re.compile(r"^address \d+ (type|label)$"), "address_label"),
    (re.compile(r"^organization \d+ name$"), "company"),
    (re.compile(r"^organization \d+ title$"), "title"),
    (re.compile(r"^website \d+ value$"), "website"),
    (re.compile(r"^event \d+ (label|type)$"), "event_label"),
    (re.compile(r"^event \d+ value$"), "event"),
    (re.compile(r"^address \d+ formatted$"), "address_formatted"),
)

# Header names that mean something else in one preset.
# (Outlook's "Title" is the form of address: Mr., Dr.)
_OUTLOOK_OVERRIDES = {
    "title": "prefix", "anrede": "prefix", "e mail type": "", "e mail display name": "",
    "e mail 2 type": "", "e mail 2 display name": "", "e mail 3 type": "",
    "e mail 3 display name": "", "ort": "", "location": "",
}  # fmt: skip
_GOOGLE_SKIP = re.compile(
    r"^(organization \d+ (yomi name|type|symbol|location)|website \d+ (type|label)"
    r"|phone \d+ .*|e ?mail \d+ .*)$"
)
_COMPANY_ONLY = {"website", "industry", "domain", "branche", "web page", "webseite", "homepage"}
_COMPANY_NAMES = {
    "name": "name", "company": "name", "company name": "name", "firma": "name",
    "firmenname": "name", "organization": "name", "organisation": "name",
    "unternehmen": "name", "industry": "industry", "branche": "industry", "domain": "domain",
    "e mail": "email", "email": "email", "e mail adresse": "email", "telefon": "phone",
    "phone": "phone",
}  # fmt: skip


def guess_contact_field(header: str, preset: str = "generic") -> str:
    """The contact field a column of this name fills ("" if none)."""
    key = _key(header)
    if preset == "outlook" and key in _OUTLOOK_OVERRIDES:
        return _OUTLOOK_OVERRIDES[key]
    if key in _NAMES:
        return _NAMES[key]
    for pattern, target in _PATTERNS:
        if pattern.match(key):
            return target
    if preset == "google" and _GOOGLE_SKIP.match(key):
        return ""
    return ""


def guess_company_field(header: str) -> str:
    """The company field a column of this name fills ("" if none)."""
    key = _key(header)
    if key in _COMPANY_NAMES:
        return _COMPANY_NAMES[key]
    field = _NAMES.get(key, "")
    if not field:
        for pattern, target in _PATTERNS:
            if pattern.match(key):
                field = target
                break
    field = {"phone_work": "phone", "company": "name"}.get(field, field)
    return field if field in COMPANY_FIELDS else ""


def detect_preset(headers: Sequence[str]) -> str:
    """Which program's export a header row looks like ("generic" when none)."""
    keys = {_key(h) for h in headers}
    if {"id", "first name", "last name", "updated"} <= keys or {"id", "name", "updated"} <= keys:
        return "crm"
    if any(re.match(r"^(e ?mail|phone) \d+ value$", k) for k in keys):
        return "google"
    outlook = {"e mail address", "business phone", "mobile phone", "job title"}
    outlook_de = {"e mail adresse", "telefon geschäftlich", "mobiltelefon", "position"}
    if len(keys & outlook) >= 2 or len(keys & outlook_de) >= 2:
        return "outlook"
    if {"primary email", "display name"} <= keys:
        return "thunderbird"
    return "generic"


def detect_kind(headers: Sequence[str]) -> str:
    """ "companies" for a sheet of organisations (a name and company columns, no person's
    name or e-mail column), else "contacts"."""
    keys = {_key(h) for h in headers}
    person = {"first name", "last name", "given name", "family name", "vorname", "nachname"}
    if keys & person:
        return "contacts"
    names = {"name", "company", "company name", "firma", "firmenname", "organization"}
    if keys & names and keys & _COMPANY_ONLY:
        return "companies"
    return "contacts"


def guess_mapping(headers: Sequence[str], kind: str, preset: str = "auto") -> dict[str, str]:
    """Header -> field for every header (unknown ones map to "")."""
    if preset == "auto":
        preset = detect_preset(headers)
    if kind == "companies":
        own = OWN_COMPANY_HEADERS if preset == "crm" else {}
        return {h: own.get(h) or guess_company_field(h) for h in headers}
    own = OWN_CONTACT_HEADERS if preset == "crm" else {}
    guessed = {h: own.get(h) or guess_contact_field(h, preset) for h in headers}
    return {h: f if f in CONTACT_FIELDS else "" for h, f in guessed.items()}
