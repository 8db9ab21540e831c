"""Date extraction for classification (pure; ``dateparser`` is used offline only).

* :func:`find_return_date` - the day an out-of-office sender is back, from the
  phrase after cues such as "back on", "returning", "until", "zurück am",
  "ab dem", "de retour le", "jusqu'au", "hasta el", "terug op".
* :func:`find_follow_up_date` - the day to try again after a "not now": "Q3",
  "next quarter", "in 6 months", "after January", "next year", "in the fall"...

Both take a naive-or-aware ``base`` datetime (the message's Date, or "now") and
only return dates strictly after ``base.date()``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from .text import fold

__all__ = ["DateHit", "find_return_date", "find_follow_up_date"]

_MAX_AHEAD_DAYS = 550  # an OOO return or follow-up further away than this is ignored
_LANGS = ("en", "de", "fr", "es", "pt", "nl")


@dataclass(frozen=True)
class DateHit:
    value: date
    phrase: str  # the text the date was read from, for evidence


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def _naive(base: datetime) -> datetime:
    """dateparser wants a naive base: use the sender's wall-clock time."""
    return base.replace(tzinfo=None)


def _add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year = d.year + month0 // 12
    month = month0 % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _valid_after(value: date, base: date) -> bool:
    return base < value <= base + timedelta(days=_MAX_AHEAD_DAYS)


def _next_occurrence(month: int, day: int, base: date) -> date | None:
    """The first month/day strictly after ``base``."""
    for year in (base.year, base.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate > base:
            return candidate
    return None


@lru_cache(maxsize=1)
def _dateparser():
    import dateparser  # imported lazily: loading its language data takes a moment

    return dateparser


def _dateparser_parse(phrase: str, lang: str, base: datetime) -> date | None:
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": _naive(base),
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PARSERS": ["relative-time", "absolute-time"],
    }
    if lang != "en":
        settings["DATE_ORDER"] = "DMY"
    languages = [lang] if lang in _LANGS else list(_LANGS)
    try:
        parsed = _dateparser().parse(phrase, languages=languages, settings=settings)
    except Exception:  # noqa: BLE001 - dateparser can raise on odd input; treat as "no date"
        return None
    return parsed.date() if parsed else None


_NUMERIC = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\b|^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\.?(?!\d)")
_ORDINAL_DAY = re.compile(r"^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th|\.|er|e|º|°)?(?:\s+(?:of\s+)?(?:this|the)\s+month)?\s*$", re.IGNORECASE)


def _parse_numeric(phrase: str, lang: str, base: date) -> date | None:
    m = _NUMERIC.match(phrase)
    if not m:
        return None
    try:
        if m.group(1):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        a, b = int(m.group(4)), int(m.group(5))
        year_text = m.group(6)
        sep = phrase[len(m.group(4))]
        if lang == "en" and sep == "/" and a <= 12:
            month, day = a, b  # US style 1/5 = January 5th
        else:
            day, month = a, b
        if year_text:
            year = int(year_text)
            if year < 100:
                year += 2000
            return date(year, month, day)
        return _next_occurrence(month, day, base)
    except ValueError:
        return None


_SENTENCE_END = re.compile(r"[\n!?;]|(?<!\d)\.(?=\s+[A-ZÀ-ÖØ-Þ]|\s*$)|(?<!\d)\.\s*\n")
_TRIM = " \t,.;:()[]\"'"


