"""Behaviour of the prospect time zone inference (cadenza_shared.timezones)."""

from __future__ import annotations

import importlib.util
import sys
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadenza_shared import timezones
from cadenza_shared.timezones import (
    DOMINANT_ZONE,
    SOURCES,
    country_zone_groups,
    country_zones,
    infer_timezone,
    normalize_country,
    region_code,
    region_from_fields,
    region_zone,
)

DEFAULT = "America/New_York"


def infer(country=None, region=None, phone=None, default=DEFAULT, timezone=None):
    return infer_timezone(country=country, region=region, phone=phone, default=default, timezone=timezone)


def same_clock(a: str, b: str) -> bool:
    return timezones._signature(a) == timezones._signature(b)


needs_phonenumbers = pytest.mark.skipif(importlib.util.find_spec("phonenumbers") is None, reason="phonenumbers is not installed")


# --------------------------------------------------------------------------------------------- #
# Named cases, in the order the rules apply
# --------------------------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        pytest.param({"timezone": "Europe/Paris", "country": "US", "region": "CA"}, ("Europe/Paris", "prospect"), id="prospect_zone_wins"),
        pytest.param({"timezone": "Mars/Olympus", "country": "DE"}, ("Europe/Berlin", "country"), id="unknown_prospect_zone_is_ignored"),
        pytest.param({"country": "DE"}, ("Europe/Berlin", "country"), id="germany_single_zone_busingen_grouped"),
        pytest.param({"country": "de"}, ("Europe/Berlin", "country"), id="lower_case_code"),
        pytest.param({"country": "Germany"}, ("Europe/Berlin", "country"), id="english_country_name"),
        pytest.param({"country": "UK"}, ("Europe/London", "country"), id="uk_alias_of_gb"),
        pytest.param({"country": "IN"}, ("Asia/Kolkata", "country"), id="india_half_hour_offset"),
        pytest.param({"country": "NP"}, ("Asia/Kathmandu", "country"), id="nepal_45_minute_offset"),
        pytest.param({"country": "AR"}, ("America/Argentina/Buenos_Aires", "country"), id="argentina_zones_keep_one_clock"),
        pytest.param({"country": "FR", "region": "Bretagne"}, ("Europe/Paris", "country"), id="single_zone_ignores_region"),
        pytest.param({"country": "US", "region": "CA"}, ("America/Los_Angeles", "region"), id="us_state_code"),
        pytest.param({"country": "US", "region": "US-CA"}, ("America/Los_Angeles", "region"), id="us_iso_3166_2_code"),
        pytest.param({"country": "US", "region": " california "}, ("America/Los_Angeles", "region"), id="us_state_name_any_case"),
        pytest.param({"country": "US", "region": "Texas"}, ("America/Chicago", "region"), id="texas_central"),
        pytest.param({"country": "US", "region": "AZ"}, ("America/Phoenix", "region"), id="arizona_no_dst"),
        pytest.param({"country": "US", "region": "Washington"}, ("America/Los_Angeles", "region"), id="washington_state"),
        pytest.param({"country": "US", "region": "Washington DC"}, ("America/New_York", "region"), id="washington_dc"),
        pytest.param({"country": "CA", "region": "Québec"}, ("America/Toronto", "region"), id="quebec_with_accent"),
        pytest.param({"country": "CA", "region": "NL"}, ("America/St_Johns", "region"), id="newfoundland_half_hour"),
        pytest.param({"country": "CA", "region": "Saskatchewan"}, ("America/Regina", "region"), id="saskatchewan_no_dst"),
        pytest.param({"country": "AU", "region": "NSW"}, ("Australia/Sydney", "region"), id="new_south_wales"),
        pytest.param({"country": "AU", "region": "South Australia"}, ("Australia/Adelaide", "region"), id="south_australia_half_hour"),
        pytest.param({"country": "AU", "region": "QLD"}, ("Australia/Brisbane", "region"), id="queensland_no_dst"),
        pytest.param({"country": "BR", "region": "São Paulo"}, ("America/Sao_Paulo", "region"), id="sao_paulo"),
        pytest.param({"country": "BR", "region": "AM"}, ("America/Manaus", "region"), id="amazonas"),
        pytest.param({"country": "MX", "region": "Baja California"}, ("America/Tijuana", "region"), id="baja_california"),
        pytest.param({"country": "MX", "region": "Baja California Sur"}, ("America/Mazatlan", "region"), id="baja_california_sur"),
        pytest.param({"country": "ES", "region": "Canarias"}, ("Atlantic/Canary", "region"), id="canary_islands"),
        pytest.param({"country": "ES", "region": "Galicia"}, ("Europe/Madrid", "country"), id="spain_dominant_zone"),
        pytest.param({"country": "CN"}, ("Asia/Shanghai", "country"), id="china_dominant_zone"),
        pytest.param({"country": "US"}, (DEFAULT, "cadence_default"), id="us_without_region_or_phone"),
        pytest.param({"country": "AU", "region": "Atlantis"}, (DEFAULT, "cadence_default"), id="unknown_region"),
        pytest.param({"country": "XX"}, (DEFAULT, "cadence_default"), id="unknown_country"),
        pytest.param({}, (DEFAULT, "cadence_default"), id="nothing_given"),
        pytest.param({"country": "US", "default": "Europe/Berlin"}, ("Europe/Berlin", "cadence_default"), id="cadence_default_is_used"),
    ],
)
def test_named_case(kwargs, expected):
    assert infer(**kwargs) == expected


