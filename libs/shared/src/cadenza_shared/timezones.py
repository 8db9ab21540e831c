"""Which IANA time zone a prospect is in when the prospect did not say (pure; reads only tzdata).

`infer_timezone` answers ``(zone, source)``. It tries, in this order, and stops at the first
answer:

1. ``prospect``: the prospect's own ``timezone``, when it names a real IANA zone.
2. ``country``: the country has one zone (after grouping the zones that keep the same clock
   from :data:`HORIZON_START` on: Germany's Europe/Berlin and Europe/Busingen are one zone).
3. ``region``: the country has several zones, and the region (state, province) is in the
   small table below (US, CA, AU, BR, MX, ES, PT), as an ISO 3166-2 code (``CA``, ``US-CA``)
   or a name (``California``, ``São Paulo``; case and accents do not matter).
4. ``phone``: the phone number's zones (from `phonenumbers`, Google's maintained geocoding
   data, when it is installed) are all one zone of that country: ``+1 415 ...`` is
   America/Los_Angeles, a US toll-free ``+1 800`` tells nothing. A phone number also tells
   the country when none was given (``+49 ...`` is Germany, so Europe/Berlin).
5. ``country`` again: a multi-zone country where one zone holds the large majority of people
   and business (:data:`DOMINANT_ZONE`: Spain is Europe/Madrid unless the region says Canary
   Islands, China is Asia/Shanghai ...). The US, Canada and Australia have none: a wrong guess
   there is hours off.
6. ``cadence_default``: the cadence's ``default_timezone``.

Only ``default`` is checked strictly (a :class:`ValueError` naming ``default``); every other
input that cannot be used (an unknown zone, country, region, an unparsable number) is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DOMINANT_ZONE",
    "HORIZON_START",
    "REGION_FIELDS",
    "SOURCES",
    "country_zone_groups",
    "country_zones",
    "infer_timezone",
    "normalize_country",
    "region_code",
    "region_from_fields",
    "region_zone",
]

#: Prospect fields (CSV columns) that may name the region (state, province), in this order.
REGION_FIELDS = ("subdivision", "region", "state", "province")

#: Every value `infer_timezone` may return as its source.
SOURCES = ("prospect", "region", "country", "phone", "cadence_default")

#: Zones of a country are "the same zone" when their UTC offsets agree at every sample from this
#: instant over :data:`HORIZON_YEARS` years (two samples a day). A fixed start keeps the function
#: deterministic; move it forward with the tzdata you ship.
HORIZON_START = datetime(2026, 1, 1, tzinfo=UTC)
HORIZON_YEARS = 5

#: Multi-zone countries where one zone is the clear default for business hours (used only when
#: neither the region nor the phone number decided).
DOMINANT_ZONE: dict[str, str] = {
    "BR": "America/Sao_Paulo",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "PG": "Pacific/Port_Moresby",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
}

_COUNTRY_ALIASES = {
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "deutschland": "DE",
    "espana": "ES",
    "brasil": "BR",
    "mexico": "MX",
    "el": "GR",
}

# --------------------------------------------------------------------------------------------- #
# Regions: (ISO 3166-2 code, zone, names...). The zone is where most of the region's people are.
# --------------------------------------------------------------------------------------------- #

_NY, _CHI, _DEN, _LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_SP = "America/Sao_Paulo"
_MXC = "America/Mexico_City"

_REGIONS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "US": (
        ("AL", _CHI, ("Alabama",)),
        ("AK", "America/Anchorage", ("Alaska",)),
        ("AZ", "America/Phoenix", ("Arizona",)),
        ("AR", _CHI, ("Arkansas",)),
        ("CA", _LA, ("California",)),
        ("CO", _DEN, ("Colorado",)),
        ("CT", _NY, ("Connecticut",)),
        ("DE", _NY, ("Delaware",)),
        ("DC", _NY, ("District of Columbia", "Washington DC")),
        ("FL", _NY, ("Florida",)),
        ("GA", _NY, ("Georgia",)),
        ("HI", "Pacific/Honolulu", ("Hawaii",)),
        ("ID", "America/Boise", ("Idaho",)),
        ("IL", _CHI, ("Illinois",)),
        ("IN", "America/Indiana/Indianapolis", ("Indiana",)),
        ("IA", _CHI, ("Iowa",)),
        ("KS", _CHI, ("Kansas",)),
        ("KY", _NY, ("Kentucky",)),
        ("LA", _CHI, ("Louisiana",)),
        ("ME", _NY, ("Maine",)),
        ("MD", _NY, ("Maryland",)),
        ("MA", _NY, ("Massachusetts",)),
        ("MI", "America/Detroit", ("Michigan",)),
        ("MN", _CHI, ("Minnesota",)),
        ("MS", _CHI, ("Mississippi",)),
        ("MO", _CHI, ("Missouri",)),
        ("MT", _DEN, ("Montana",)),
        ("NE", _CHI, ("Nebraska",)),
        ("NV", _LA, ("Nevada",)),
        ("NH", _NY, ("New Hampshire",)),
        ("NJ", _NY, ("New Jersey",)),
        ("NM", _DEN, ("New Mexico",)),
        ("NY", _NY, ("New York",)),
        ("NC", _NY, ("North Carolina",)),
        ("ND", _CHI, ("North Dakota",)),
        ("OH", _NY, ("Ohio",)),
        ("OK", _CHI, ("Oklahoma",)),
        ("OR", _LA, ("Oregon",)),
        ("PA", _NY, ("Pennsylvania",)),
        ("RI", _NY, ("Rhode Island",)),
        ("SC", _NY, ("South Carolina",)),
        ("SD", _CHI, ("South Dakota",)),
        ("TN", _CHI, ("Tennessee",)),
        ("TX", _CHI, ("Texas",)),
        ("UT", _DEN, ("Utah",)),
        ("VT", _NY, ("Vermont",)),
        ("VA", _NY, ("Virginia",)),
        ("WA", _LA, ("Washington",)),
        ("WV", _NY, ("West Virginia",)),
        ("WI", _CHI, ("Wisconsin",)),
        ("WY", _DEN, ("Wyoming",)),
        ("PR", "America/Puerto_Rico", ("Puerto Rico",)),
        ("GU", "Pacific/Guam", ("Guam",)),
        ("VI", "America/St_Thomas", ("US Virgin Islands", "Virgin Islands")),
        ("AS", "Pacific/Pago_Pago", ("American Samoa",)),
        ("MP", "Pacific/Saipan", ("Northern Mariana Islands",)),
    ),
    "CA": (
        ("AB", "America/Edmonton", ("Alberta",)),
        ("BC", "America/Vancouver", ("British Columbia", "Colombie-Britannique")),
        ("MB", "America/Winnipeg", ("Manitoba",)),
        ("NB", "America/Moncton", ("New Brunswick", "Nouveau-Brunswick")),
        ("NL", "America/St_Johns", ("Newfoundland and Labrador", "Newfoundland", "Terre-Neuve-et-Labrador")),
        ("NS", "America/Halifax", ("Nova Scotia", "Nouvelle-Ecosse")),
        ("NT", "America/Edmonton", ("Northwest Territories", "Territoires du Nord-Ouest")),
        ("NU", "America/Iqaluit", ("Nunavut",)),
        ("ON", "America/Toronto", ("Ontario",)),
        ("PE", "America/Halifax", ("Prince Edward Island", "Ile-du-Prince-Edouard")),
        ("QC", "America/Toronto", ("Quebec",)),
        ("SK", "America/Regina", ("Saskatchewan",)),
        ("YT", "America/Whitehorse", ("Yukon",)),
    ),
    "AU": (
        ("ACT", "Australia/Sydney", ("Australian Capital Territory",)),
        ("NSW", "Australia/Sydney", ("New South Wales",)),
        ("NT", "Australia/Darwin", ("Northern Territory",)),
        ("QLD", "Australia/Brisbane", ("Queensland",)),
        ("SA", "Australia/Adelaide", ("South Australia",)),
        ("TAS", "Australia/Hobart", ("Tasmania",)),
        ("VIC", "Australia/Melbourne", ("Victoria",)),
        ("WA", "Australia/Perth", ("Western Australia",)),
    ),
    "BR": (
        ("AC", "America/Rio_Branco", ("Acre",)),
        ("AL", "America/Maceio", ("Alagoas",)),
        ("AP", "America/Belem", ("Amapa",)),
        ("AM", "America/Manaus", ("Amazonas",)),
        ("BA", "America/Bahia", ("Bahia",)),
        ("CE", "America/Fortaleza", ("Ceara",)),
        ("DF", _SP, ("Distrito Federal", "Brasilia")),
        ("ES", _SP, ("Espirito Santo",)),
        ("GO", _SP, ("Goias",)),
        ("MA", "America/Fortaleza", ("Maranhao",)),
        ("MT", "America/Cuiaba", ("Mato Grosso",)),
        ("MS", "America/Campo_Grande", ("Mato Grosso do Sul",)),
        ("MG", _SP, ("Minas Gerais",)),
        ("PA", "America/Belem", ("Para",)),
        ("PB", "America/Fortaleza", ("Paraiba",)),
        ("PR", _SP, ("Parana",)),
        ("PE", "America/Recife", ("Pernambuco",)),
        ("PI", "America/Fortaleza", ("Piaui",)),
        ("RJ", _SP, ("Rio de Janeiro",)),
        ("RN", "America/Fortaleza", ("Rio Grande do Norte",)),
        ("RS", _SP, ("Rio Grande do Sul",)),
        ("RO", "America/Porto_Velho", ("Rondonia",)),
        ("RR", "America/Boa_Vista", ("Roraima",)),
        ("SC", _SP, ("Santa Catarina",)),
        ("SP", _SP, ("Sao Paulo",)),
        ("SE", "America/Maceio", ("Sergipe",)),
        ("TO", "America/Araguaina", ("Tocantins",)),
    ),
    "MX": (
        ("AGU", _MXC, ("Aguascalientes",)),
        ("BCN", "America/Tijuana", ("Baja California",)),
        ("BCS", "America/Mazatlan", ("Baja California Sur",)),
        ("CAM", "America/Merida", ("Campeche",)),
        ("CHP", _MXC, ("Chiapas",)),
        ("CHH", "America/Chihuahua", ("Chihuahua",)),
        ("CMX", _MXC, ("Ciudad de Mexico", "Mexico City", "CDMX", "Distrito Federal")),
        ("COA", "America/Monterrey", ("Coahuila",)),
        ("COL", _MXC, ("Colima",)),
        ("DUR", "America/Monterrey", ("Durango",)),
        ("GUA", _MXC, ("Guanajuato",)),
        ("GRO", _MXC, ("Guerrero",)),
        ("HID", _MXC, ("Hidalgo",)),
        ("JAL", _MXC, ("Jalisco",)),
        ("MEX", _MXC, ("Estado de Mexico", "State of Mexico")),
        ("MIC", _MXC, ("Michoacan",)),
        ("MOR", _MXC, ("Morelos",)),
        ("NAY", "America/Mazatlan", ("Nayarit",)),
        ("NLE", "America/Monterrey", ("Nuevo Leon",)),
        ("OAX", _MXC, ("Oaxaca",)),
        ("PUE", _MXC, ("Puebla",)),
        ("QUE", _MXC, ("Queretaro",)),
        ("ROO", "America/Cancun", ("Quintana Roo",)),
        ("SLP", _MXC, ("San Luis Potosi",)),
        ("SIN", "America/Mazatlan", ("Sinaloa",)),
        ("SON", "America/Hermosillo", ("Sonora",)),
        ("TAB", _MXC, ("Tabasco",)),
        ("TAM", "America/Monterrey", ("Tamaulipas",)),
        ("TLA", _MXC, ("Tlaxcala",)),
        ("VER", _MXC, ("Veracruz",)),
        ("YUC", "America/Merida", ("Yucatan",)),
        ("ZAC", _MXC, ("Zacatecas",)),
    ),
    "ES": (
        ("CN", "Atlantic/Canary", ("Canarias", "Canary Islands", "Islas Canarias")),
        ("CE", "Africa/Ceuta", ("Ceuta",)),
        ("ML", "Africa/Ceuta", ("Melilla",)),
        ("MD", "Europe/Madrid", ("Madrid", "Comunidad de Madrid")),
        ("CT", "Europe/Madrid", ("Catalonia", "Cataluna", "Catalunya")),
        ("AN", "Europe/Madrid", ("Andalusia", "Andalucia")),
        ("VC", "Europe/Madrid", ("Valencia", "Comunitat Valenciana")),
        ("PV", "Europe/Madrid", ("Basque Country", "Pais Vasco", "Euskadi")),
        ("IB", "Europe/Madrid", ("Balearic Islands", "Illes Balears")),
    ),
    "PT": (
        ("20", "Atlantic/Azores", ("Azores", "Acores")),
        ("30", "Atlantic/Madeira", ("Madeira",)),
        ("11", "Europe/Lisbon", ("Lisboa", "Lisbon")),
        ("13", "Europe/Lisbon", ("Porto",)),
    ),
}

#: Country calling codes that name one country, used only when `phonenumbers` is not installed.
_CALLING_CODES = {
    "20": "EG",
    "27": "ZA",
    "30": "GR",
    "31": "NL",
    "32": "BE",
    "33": "FR",
    "34": "ES",
    "36": "HU",
    "39": "IT",
    "40": "RO",
    "41": "CH",
    "43": "AT",
    "44": "GB",
    "45": "DK",
    "46": "SE",
    "47": "NO",
    "48": "PL",
    "49": "DE",
    "51": "PE",
    "52": "MX",
    "54": "AR",
    "55": "BR",
    "56": "CL",
    "57": "CO",
    "60": "MY",
    "61": "AU",
    "62": "ID",
    "63": "PH",
    "64": "NZ",
    "65": "SG",
    "66": "TH",
    "81": "JP",
    "82": "KR",
    "84": "VN",
    "86": "CN",
    "90": "TR",
    "91": "IN",
    "92": "PK",
    "212": "MA",
    "234": "NG",
    "254": "KE",
    "351": "PT",
    "352": "LU",
    "353": "IE",
    "354": "IS",
    "358": "FI",
    "370": "LT",
    "371": "LV",
    "372": "EE",
    "380": "UA",
    "420": "CZ",
    "421": "SK",
    "852": "HK",
    "886": "TW",
    "966": "SA",
    "971": "AE",
    "972": "IL",
    "974": "QA",
}


# --------------------------------------------------------------------------------------------- #
# Public functions
# --------------------------------------------------------------------------------------------- #


def infer_timezone(
    *,
    country: str | None,
    region: str | None,
    phone: str | None,
    default: str,
    timezone: str | None = None,
) -> tuple[str, str]:
    """The prospect's zone and where it came from (one of :data:`SOURCES`); see the module docs."""
    if not isinstance(default, str) or _zone(default) is None:
        raise ValueError(f"default: {default!r} is not an IANA time zone name")
    if isinstance(timezone, str) and timezone.strip() and _zone(timezone.strip()) is not None:
        return timezone.strip(), "prospect"

    given = normalize_country(country)
    phone_country, phone_zones = _phone(phone, given)
    cc = given or phone_country
    via = "country" if given else "phone"
    if cc is not None:
        groups = country_zone_groups(cc)
        if len(groups) == 1:
            return groups[0][0], via
        if groups and region:
            zone = region_zone(cc, region)
            if zone is not None:
                return zone, "region"
        if groups and phone_zones:
            zone = _pick_phone_zone(phone_zones, groups)
            if zone is not None:
                return zone, "phone"
        if cc in DOMINANT_ZONE:
            return DOMINANT_ZONE[cc], via
    return default, "cadence_default"