def _parse_phrase(tail: str, lang: str, base: datetime) -> tuple[date, str] | None:
    """Parse the longest leading run of words (up to 7) that is a date after ``base``.

    A date without a year more than 300 days ahead is rejected: it is a date that
    has just passed (an auto-reply left on), which the future preference moved
    to next year.
    """
    end = _SENTENCE_END.search(tail)
    if end:
        tail = tail[: end.start()]
    tokens = tail.split()[:7]
    base_day = base.date()
    for k in range(len(tokens), 0, -1):
        phrase = " ".join(tokens[:k]).strip(_TRIM)
        if not phrase or not re.search(r"\w", phrase):
            continue
        value = _parse_numeric(phrase, lang, base_day)
        if value is None:
            m = _ORDINAL_DAY.match(phrase)
            if m:
                day = int(m.group(1))
                for months in (0, 1, 2):
                    first = _add_months(base_day.replace(day=1), months)
                    try:
                        candidate = first.replace(day=day)
                    except ValueError:
                        continue
                    if candidate > base_day:
                        value = candidate
                        break
        if value is None:
            if _NUMERIC.match(phrase):
                continue  # a malformed numeric date: don't let dateparser guess
            if len(phrase) < 3 or phrase.isdigit():
                continue
            value = _dateparser_parse(phrase, lang, base)
        if value is None:
            continue
        # the longest phrase that parses decides: a shorter one would drop a year or a time
        if not _valid_after(value, base_day):
            return None
        if not _HAS_YEAR.search(phrase) and (value - base_day).days > _MAX_AHEAD_WITHOUT_YEAR:
            # "until 28 February" in a message of 2 March: an old auto-reply, not a date next year
            return None
        return value, phrase
    return None


_HAS_YEAR = re.compile(r"\b(?:19|20)\d{2}\b|\d{1,2}[./-]\d{1,2}[./-]\d{2}\b")
_MAX_AHEAD_WITHOUT_YEAR = 300


# --------------------------------------------------------------------------- #
# out-of-office return date
# --------------------------------------------------------------------------- #

_WEEKDAY_HINT = r"(?=\S*\d|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|morgen|kommend|nachst|n[äa]chst)"
# (pattern, language, rank): rank 0 = explicit return cue, rank 1 = "until" style cue
_RETURN_CUES: tuple[tuple[re.Pattern[str], str, int], ...] = tuple(
    (re.compile(p, re.IGNORECASE), lang, rank)
    for p, lang, rank in (
        (
            r"\bback(?:\s+(?:in|at|to)\s+(?:the\s+|my\s+)?(?:office|work|desk|country|town))?"
            r"(?:\s+(?:on|from|by|starting|as of))?\s+",
            "en",
            0,
        ),
        (
            r"\breturn(?:s|ing)?(?:\s+to\s+(?:the\s+)?(?:office|work|country))?"
            r"(?:\s+(?:on|from|by|starting|as of))?\s+",
            "en",
            0,
        ),
        (r"\breturn date(?:\s+is)?\s*:?\s+", "en", 0),
        (r"\b(?:in the office|in office|available|reachable)\s+again(?:\s+(?:on|from))?\s+", "en", 0),
        (r"\b(?:until|till|til|through|thru)(?:\s+and\s+including)?\s+", "en", 1),
        (r"\bzur(?:ü|ue|u)ck(?:\s+im\s+b(?:ü|ue|u)ro)?(?:\s+(?:am|ab|zum))?(?:\s+(?:dem|den))?\s+", "de", 0),
        (
            r"\bwieder\s+(?:im\s+(?:b(?:ü|ue|u)ro|office|haus|dienst)|erreichbar|da|verf(?:ü|ue|u)gbar|zur(?:ü|ue|u)ck)"
            r"(?:\s+(?:am|ab|zum))?(?:\s+(?:dem|den))?\s+",
            "de",
            0,
        ),
        (r"\bab(?:\s+(?:dem|den|kommendem|kommenden))?\s+" + _WEEKDAY_HINT, "de", 0),
        (r"\bbis(?:\s+(?:einschlie(?:ß|ss)lich|inklusive|inkl\.|zum|am|auf))?(?:\s+(?:dem|den))?\s+", "de", 1),
        (r"\bde\s+retour(?:\s+au\s+bureau)?(?:\s+(?:le|(?:à|a)\s+partir\s+du|d(?:è|e)s\s+le|en\s+date\s+du))?\s+", "fr", 0),
        (r"\bretour\s+pr(?:é|e)vu(?:\s+le)?\s+", "fr", 0),
        (r"\b(?:à|a)\s+partir\s+du\s+", "fr", 0),
        (r"\bjusqu'?\s*(?:au|à|a)(?:\s+le)?\s+", "fr", 1),
        (
            r"\b(?:de\s+vuelta|de\s+regreso|regreso|regresar(?:é|e)|volver(?:é|e)|vuelvo|me\s+reincorporo|me\s+incorporo)"
            r"(?:\s+a\s+la\s+oficina)?(?:\s+(?:el|a\s+partir\s+del|el\s+d(?:í|i)a))?\s+",
            "es",
            0,
        ),
        (r"\ba\s+partir\s+del\s+", "es", 0),
        (r"\bhasta(?:\s+el)?(?:\s+d(?:í|i)a)?\s+", "es", 1),
        (
            r"\b(?:retorno|volto|regresso|estarei\s+de\s+volta)(?:\s+ao\s+escrit(?:ó|o)rio)?"
            r"(?:\s+(?:em|no\s+dia|dia|a\s+partir\s+de|na|no))?\s+",
            "pt",
            0,
        ),
        (r"\bat(?:é|e)(?:\s+(?:o\s+dia|dia|ao\s+dia|o))?\s+", "pt", 1),
        (
            r"\b(?:terug|weer\s+aanwezig|weer\s+op\s+kantoor|weer\s+bereikbaar)(?:\s+op\s+kantoor)?"
            r"(?:\s+(?:op|vanaf|per))?\s+",
            "nl",
            0,
        ),
        (r"\bvanaf\s+", "nl", 0),
        (r"\btot(?:\s+en\s+met)?\s+", "nl", 1),
    )
)