@needs_phonenumbers
@pytest.mark.parametrize(
    "kwargs,expected",
    [
        pytest.param({"country": "US", "phone": "+1 415 555 0100"}, ("America/Los_Angeles", "phone"), id="us_area_code_415"),
        pytest.param({"country": "US", "phone": "(307) 555-0100"}, ("America/Denver", "phone"), id="national_format_with_country"),
        pytest.param({"country": "US", "phone": "+1 800 555 0100"}, (DEFAULT, "cadence_default"), id="toll_free_tells_nothing"),
        pytest.param({"country": "US", "phone": "+44 20 7946 0958"}, (DEFAULT, "cadence_default"), id="phone_of_another_country_ignored"),
        pytest.param(
            {"country": "US", "region": "TX", "phone": "+1 415 555 0100"}, ("America/Chicago", "region"), id="region_before_phone"
        ),
        pytest.param({"phone": "+49 30 5550 1234"}, ("Europe/Berlin", "phone"), id="phone_tells_single_zone_country"),
        pytest.param({"phone": "+1 416 555 0100"}, ("America/Toronto", "phone"), id="phone_without_country_toronto"),
        pytest.param({"phone": "+1 415 555 0100", "region": "TX"}, ("America/Chicago", "region"), id="phone_country_with_region"),
        pytest.param({"country": "ES", "phone": "+34 928 123 456"}, ("Atlantic/Canary", "phone"), id="canary_landline"),
        pytest.param({"country": "AU", "phone": "+61 2 9374 4000"}, ("Australia/Sydney", "phone"), id="sydney_landline"),
        pytest.param({"country": "AU", "phone": "+61 8 9222 1234"}, (DEFAULT, "cadence_default"), id="area_code_8_spans_three_zones"),
        pytest.param({"phone": "555 0100"}, (DEFAULT, "cadence_default"), id="national_number_without_country"),
        pytest.param({"phone": "not a number"}, (DEFAULT, "cadence_default"), id="garbage"),
    ],
)
def test_named_phone_case(kwargs, expected):
    assert infer(**kwargs) == expected


def test_without_phonenumbers__calling_code_still_tells_a_single_zone_country(monkeypatch):
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # import raises ImportError
    assert infer(phone="+49 30 5550 1234") == ("Europe/Berlin", "phone")
    assert infer(phone="0049 30 5550 1234") == ("Europe/Berlin", "phone")
    assert infer(phone="+34 928 123 456") == ("Europe/Madrid", "phone")  # dominant zone: no area codes without the library
    assert infer(phone="+1 415 555 0100") == (DEFAULT, "cadence_default")  # +1 is many countries
    assert infer(phone="030 5550 1234") == (DEFAULT, "cadence_default")


def test_unknown_default__is_rejected_naming_the_field():
    with pytest.raises(ValueError, match="default"):
        infer(default="Mars/Olympus")
    with pytest.raises(ValueError, match="default"):
        infer(country="DE", default="")


# --------------------------------------------------------------------------------------------- #
# Tables
# --------------------------------------------------------------------------------------------- #


TERRITORIES = {"PR", "GU", "VI", "AS", "MP"}


@pytest.mark.parametrize("cc", sorted(timezones._REGIONS))
def test_region_table__every_zone_is_real_and_inside_its_country(cc):
    for code, zone, names in timezones._REGIONS[cc]:
        ZoneInfo(zone)
        # US territories (PR, GU, VI, AS, MP) have their own ISO country code and zone.tab rows
        assert in_country(zone, cc), (cc, code, zone)
        for name in (code, f"{cc}-{code}", *names):
            assert region_zone(cc, name) == zone, (cc, name)
            assert region_code(cc, name) == code


