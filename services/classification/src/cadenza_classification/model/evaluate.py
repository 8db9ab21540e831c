"""Evaluate reply classification on the held-out split, and measure its throughput.

    python -m cadenza_classification.model.evaluate              # what `make eval-classifier` runs
    python -m cadenza_classification.model.evaluate --seconds 10 --fail-under 0.8

Every held-out text is wrapped as a real RFC 5322 reply (quoted original below it,
every third one Outlook-like multipart/alternative with quoted-printable parts,
see :func:`~cadenza_classification.model.dataset.as_message`) and goes through
``parse_message``.  Three systems are scored on the same messages:

* **rules** - :func:`~cadenza_classification.domain.rules.classify` alone;
* **model** - the shipped intent model on the parsed new text alone;
* **combined** - :func:`~cadenza_classification.domain.combine.classify_reply`, what the service runs.

For each: per-label precision / recall / F1 / support, macro-F1, accuracy and the
confusion matrix; for rules and combined also how many replies fall below the
review threshold and how accurate the rest are.  Throughput is messages per
second of ``parse_message`` + classification over those messages on one core,
combined against rules-only as the baseline in the same run.  No scikit-learn:
the metrics are computed here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cadenza_classification.domain.combine import classify_reply
from cadenza_classification.domain.parsing import ParsedMessage, parse_message
from cadenza_classification.domain.rules import Classification, classify
from cadenza_classification.model import dataset
from cadenza_classification.model.intent import ARTIFACT_PATH, IntentModel

__all__ = ["Scores", "score", "main"]


@dataclass(frozen=True)
class Scores:
    labels: tuple[str, ...]
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    support: dict[str, int]
    macro_f1: float
    accuracy: float
    confusion: dict[tuple[str, str], int]  # (gold, predicted) -> count


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> Scores:
    """Per-label and macro figures (macro over every label seen in gold or predicted, like scikit-learn)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    seen = list(dict.fromkeys([*(labels or ()), *sorted(set(gold) | set(predicted))]))
    confusion = Counter(zip(gold, predicted, strict=True))
    precision, recall, f1, support = {}, {}, {}, {}
    for label in seen:
        tp = confusion[(label, label)]
        n_pred = sum(1 for p in predicted if p == label)
        n_gold = sum(1 for g in gold if g == label)
        precision[label] = tp / n_pred if n_pred else 0.0
        recall[label] = tp / n_gold if n_gold else 0.0
        p, r = precision[label], recall[label]
        f1[label] = 2 * p * r / (p + r) if p + r else 0.0
        support[label] = n_gold
    return Scores(
        labels=tuple(seen),
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        macro_f1=sum(f1.values()) / len(seen) if seen else 0.0,
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        confusion=dict(confusion),
    )


# --------------------------------------------------------------------------- output (rich when installed)


class _Out:
    def __init__(self) -> None:
        try:
            from rich.console import Console

            self.console: object | None = Console(highlight=False)
        except ImportError:  # pragma: no cover - plain text without rich
            self.console = None

    def rule(self, title: str) -> None:
        if self.console is not None:
            self.console.rule(f"[bold]{title}")  # type: ignore[attr-defined]
        else:
            print(f"\n== {title} ==")

    def line(self, text: str = "") -> None:
        if self.console is not None:
            self.console.print(text)  # type: ignore[attr-defined]
        else:
            print(text)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if self.console is not None:
            from rich.table import Table

            table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
            for i, column in enumerate(columns):
                table.add_column(column, justify="left" if i == 0 else "right")
            for row in rows:
                table.add_row(*row)
            self.console.print(table)  # type: ignore[attr-defined]
            return
        widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows, strict=False)]
        print(title)
        for row in (columns, *rows):
            print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths, strict=False))))


def _report(out: _Out, name: str, scores: Scores) -> None:
    rows = [
        [label, f"{scores.precision[label]:.3f}", f"{scores.recall[label]:.3f}", f"{scores.f1[label]:.3f}", str(scores.support[label])]
        for label in scores.labels
    ]
    rows.append(["macro", "", "", f"{scores.macro_f1:.3f}", str(sum(scores.support.values()))])
    out.table(
        f"{name}: accuracy {scores.accuracy:.3f}, macro-F1 {scores.macro_f1:.3f}", ["label", "precision", "recall", "F1", "support"], rows
    )