_MAX_OOO_SCAN = 5_000  # an auto-reply states its return date near the top
_MAX_TRIES_PER_CUE = 6


def find_return_date(text: str, base: datetime) -> DateHit | None:
    """Return date of an out-of-office message, or None.

    Explicit return cues ("back on", "zurück am", "de retour le") beat "until"
    cues; among equals the earliest in the text wins.  Only the first 5,000
    characters and the first few occurrences of each cue are tried.
    """
    text = text[:_MAX_OOO_SCAN].replace("\u2019", "'").replace("\u00a0", " ")
    best: tuple[int, int, DateHit] | None = None
    for pattern, lang, rank in _RETURN_CUES:
        if best is not None and rank > best[0]:
            continue
        for tries, m in enumerate(pattern.finditer(text)):
            if tries >= _MAX_TRIES_PER_CUE:
                break
            if best is not None and (rank, m.start()) >= (best[0], best[1]):
                break
            parsed = _parse_phrase(text[m.end() : m.end() + 100], lang, base)
            if parsed:
                value, phrase = parsed
                cue = " ".join(m.group(0).split())
                best = (rank, m.start(), DateHit(value, f"{cue} {phrase}"))
                break
    return best[2] if best else None


# --------------------------------------------------------------------------- #
# follow-up date for "not now" replies
# --------------------------------------------------------------------------- #

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "january jan januar janner janvier janv enero ene janeiro januari",
        "february feb februar fevrier fevr febrero fevereiro februari",
        "march mar marz maerz mars marzo marco maart",
        "april apr avril avr abril",
        "may mai mayo maio mei",
        "june jun juni juin junio junho",
        "july jul juli juillet juil julio julho",
        "august aug aout agosto augustus",
        "september sep sept septembre septiembre setiembre setembro",
        "october oct oktober octobre octubre outubro",
        "november nov novembre noviembre novembro",
        "december dec dezember decembre diciembre dezembro",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a few": 3,
    "few": 3,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "ein": 1,
    "einem": 1,
    "einen": 1,
    "einigen": 3,
    "ein paar": 2,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "funf": 5,
    "sechs": 6,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "quelques": 3,
    "unos": 2,
    "unas": 2,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "seis": 6,
    "um": 1,
    "uma": 1,
    "een": 1,
    "twee": 2,
    "drie": 3,
    "zes": 6,
}
_NUMBER_RE = r"\d{1,2}|" + "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_UNITS = {
    "day": "days",
    "days": "days",
    "tag": "days",
    "tagen": "days",
    "jour": "days",
    "jours": "days",
    "dia": "days",
    "dias": "days",
    "dag": "days",
    "dagen": "days",
    "week": "weeks",
    "weeks": "weeks",
    "woche": "weeks",
    "wochen": "weeks",
    "semaine": "weeks",
    "semaines": "weeks",
    "semana": "weeks",
    "semanas": "weeks",
    "weken": "weeks",
    "month": "months",
    "months": "months",
    "monat": "months",
    "monaten": "months",
    "mois": "months",
    "mes": "months",
    "meses": "months",
    "maand": "months",
    "maanden": "months",
    "year": "years",
    "years": "years",
    "jahr": "years",
    "jahren": "years",
    "an": "years",
    "ans": "years",
    "annee": "years",
    "annees": "years",
    "ano": "years",
    "anos": "years",
    "jaar": "years",
}
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_SEASONS = {
    "spring": 3,
    "fruhling": 3,
    "fruhjahr": 3,
    "printemps": 3,
    "primavera": 3,
    "voorjaar": 3,
    "lente": 3,
    "summer": 6,
    "sommer": 6,
    "ete": 6,
    "verano": 6,
    "verao": 6,
    "zomer": 6,
    "fall": 9,
    "autumn": 9,
    "herbst": 9,
    "automne": 9,
    "otono": 9,
    "outono": 9,
    "najaar": 9,
    "herfst": 9,
    "winter": 12,
    "hiver": 12,
    "invierno": 12,
    "inverno": 12,
}
_SEASON_RE = "|".join(sorted(_SEASONS, key=len, reverse=True))
_ORD_Q = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
    "erste": 1,
    "ersten": 1,
    "zweite": 2,
    "zweiten": 2,
    "dritte": 3,
    "dritten": 3,
    "vierte": 4,
    "vierten": 4,
    "premier": 1,
    "deuxieme": 2,
    "second ": 2,
    "troisieme": 3,
    "quatrieme": 4,
    "primer": 1,
    "segundo": 2,
    "tercer": 3,
    "cuarto": 4,
}
_ORD_Q_RE = "|".join(sorted((re.escape(k.strip()) for k in _ORD_Q), key=len, reverse=True))
_NOT_PAST = r"(?<!last )(?<!previous )(?<!past )(?<!letztes )(?<!dernier )"

