"""Run-time scoring of the shipped intent model: pure Python, no scikit-learn, no download.

The artifact (``intent.json``, written by ``python -m cadenza_classification.model.train``)
holds, for every term kept at training, its IDF and one weight per label, plus the
intercepts.  Scoring a text repeats exactly what the trained scikit-learn pipeline
does (``TfidfVectorizer(sublinear_tf=True, norm="l2")`` then multinomial
``LogisticRegression``): term counts -> ``(1 + ln tf) * idf`` -> L2 normalisation ->
``intercept + x . W`` -> softmax.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cadenza_classification.model.features import terms

__all__ = ["ARTIFACT_PATH", "FORMAT", "IntentModel", "default_model"]

FORMAT = "cadenza-intent/1"
ARTIFACT_PATH = Path(__file__).with_name("intent.json")


@dataclass(frozen=True)
class IntentModel:
    """A multinomial logistic regression over TF-IDF terms, scored in pure Python."""

    labels: tuple[str, ...]
    intercept: tuple[float, ...]
    vocab: Mapping[str, tuple[float, tuple[float, ...]]]  # term -> (idf, weight per label)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "intent"))

    @classmethod
    def from_artifact(cls, data: Mapping[str, Any]) -> IntentModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} artifact: format={data.get('format')!r}")
        labels = tuple(data["labels"])
        k = len(labels)
        vocab: dict[str, tuple[float, tuple[float, ...]]] = {}
        for term, row in data["vocab"].items():
            if len(row) != k + 1:
                raise ValueError(f"term {term!r}: expected {k + 1} numbers, got {len(row)}")
            vocab[term] = (float(row[0]), tuple(float(v) for v in row[1:]))
        intercept = tuple(float(v) for v in data["intercept"])
        if len(intercept) != k:
            raise ValueError("one intercept per label expected")
        meta = {key: value for key, value in data.items() if key not in ("vocab", "intercept", "labels")}
        return cls(labels=labels, intercept=intercept, vocab=vocab, meta=meta)

    @classmethod
    def load(cls, path: Path | str = ARTIFACT_PATH) -> IntentModel:
        with open(path, encoding="utf-8") as fh:
            return cls.from_artifact(json.load(fh))

    def vector(self, text: str) -> dict[str, float]:
        """The L2-normalised TF-IDF vector of ``text`` (terms outside the vocabulary dropped)."""
        counts = Counter(t for t in terms(text) if t in self.vocab)
        weights = {t: (1.0 + math.log(c)) * self.vocab[t][0] for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if norm == 0.0:
            return {}
        return {t: w / norm for t, w in weights.items()}

    def predict_proba(self, text: str) -> dict[str, float]:
        """Probability of every label for ``text`` (they sum to 1)."""
        scores = list(self.intercept)
        vocab = self.vocab
        for term, x in self.vector(text).items():
            scores = [s + x * w for s, w in zip(scores, vocab[term][1], strict=False)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}

    def predict(self, text: str) -> tuple[str, float]:
        """The most probable label and its probability."""
        probs = self.predict_proba(text)
        label = max(probs, key=probs.__getitem__)
        return label, probs[label]

    def top_terms(self, text: str, label: str, n: int = 3) -> list[str]:
        """The terms of ``text`` that pushed most towards ``label`` (for evidence and debugging)."""
        i = self.labels.index(label)
        contributions = sorted(((x * self.vocab[t][1][i], t) for t, x in self.vector(text).items()), reverse=True)
        return [t for c, t in contributions[:n] if c > 0]


@lru_cache(maxsize=4)
def default_model(path: str | None = None) -> IntentModel:
    """The artifact shipped in the package (or the one at ``path``), loaded once per process."""
    return IntentModel.load(Path(path) if path else ARTIFACT_PATH)
