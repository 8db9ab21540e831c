"""CSV import: every row valid or nothing imported, with the line and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadenza_enrollment.domain.prospects import parse_prospects_csv
from cadenza_shared.errors import InvalidInput

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def test_example_prospects__all_valid_with_extra_columns_kept_for_templates():
    prospects = parse_prospects_csv((EXAMPLES / "prospects.csv").read_bytes())
    assert len(prospects) == 48
    assert all(p.template_fields().get("industry") for p in prospects)
    assert sum(1 for p in prospects if p.timezone is None) == 3


def test_bad_timezone_on_line_3__names_line_and_field():
    csv = b"email,first_name,timezone\nana@contoso.example,Ana,Europe/Paris\nbo@contoso.example,Bo,Europe/Atlantis\n"
    with pytest.raises(InvalidInput) as err:
        parse_prospects_csv(csv)
    assert err.value.details[0] == {"line": 3, "field": "timezone", "reason": "'Europe/Atlantis' is not an IANA timezone name"}


def test_every_bad_row__is_listed():
    csv = b"email,country\nnot-an-email,US\nok@contoso.example,USA\nok@contoso.example,US\n"
    with pytest.raises(InvalidInput) as err:
        parse_prospects_csv(csv)
    assert [(d["line"], d["field"]) for d in err.value.details] == [(2, "email"), (3, "country")]


def test_duplicate_email__names_the_first_line():
    csv = b"email\nsam@contoso.example\nSAM@contoso.example\n"
    with pytest.raises(InvalidInput) as err:
        parse_prospects_csv(csv)
    assert err.value.details[0]["reason"] == "duplicate of line 2"


@pytest.mark.parametrize(
    ("content", "field"),
    [(b"", "file"), (b"name\nAna\n", "header"), (b"\xff\xfe\x00bad", "file"), (b"email,email\na@b.example,c@d.example\n", "header")],
)
def test_unreadable_file__rejected_with_the_reason(content, field):
    with pytest.raises(InvalidInput) as err:
        parse_prospects_csv(content)
    assert err.value.field == field


def test_row_with_too_many_values__rejected():
    with pytest.raises(InvalidInput) as err:
        parse_prospects_csv(b"email,first_name\nana@contoso.example,Ana,extra\n")
    assert err.value.details[0]["field"] == "row"