# Each period: (regex on folded text, kind, forward) - "forward" periods always look ahead;
# the others (a bare month or season) count only in a sentence with a deferral cue.
_PERIODS: tuple[tuple[re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(p), kind, fwd)
    for p, kind, fwd in (
        (_NOT_PAST + r"\b(?:q|quarter\s*)([1-4])(?:\s*(?:fy\s*)?'?((?:20)?\d{2}))?\b", "quarter", True),
        (_NOT_PAST + r"\b(" + _ORD_Q_RE + r")[ .-]*(?:fiscal\s+|calendar\s+)?(?:quarter|quartal|trimestre)\b", "ordq", True),
        (r"\b([1-4])\.\s*quartal\b", "quarter_de", True),
        (
            r"\bnext\s+(?:fiscal\s+)?quarter\b|\bnachste[ns]?\s+quartal\b|\b(?:prochain\s+trimestre|trimestre\s+prochain)\b|"
            r"\b(?:proximo|siguiente)\s+trimestre\b|\bvolgend\s+kwartaal\b",
            "next_quarter",
            True,
        ),
        (
            r"\bnext\s+(?:fiscal\s+|calendar\s+)?year\b|\bnachste[ns]?\s+jahr\b|\bl'annee\s+prochaine\b|\bannee\s+prochaine\b|"
            r"\b(?:el\s+)?(?:proximo\s+ano|ano\s+que\s+viene)\b|\bvolgend\s+jaar\b|\b(?:in|after)\s+the\s+new\s+year\b|"
            r"\bnew\s+year\b",
            "next_year",
            True,
        ),
        (
            r"\bnext\s+month\b|\bnachste[nm]?\s+monat\b|\b(?:le\s+)?mois\s+prochain\b|\b(?:el\s+)?(?:proximo\s+mes|mes\s+que\s+viene)\b|"
            r"\bvolgende\s+maand\b",
            "next_month",
            True,
        ),
        (
            r"\bnext\s+week\b|\bnachste[nr]?\s+woche\b|\b(?:la\s+)?semaine\s+prochaine\b|\b(?:la\s+)?(?:proxima|siguiente)\s+semana\b|"
            r"\bvolgende\s+week\b",
            "next_week",
            True,
        ),
        (
            r"\b(?:in|after|within|dans|en|dentro\s+de|daqui\s+a|em|over|nach|na)\s+(?:about\s+|around\s+|approximately\s+|roughly\s+|"
            r"etwa\s+|ca\.\s+|environ\s+|unos\s+|unas\s+)?(" + _NUMBER_RE + r")\s+(" + _UNIT_RE + r")\b",
            "in_n",
            True,
        ),
        (
            r"\blater\s+this\s+year\b|\bend\s+of\s+(?:the\s+)?year\b|\byear[- ]end\b|\bjahresende\b|\bende\s+des\s+jahres\b|"
            r"\bfin\s+de\s+(?:l')?annee\b|\bfin(?:ales)?\s+de\s+ano\b|\beinde\s+van\s+het\s+jaar\b",
            "year_end",
            True,
        ),
        (r"\b(?:h([12])|(first|second)\s+half(?:\s+of\s+(?:the|next)\s+year)?)\b", "half", True),
        (r"\b(?:after|nach|apres|despues\s+de|depois\s+de|na)\s+(?:the\s+|dem\s+|le\s+|el\s+)?(" + _MONTH_RE + r")\b", "after_month", True),
        (r"\b(?:next|nachste[nm]?|prochain|proximo)\s+(" + _SEASON_RE + r")\b", "season", True),
        (
            r"\b(?:in|after|around|from|by|until|till|im|ab|en|vers|a\s+partir\s+de|desde|para|em|rond|na)\s+"
            r"(?:(early|mid|late|the\s+end\s+of|end\s+of|the\s+beginning\s+of|beginning\s+of|the\s+start\s+of|start\s+of|"
            r"anfang|mitte|ende|debut|mi|fin|principios\s+de|mediados\s+de|finales\s+de)[\s-]+)?(" + _MONTH_RE + r")\b",
            "month",
            False,
        ),
        (
            r"\b(early|mid|late|end\s+of|beginning\s+of|start\s+of|anfang|mitte|ende|debut|fin|principios\s+de|mediados\s+de|"
            r"finales\s+de)[\s-]+(" + _MONTH_RE + r")\b",
            "month_mod",
            False,
        ),
        (r"\b(?:in|after|during|im|en|au|dans|na|em|in\s+de)\s+(?:the\s+)?(" + _SEASON_RE + r")\b", "season", False),
        (r"\b(?:in|after|from|until|till|im\s+jahr|bis|ab|en|dans|jusqu'en|hasta|em|na)\s+(20\d{2})\b", "year", False),
    )
)