def _confusion(out: _Out, name: str, scores: Scores) -> None:
    short = {
        label: label.replace("out_of_office", "ooo")
        .replace("wrong_person", "wrong")
        .replace("unsubscribe", "unsub")
        .replace("auto_reply", "auto")
        .replace("positive", "pos")
        .replace("negative", "neg")
        .replace("question", "quest")
        .replace("referral", "refer")
        .replace("unknown", "unkn")
        for label in scores.labels
    }
    rows = [[label, *[str(scores.confusion.get((label, p), 0) or ".") for p in scores.labels]] for label in scores.labels]
    out.table(
        f"{name}: confusion matrix (rows: true label, columns: predicted)", ["true \\ predicted", *[short[p] for p in scores.labels]], rows
    )


def _throughput(
    messages: Sequence[bytes], paths: dict[str, Callable[[ParsedMessage], object]], seconds: float, rounds: int = 5
) -> dict[str, tuple[float, float, int]]:
    """Per path: (median wall-clock messages/s, messages per CPU-second, messages run).

    The paths take turns, ``rounds`` times, over all of ``messages`` (parse + classify
    each), so a busy machine slows every path alike; CPU time (``process_time``) is
    what the process itself spent, unaffected by other load.
    """
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, float] = dict.fromkeys(paths, 0.0)
    done: dict[str, int] = dict.fromkeys(paths, 0)
    budget = seconds / rounds
    for _ in range(rounds):
        for name, run in paths.items():
            n = 0
            w0, c0 = time.perf_counter(), time.process_time()
            while True:
                for raw in messages:
                    run(parse_message(raw))
                n += len(messages)
                if time.perf_counter() - w0 >= budget:
                    break
            wall[name].append(n / (time.perf_counter() - w0))
            cpu[name] += time.process_time() - c0
            done[name] += n
    return {name: (statistics.median(wall[name]), done[name] / cpu[name], done[name]) for name in paths}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cadenza_classification.model.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ARTIFACT_PATH, help="intent model artifact (default: the shipped one)")
    parser.add_argument(
        "--split", default="test", choices=["test", "train", "all"], help="which records (default: the held-out test split)"
    )
    parser.add_argument("--review-threshold", type=float, default=0.6)
    parser.add_argument("--min-model-probability", type=float, default=0.5)
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="throughput: seconds per path, split over 5 interleaved rounds (default 3)"
    )
    parser.add_argument("--fail-under", type=float, default=None, help="exit 1 when the combined macro-F1 is below this")
    parser.add_argument("--errors", action="store_true", help="list every reply the combined system gets wrong")
    args = parser.parse_args(argv)

    out = _Out()
    model = IntentModel.load(args.model)
    records = dataset.load(split=None if args.split == "all" else args.split)
    if not records:
        parser.error(f"no records in split {args.split!r}")
    raws = [dataset.as_message(r["text"], i) for i, r in enumerate(records)]
    messages = [parse_message(raw) for raw in raws]
    gold = [r["label"] for r in records]
    labels = list(dataset.MODEL_LABELS)
    options = dict(review_threshold=args.review_threshold)

    def combined(msg: ParsedMessage) -> Classification:
        return classify_reply(msg, model=model, min_model_probability=args.min_model_probability, **options)

    def rules_only(msg: ParsedMessage) -> Classification:
        return classify(msg, **options)

    rules_results = [rules_only(m) for m in messages]
    combined_results = [combined(m) for m in messages]
    model_labels = [model.predict(m.new_text[:3000])[0] for m in messages]
    systems = {
        "rules": score(gold, [c.label.value for c in rules_results], labels),
        "model": score(gold, model_labels, labels),
        "combined": score(gold, [c.label.value for c in combined_results], labels),
    }

    n_train = len(dataset.load(split="train"))
    out.rule("Reply classification: held-out evaluation")
    out.line(
        f"data: {dataset.DATA_PATH.name} ({n_train} train incl. relabels, {len(records)} {args.split}); "
        f"model: {args.model.name} ({model.name}, {len(model.vocab)} terms, C={model.meta.get('params', {}).get('C')}); "
        f"review threshold {args.review_threshold}"
    )
    for name, scores in systems.items():
        out.line()
        _report(out, name, scores)
    for name in ("rules", "model", "combined"):
        out.line()
        _confusion(out, name, systems[name])

    out.line()
    rows = []
    for name, results in (("rules", rules_results), ("combined", combined_results)):
        review = [c for c in results if c.needs_review]
        auto = [(c.label.value == g) for c, g in zip(results, gold, strict=True) if not c.needs_review]
        rows.append(
            [name, f"{len(review)} ({len(review) / len(results):.0%})", f"{sum(auto) / len(auto):.3f}" if auto else "-", str(len(auto))]
        )
    out.table(
        "needs_review: how many go to a human, how right the rest are", ["system", "needs_review", "accuracy of the rest", "decided"], rows
    )

    by_lang: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_lang.setdefault(record.get("lang", "?"), []).append(i)
    lang_rows = []
    for lang, idx in sorted(by_lang.items(), key=lambda kv: -len(kv[1])):
        g = [gold[i] for i in idx]
        lang_rows.append(
            [
                lang,
                str(len(idx)),
                f"{score(g, [rules_results[i].label.value for i in idx]).accuracy:.3f}",
                f"{score(g, [combined_results[i].label.value for i in idx]).accuracy:.3f}",
            ]
        )
    tags = sorted({t for r in records for t in r.get("tags", [])})
    for tag in tags:
        idx = [i for i, r in enumerate(records) if tag in r.get("tags", [])]
        g = [gold[i] for i in idx]
        lang_rows.append(
            [
                f"tag {tag}",
                str(len(idx)),
                f"{score(g, [rules_results[i].label.value for i in idx]).accuracy:.3f}",
                f"{score(g, [combined_results[i].label.value for i in idx]).accuracy:.3f}",
            ]
        )
    out.line()
    out.table("accuracy by language and by tag", ["slice", "replies", "rules", "combined"], lang_rows)

    if args.errors:
        out.line()
        out.rule("combined errors")
        for record, msg, result in zip(records, messages, combined_results, strict=True):
            if result.label.value != record["label"]:
                out.line(f"[{record['label']} -> {result.label.value} {result.confidence:.2f}] {msg.new_text[:140]!r}")
                out.line(f"    {'; '.join(result.evidence[:5])}")

    out.line()
    rates = _throughput(raws, {"rules only (baseline)": rules_only, "rules + model (service)": combined}, args.seconds)
    out.table(
        f"throughput: parse_message + classify, {len(raws)} {args.split} messages, one process, paths interleaved "
        "(wall: median of 5 rounds; CPU: messages per CPU-second of this process)",
        ["path", "msg/s wall", "msg/s CPU", "ms CPU/msg", "run"],
        [[name, f"{w:,.0f}", f"{c:,.0f}", f"{1000 / c:.2f}", f"{n:,}"] for name, (w, c, n) in rates.items()],
    )
    (base_wall, base_cpu, _), (full_wall, full_cpu, _) = rates.values()
    out.line(f"rules + model runs at {full_cpu / base_cpu:.2f}x the rules-only rate (CPU), {full_wall / base_wall:.2f}x (wall)")
    out.line()
    c = systems["combined"]
    out.line(
        f"[bold]macro-F1[/bold] combined {c.macro_f1:.3f} | rules {systems['rules'].macro_f1:.3f} | model {systems['model'].macro_f1:.3f}"
        if out.console is not None
        else f"macro-F1 combined {c.macro_f1:.3f} | rules {systems['rules'].macro_f1:.3f} | model {systems['model'].macro_f1:.3f}"
    )
    if args.fail_under is not None and c.macro_f1 < args.fail_under:
        out.line(f"combined macro-F1 {c.macro_f1:.3f} is below --fail-under {args.fail_under}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
