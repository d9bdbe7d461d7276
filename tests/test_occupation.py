"""SOC codes: malformed and unknown codes are refused with a message that helps."""

import pytest

from pipeline.occupation import OccupationError, check_format, closest_codes, resolve

KNOWN = {
    "29-1122": "Occupational Therapists",
    "29-1123": "Physical Therapists",
    "29-1127": "Speech-Language Pathologists",
    "29-1129": "Therapists, All Other",
    "31-2011": "Occupational Therapy Assistants",
    "15-1252": "Software Developers",
}


@pytest.mark.parametrize("bad", ["291122", "29-112", "29_1122", "OT", "29-11222", ""])
def test_malformed_codes_are_refused_and_named(bad):
    with pytest.raises(OccupationError) as err:
        check_format(bad)
    assert repr(bad.strip()) in str(err.value)
    assert "29-1122" in str(err.value)


def test_six_digits_without_hyphen_get_a_suggestion():
    with pytest.raises(OccupationError, match="Did you mean 29-1122"):
        check_format("291122")


def test_unknown_code_suggests_nearest_in_the_same_group():
    with pytest.raises(OccupationError) as err:
        resolve("29-1121", KNOWN)
    message = str(err.value)
    assert "29-1121" in message and "29-1122 (Occupational Therapists)" in message
    assert closest_codes("29-1121", KNOWN)[:2] == ["29-1122", "29-1123"]


def test_known_code_returns_its_official_title():
    assert resolve("29-1123", KNOWN) == "Physical Therapists"
