"""The folders of an IMAP LIST answer, as the e-mail account settings offer them: quoted
names unquoted, folders that cannot be selected left out."""

from __future__ import annotations

import pytest

from crm_desktop.services.imap import _folder_name


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (b'(\\HasNoChildren) "." INBOX', "INBOX"),
        (b'(\\HasNoChildren \\Sent) "/" "Sent Items"', "Sent Items"),
        (b'(\\HasNoChildren) "/" "Say \\"hi\\""', 'Say "hi"'),
        (b"(\\HasNoChildren) NIL Archive", "Archive"),
        (b'(\\Noselect \\HasChildren) "/" "[Gmail]"', ""),
        (b"garbage", ""),
        (None, ""),
    ],
)
def test_folder_names_from_the_list_answer(line: bytes | None, name: str) -> None:
    assert _folder_name(line) == name