def region_from_fields(fields: Mapping[str, Any] | None) -> str | None:
    """The prospect's region from its extra fields: the first of :data:`REGION_FIELDS` (any case) with a value."""
    if not fields:
        return None
    lowered = {str(k).strip().lower(): v for k, v in fields.items()}
    for name in REGION_FIELDS:
        value = lowered.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def normalize_country(country: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of ``country`` (a code in any case, ``UK``, or an English name), else None."""
    if not isinstance(country, str) or not country.strip():
        return None
    key = _key(country)
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) == 2 and key.upper() in _iso3166():
        return key.upper()
    return _country_names().get(key)


def country_zones(country: str) -> tuple[str, ...]:
    """The zones tzdata lists for a country (``zone.tab`` order); empty for an unknown code."""
    cc = normalize_country(country)
    return _zone_tab().get(cc, ()) if cc else ()


@cache
def country_zone_groups(country: str) -> tuple[tuple[str, ...], ...]:
    """A country's zones grouped by the clock they keep from :data:`HORIZON_START` on.

    Each group keeps ``zone.tab`` order, so its first zone is the one to name (Europe/Berlin
    before Europe/Busingen); groups are in the order of their first zone.
    """
    groups: dict[tuple[int, ...], list[str]] = {}
    for zone in country_zones(country):
        if _zone(zone) is not None:
            groups.setdefault(_signature(zone), []).append(zone)
    return tuple(tuple(g) for g in groups.values())


def region_code(country: str | None, region: str | None) -> str | None:
    """The ISO 3166-2 subdivision code (without the country prefix) a region names.

    Known names and codes of the table (``California`` and ``US-CA`` -> ``CA``, ``Bahia`` -> ``BA``);
    for other countries a code-looking value is returned upper-cased (``BY``, ``DE-BY`` -> ``BY``),
    for the caller to check against its own list. None when nothing usable is given.
    """
    cc = normalize_country(country)
    if cc is None or not isinstance(region, str) or not region.strip():
        return None
    raw = region.strip()
    prefixed = re.fullmatch(r"([A-Za-z]{2})[-_ ]([A-Za-z0-9]{1,3})", raw)
    if prefixed and prefixed[1].upper() == cc:
        raw = prefixed[2]
    entry = _region_index(cc).get(_key(raw))
    if entry is not None:
        return entry[0]
    if re.fullmatch(r"[A-Za-z0-9]{1,3}", raw):
        return raw.upper()
    return None


def region_zone(country: str | None, region: str | None) -> str | None:
    """The zone of a region of the table (``US``/``California`` -> America/Los_Angeles), else None."""
    cc = normalize_country(country)
    code = region_code(cc, region)
    if cc is None or code is None:
        return None
    entry = _region_index(cc).get(_key(code))
    return entry[1] if entry is not None else None


# --------------------------------------------------------------------------------------------- #
# Internals
# --------------------------------------------------------------------------------------------- #


class _Region(NamedTuple):
    code: str
    zone: str


def _key(text: str) -> str:
    """Lower case, no accents, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


@cache
def _region_index(cc: str) -> dict[str, _Region]:
    index: dict[str, _Region] = {}
    for code, zone, names in _REGIONS.get(cc, ()):
        for name in (code, *names):
            index[_key(name)] = _Region(code, zone)
    return index


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@cache
def _signature(zone: str) -> tuple[int, ...]:
    """UTC offsets (seconds) twice a day over the horizon: equal signatures keep the same clock."""
    tz = _zone(zone)
    assert tz is not None
    samples = HORIZON_YEARS * 366 * 2
    out = []
    for i in range(samples):
        offset = (HORIZON_START + timedelta(hours=12 * i)).astimezone(tz).utcoffset()
        assert offset is not None
        out.append(int(offset.total_seconds()))
    return tuple(out)


def _tz_file(name: str) -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        for base in TZPATH:
            path = Path(base) / name
            if path.exists():
                return path.read_text(encoding="utf-8")
    return ""


def _rows(name: str) -> Iterable[list[str]]:
    for line in _tz_file(name).splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


@cache
def _zone_tab() -> dict[str, tuple[str, ...]]:
    zones: dict[str, list[str]] = {}
    for row in _rows("zone.tab"):
        if len(row) >= 3:
            zones.setdefault(row[0], []).append(row[2])
    return {cc: tuple(z) for cc, z in zones.items()}


@cache
def _iso3166() -> dict[str, str]:
    return {row[0]: row[1] for row in _rows("iso3166.tab") if len(row) >= 2}


@cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, name in _iso3166().items():
        names[_key(name)] = code
        names[_key(re.sub(r"\s*\(.*?\)", "", name))] = code  # "Britain (UK)" -> "britain"
    return names


def _pick_phone_zone(zones: tuple[str, ...], groups: tuple[tuple[str, ...], ...]) -> str | None:
    """The one zone of the country that the number's zones all keep, else None."""
    usable = [z for z in zones if _zone(z) is not None]
    signatures = {_signature(z) for z in usable}
    if len(signatures) != 1:
        return None
    (signature,) = signatures
    for group in groups:
        if _signature(group[0]) == signature:
            return next((z for z in usable if z in group), group[0])
    return None


def _phone(phone: str | None, country: str | None) -> tuple[str | None, tuple[str, ...]]:
    """(country the number belongs to, its zones); (None, ()) when it tells nothing."""
    if not isinstance(phone, str) or not phone.strip():
        return None, ()
    try:
        import phonenumbers
        from phonenumbers import timezone as phone_tz
    except ImportError:  # pragma: no cover - exercised by test_without_phonenumbers
        return _phone_without_library(phone), ()
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None, ()
    if not phonenumbers.is_possible_number(number):
        return None, ()
    region = phonenumbers.region_code_for_number(number)
    zones = tuple(z for z in phone_tz.time_zones_for_number(number) if z != "Etc/Unknown")
    if region in (None, "ZZ", "001"):
        return None, ()
    return region, zones


def _phone_without_library(phone: str) -> str | None:
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        return None
    for length in (3, 2):
        code = _CALLING_CODES.get(digits[1 : 1 + length])
        if code is not None:
            return code
    return None
