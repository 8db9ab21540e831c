"""Text -> terms for the intent model (pure Python; the same code at training and at run time).

The terms of a reply are counted like scikit-learn's ``TfidfVectorizer`` counts
the tokens its analyzer returns, so training can hand :func:`terms` to the
vectorizer as its ``analyzer`` and the run time can score the exported weights
without scikit-learn (see :mod:`cadenza_classification.model.intent`).

* the text is :func:`~cadenza_classification.domain.text.fold`-ed (lower case,
  no accents, straight apostrophes), cut to :data:`MAX_CHARS`;
* e-mail addresses become ``_email_``, links ``_url_``, digits ``0``;
* ``w:`` word unigrams and ``b:`` word bigrams (``?`` and ``!`` are words too),
  plus ``c:`` character 3- and 4-grams inside each word padded with spaces
  (robust to inflection, typos and the six languages sharing one model).
"""

from __future__ import annotations

import re

from cadenza_classification.domain.text import fold

__all__ = ["MAX_CHARS", "normalise", "terms"]

MAX_CHARS = 3_000  # replies state their intent up front; bounds the work on huge new text
_MAX_WORDS = 600

_EMAIL = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_URL = re.compile(r"(?:https?://|www\.)\S{1,200}|\b[a-z0-9-]{1,63}\.(?:com|org|net|io|example)/\S{0,200}")
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[a-z0-9_']+|[?!]")


def normalise(text: str) -> str:
    """Folded text with addresses, links and digits replaced by placeholders."""
    folded = fold(text[: MAX_CHARS * 2])[:MAX_CHARS]
    folded = _EMAIL.sub(" _email_ ", folded)
    folded = _URL.sub(" _url_ ", folded)
    return _DIGITS.sub("0", folded)


def terms(text: str) -> list[str]:
    """Every term occurrence of ``text`` (repeats kept: they are the term frequencies)."""
    words = [w.strip("'") or w for w in _WORD.findall(normalise(text))][:_MAX_WORDS]
    out = [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        if w.startswith("_") or w in ("?", "!"):
            continue
        padded = f" {w} "
        n_chars = len(padded)
        for n in (3, 4):
            if n > n_chars:
                break
            out.extend(f"c:{padded[i : i + n]}" for i in range(n_chars - n + 1))
    return out