_DEFERRAL_IN_SENTENCE = re.compile(
    r"not\s+(?:right\s+)?now|not\s+at\s+(?:this|the)\s+(?:time|moment)|try\s+(?:me|us|again)|reach\s+out|circle\s+back|"
    r"check\s+back|follow\s+up|ping\s+(?:me|us)|touch\s+base|revisit|get\s+back|come\s+back|reconnect|contact\s+(?:me|us)|"
    r"(?:email|write|call)\s+(?:me|us)|timing|budget|later|priority|melden|kommen\s+sie|wieder|erneut|nochmal|"
    r"recontact|revenez|relancez|reprenez|vuelva|contacte|escriba|volver|de\s+nuevo|otra\s+vez|nuevamente|"
    r"opnieuw|terug|novamente|noch ?einmal|versuchen|talk|speak|chat|discuss|connect|look\s+at|evaluat|plann|consider|until|till|bis|jusqu|hasta"
)


def _month_from(month: int, day: int, base: date) -> date | None:
    return _next_occurrence(month, day, base)


def _period_date(kind: str, m: re.Match[str], base: date) -> date | None:
    if kind in ("quarter", "quarter_de", "ordq"):
        if kind == "ordq":
            q = _ORD_Q.get(m.group(1).strip(), 0)
        else:
            q = int(m.group(1))
        if not 1 <= q <= 4:
            return None
        month = 3 * (q - 1) + 1
        if kind == "quarter" and m.group(2):
            year = int(m.group(2))
            year = year + 2000 if year < 100 else year
            try:
                return date(year, month, 1)
            except ValueError:
                return None
        return _next_occurrence(month, 1, base)
    if kind == "next_quarter":
        q_start_month = 3 * ((base.month - 1) // 3) + 1
        return _add_months(date(base.year, q_start_month, 1), 3)
    if kind == "next_year":
        return date(base.year + 1, 1, 1)
    if kind == "next_month":
        return _add_months(base.replace(day=1), 1)
    if kind == "next_week":
        return base + timedelta(days=7 - base.weekday())  # next Monday
    if kind == "in_n":
        count = m.group(1)
        n = int(count) if count.isdigit() else _NUMBERS.get(count, 0)
        unit = _UNITS.get(m.group(2))
        if not n or unit is None:
            return None
        if unit == "days":
            return base + timedelta(days=n)
        if unit == "weeks":
            return base + timedelta(weeks=n)
        if unit == "months":
            return _add_months(base, n)
        return _add_months(base, 12 * n)
    if kind == "year_end":
        candidate = date(base.year, 12, 1)
        return candidate if candidate > base else date(base.year + 1, 12, 1)
    if kind == "half":
        half = int(m.group(1)) if m.group(1) else (1 if m.group(2) == "first" else 2)
        return _next_occurrence(1 if half == 1 else 7, 1, base)
    if kind == "after_month":
        month = _MONTHS[m.group(1)]
        start = _next_occurrence(month, 1, base - timedelta(days=31))  # the named month, this or next year
        if start is None:
            return None
        after = _add_months(start, 1)
        return after if after > base else _add_months(after, 12)
    if kind == "season":
        return _next_occurrence(_SEASONS[m.group(1)], 1, base)
    if kind in ("month", "month_mod"):
        modifier = (m.group(1) or "").replace("the ", "").strip()
        month = _MONTHS[m.group(2)]
        day = 1
        if modifier in ("mid", "mitte", "mi", "mediados de"):
            day = 15
        elif modifier in ("late", "finales de"):
            day = 20
        elif modifier in ("end of", "ende", "fin"):
            day = 25
        return _next_occurrence(month, day, base)
    if kind == "year":
        year = int(m.group(1))
        return date(year, 1, 1) if year > base.year else None
    return None  # pragma: no cover


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("!", 0, start), text.rfind("?", 0, start), text.rfind("\n", 0, start))
    right_candidates = [i for i in (text.find(".", end), text.find("!", end), text.find("?", end), text.find("\n", end)) if i >= 0]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left + 1 : right]


def find_follow_up_date(text: str, base: datetime) -> DateHit | None:
    """First "try me in <period>" style period in ``text`` that lies in the future."""
    folded = fold(text)[:20_000]
    base_day = base.date()
    hits: list[tuple[int, DateHit]] = []
    for pattern, kind, forward in _PERIODS:
        for m in pattern.finditer(folded):
            if not forward and not _DEFERRAL_IN_SENTENCE.search(_sentence_around(folded, m.start(), m.end())):
                continue
            value = _period_date(kind, m, base_day)
            if value is not None and _valid_after(value, base_day):
                hits.append((m.start(), DateHit(value, m.group(0).strip())))
                break
    if not hits:
        return None
    hits.sort(key=lambda h: h[0])
    return hits[0][1]
