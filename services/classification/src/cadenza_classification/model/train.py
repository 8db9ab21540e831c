"""Train the intent model offline and write the artifact shipped in the package.

    python -m cadenza_classification.model.train            # C chosen by grouped 5-fold CV (rules + model) on the train split
    python -m cadenza_classification.model.train --C 10     # fixed regularisation

Needs scikit-learn (``pip install -e 'services/classification[train]'``); the
service itself does not: the artifact (``model/intent.json``) holds the
vocabulary, IDF and per-label weights, scored in pure Python by
:mod:`cadenza_classification.model.intent`.

Trains on the ``train`` split of ``data/replies.jsonl`` plus every record of
``data/relabels.jsonl`` (human relabels exported from the database); the
``test`` split is never seen, so ``python -m cadenza_classification.model.evaluate``
reports held-out figures for exactly the artifact that ships.  Training is
deterministic: the same data gives the same artifact, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cadenza_classification.model import dataset
from cadenza_classification.model.features import terms
from cadenza_classification.model.intent import ARTIFACT_PATH, FORMAT

__all__ = ["fit", "choose_c", "write_artifact", "main"]

C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
MIN_DF = 3
TOLERANCE = 0.01


def _require_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        sys.exit("training needs scikit-learn: pip install -e 'services/classification[train]'")


_TERMS: dict[str, list[str]] = {}


def _cached_terms(text: str) -> list[str]:
    """:func:`terms`, memoised: cross-validation analyses every text many times."""
    if text not in _TERMS:
        _TERMS[text] = terms(text)
    return _TERMS[text]


def _pipeline(c: float):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer=_cached_terms, sublinear_tf=True, min_df=MIN_DF, norm="l2", smooth_idf=True)),
            ("clf", LogisticRegression(C=c, class_weight="balanced", max_iter=5000)),
        ]
    )


def choose_c(records: Sequence[dict], grid: Sequence[float] = C_GRID, folds: int = 5) -> tuple[float, dict[float, tuple[float, float]]]:
    """The C whose model makes the best *combined* system over a grouped k-fold of ``records``.

    The model is only ever used next to the rules (domain/combine.py), so C is
    chosen for that role: each fold's model scores its held-out texts, wrapped as
    real messages and combined with the rules exactly as the service does; the
    macro-F1 of those combined labels decides: the smallest C (strongest
    regularisation) within ``TOLERANCE`` of the best, since the curve is flat at the top.
    Returns the chosen C and, per C, (combined macro-F1, model-alone macro-F1).
    Paraphrases of one reply (same ``group``) are never split across folds.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    from cadenza_classification.domain.combine import combine
    from cadenza_classification.domain.parsing import parse_message
    from cadenza_classification.domain.rules import classify

    texts = [r["text"] for r in records]
    labels = [r["label"] for r in records]
    groups = [r.get("group") or r.get("id") or str(i) for i, r in enumerate(records)]
    messages = [parse_message(dataset.as_message(t, i)) for i, t in enumerate(texts)]
    rules = [classify(m) for m in messages]
    scores: dict[float, tuple[float, float]] = {}
    for c in grid:
        alone = [""] * len(records)
        combined = [""] * len(records)
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(texts, labels, groups):
            model = _pipeline(c).fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
            classes = list(model.classes_)
            probs = model.predict_proba([messages[i].new_text[:3000] for i in test_idx])
            for i, row in zip(test_idx, probs, strict=True):
                dist = dict(zip(classes, (float(p) for p in row), strict=True))
                alone[i] = max(dist, key=dist.__getitem__)
                combined[i] = combine(rules[i], dist, messages[i]).label.value
        scores[c] = (float(f1_score(labels, combined, average="macro")), float(f1_score(labels, alone, average="macro")))
    top = max(score for score, _alone in scores.values())
    best = min(c for c in grid if scores[c][0] >= top - TOLERANCE)  # the strongest regularisation near the top
    return best, scores


def fit(records: Sequence[dict], c: float) -> tuple[Any, dict]:
    """The fitted scikit-learn pipeline and its artifact (a JSON-able dict)."""
    import sklearn

    pipeline = _pipeline(c).fit([r["text"] for r in records], [r["label"] for r in records])
    tfidf, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    labels = [str(label) for label in clf.classes_]
    idf = tfidf.idf_
    coef = clf.coef_  # (n_labels, n_terms)
    vocab = {}
    for term, j in sorted(tfidf.vocabulary_.items()):
        weights = [round(float(coef[i, j]), 5) for i in range(len(labels))]
        if any(weights):
            vocab[term] = [round(float(idf[j]), 5), *weights]
    artifact = {
        "format": FORMAT,
        "name": "intent-tfidf-logreg",
        "labels": labels,
        "intercept": [round(float(v), 5) for v in clf.intercept_],
        "params": {"C": c, "min_df": MIN_DF, "sublinear_tf": True, "class_weight": "balanced"},
        "trained_on": {"records": len(records), "per_label": {lb: sum(r["label"] == lb for r in records) for lb in labels}},
        "sklearn_version": sklearn.__version__,
        "vocab": vocab,
    }
    return pipeline, artifact


def write_artifact(artifact: dict, path: Path = ARTIFACT_PATH) -> None:
    """One vocabulary term per line, so a retrain shows up as a readable diff."""
    head = {k: v for k, v in artifact.items() if k != "vocab"}
    lines = [json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1] + ', "vocab": {']
    entries = [f"{json.dumps(t, ensure_ascii=False)}: {json.dumps(row)}" for t, row in artifact["vocab"].items()]
    lines.append(",\n".join(entries))
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cadenza_classification.model.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--C", type=float, default=None, help="regularisation (default: chosen by grouped 5-fold CV of rules + model)")
    parser.add_argument("--out", type=Path, default=ARTIFACT_PATH, help=f"artifact path (default {ARTIFACT_PATH})")
    args = parser.parse_args(argv)
    _require_sklearn()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # several BLAS/OpenMP pools on a small machine oversubscribe it 8x
        return _train(args)


def _train(args: argparse.Namespace) -> int:
    records = dataset.load(split="train")
    if args.C is None:
        c, scores = choose_c(records)
        for value, (with_rules, alone) in scores.items():
            print(
                f"  C={value:<6g} grouped 5-fold macro-F1: rules+model {with_rules:.3f}, model alone {alone:.3f}"
                f"{'  <- chosen' if value == c else ''}"
            )
    else:
        c = args.C
    _pipeline_, artifact = fit(records, c)
    artifact["data_sha256"] = dataset.digest()
    write_artifact(artifact, args.out)
    size = args.out.stat().st_size
    print(f"trained on {len(records)} replies, C={c:g}: {len(artifact['vocab'])} terms, {size / 1024:.0f} KiB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