def test_dominant_zones__belong_to_multi_zone_countries():
    for cc, zone in DOMINANT_ZONE.items():
        assert zone in country_zones(cc), cc
        assert len(country_zone_groups(cc)) > 1, f"{cc} has one zone: no need for a dominant one"


def test_country_zone_groups__group_zones_that_keep_the_same_clock():
    assert country_zone_groups("DE") == (("Europe/Berlin", "Europe/Busingen"),)
    us = country_zone_groups("US")
    assert us[0][0] == "America/New_York" and "America/Detroit" in us[0]
    assert ("America/Phoenix",) in us  # no DST: its own group
    assert country_zone_groups("XX") == ()


def test_region_code__codes_names_and_pass_through():
    assert region_code("US", "US-CA") == "CA"
    assert region_code("BR", "Bahia") == "BA"
    assert region_code("DE", "DE-BY") == "BY"  # not in the table: a code-looking value is passed through
    assert region_code("DE", "by") == "BY"
    assert region_code("DE", "Freistaat Bayern") is None
    assert region_code(None, "CA") is None
    assert region_code("US", "") is None


def test_region_from_fields__first_of_subdivision_region_state_province_any_case():
    assert region_from_fields({"State": "Texas", "company_size": "50"}) == "Texas"
    assert region_from_fields({"province": " QC ", "region": "Quebec"}) == "Quebec"
    assert region_from_fields({"region": "", "state": "CA"}) == "CA"
    assert region_from_fields({"state": 7}) is None
    assert region_from_fields({}) is None
    assert region_from_fields(None) is None


def test_normalize_country():
    assert normalize_country("gb") == "GB"
    assert normalize_country("United Kingdom") == "GB"
    assert normalize_country("Brasil") == "BR"
    assert normalize_country("Xx") is None
    assert normalize_country("") is None
    assert normalize_country(None) is None


# --------------------------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------------------------- #

COUNTRIES = sorted(timezones._zone_tab())
REGION_NAMES = sorted({name for rows in timezones._REGIONS.values() for code, _, names in rows for name in (code, *names)})
PHONES = [
    "+1 415 555 0100",
    "+1 416 555 0100",
    "+1 800 555 0100",
    "+44 20 7946 0958",
    "+61 8 9222 1234",
    "+34 928 123 456",
    "+55 11 3333 4444",
    "+7 495 123 4567",
    "+49 30 5550 1234",
    "12",
    "+",
    "abc",
]
DEFAULTS = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"]


def in_country(zone: str, cc: str) -> bool:
    owners = [cc, *TERRITORIES] if cc == "US" else [cc]
    return any(same_clock(zone, g[0]) for owner in owners for g in country_zone_groups(owner))


inputs = st.fixed_dictionaries(
    {
        "country": st.one_of(st.none(), st.sampled_from(COUNTRIES), st.text(max_size=4)),
        "region": st.one_of(st.none(), st.sampled_from(REGION_NAMES), st.text(max_size=6)),
        "phone": st.one_of(st.none(), st.sampled_from(PHONES), st.text(max_size=12)),
        "default": st.sampled_from(DEFAULTS),
    }
)


@settings(max_examples=300, deadline=None)
@given(kw=inputs)
def test_property__always_a_real_zone_with_a_known_source_deterministic(kw):
    zone, source = infer_timezone(**kw)
    assert source in SOURCES and source != "prospect"
    ZoneInfo(zone)
    assert infer_timezone(**kw) == (zone, source)
    if source == "cadence_default":
        assert zone == kw["default"]


@settings(max_examples=300, deadline=None)
@given(kw=inputs)
def test_property__a_known_country_never_gets_a_zone_from_elsewhere(kw):
    zone, source = infer_timezone(**kw)
    cc = normalize_country(kw["country"])
    if cc is not None and source != "cadence_default":
        assert in_country(zone, cc), (cc, zone, source)
    if cc is not None and len(country_zone_groups(cc)) == 1:
        assert (zone, source) == (country_zone_groups(cc)[0][0], "country")


@settings(max_examples=100, deadline=None)
@given(kw=inputs, tz=st.sampled_from(["Europe/Paris", "Asia/Kathmandu", "Australia/Lord_Howe"]))
def test_property__a_valid_prospect_zone_always_wins(kw, tz):
    assert infer_timezone(**kw, timezone=tz) == (tz, "prospect")
