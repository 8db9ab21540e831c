"""Export human relabels from the database into the training data.

    python -m cadenza_classification.model.export_relabels --database-url postgresql+asyncpg://...@host/db
    python -m cadenza_classification.model.train        # then retrain
    python -m cadenza_classification.model.evaluate     # and check the held-out figures

Every reply a person relabelled (``POST /v1/replies/{id}/label`` sets
``labelled_by = 'human'``) is parsed again from its stored raw message; its new
text and the human's label are appended to ``model/data/relabels.jsonl``
(always the ``train`` split, so the held-out figures stay comparable).  Replies
already exported (same reply id) or whose text is already in the data are
skipped, as are bounces (the model never sees them) and replies without new text.

These are real replies from prospects.  By default e-mail addresses become
``someone@example.invalid`` and digits ``0`` (the model reads them that way
anyway); names and other details are not removed - review the file before
committing it.  ``--no-redact`` keeps the text as received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from cadenza_classification.domain.errors import MalformedMessage
from cadenza_classification.domain.parsing import parse_message
from cadenza_classification.model import dataset
from cadenza_classification.model.features import normalise

__all__ = ["records_from_rows", "append_records", "main"]

_EMAIL = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_DIGITS = re.compile(r"\d")


def redact(text: str) -> str:
    return _DIGITS.sub("0", _EMAIL.sub("someone@example.invalid", text))


def records_from_rows(rows: Iterable[tuple[str, str, str]], *, redact_text: bool = True) -> list[dict]:
    """``(reply_id, label, raw)`` rows -> training records (unparseable, empty or bounce rows skipped)."""
    out = []
    for reply_id, label, raw in rows:
        if label not in dataset.MODEL_LABELS:
            continue
        try:
            msg = parse_message(raw.encode("utf-8", errors="surrogateescape"), max_bytes=max(5_000_000, len(raw) * 4))
        except MalformedMessage:
            continue
        text = msg.new_text.strip()[:5_000]
        if not text:
            continue
        out.append(
            {
                "id": f"relabel-{reply_id}",
                "text": redact(text) if redact_text else text,
                "label": label,
                "lang": "und",
                "split": "train",
                "group": f"relabel-{reply_id}",
                "tags": ["relabel"],
                "source": "relabel",
            }
        )
    return out


def append_records(records: Sequence[dict], path: Path = dataset.RELABELS_PATH) -> int:
    """Append the records not yet in the data (by id, and by normalised text); returns how many."""
    existing = dataset.load([*dataset.default_paths(), path])
    seen_ids = {r.get("id") for r in existing}
    seen_texts = {normalise(r["text"]) for r in existing}
    new = []
    for record in records:
        key = normalise(record["text"])
        if record["id"] in seen_ids or key in seen_texts:
            continue
        seen_ids.add(record["id"])
        seen_texts.add(key)
        new.append(record)
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            for record in new:
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return len(new)


async def _fetch(database_url: str, tenant: str | None) -> list[tuple[str, str, str]]:
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from cadenza_classification.repo.tables import replies

    if database_url.startswith("postgresql://"):
        database_url = "postgresql+asyncpg://" + database_url[len("postgresql://") :]
    engine = create_async_engine(database_url)
    try:
        query = select(replies.c.id, replies.c.label, replies.c.raw).where(replies.c.labelled_by == "human").order_by(replies.c.received_at)
        if tenant:
            query = query.where(replies.c.tenant == tenant)
        async with engine.connect() as conn:
            return [(str(r.id), r.label, r.raw) for r in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cadenza_classification.model.export_relabels", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the database holding the classification schema")
    parser.add_argument("--tenant", default=None, help="only this tenant's relabels")
    parser.add_argument("--out", type=Path, default=dataset.RELABELS_PATH, help=f"default {dataset.RELABELS_PATH}")
    parser.add_argument("--no-redact", action="store_true", help="keep addresses and digits as received")
    parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
    args = parser.parse_args(argv)

    rows = asyncio.run(_fetch(args.database_url, args.tenant))
    records = records_from_rows(rows, redact_text=not args.no_redact)
    if args.dry_run:
        print(f"{len(rows)} relabelled replies, {len(records)} usable as training data (dry run: nothing written)")
        return 0
    added = append_records(records, args.out)
    print(f"{len(rows)} relabelled replies, {len(records)} usable, {added} new -> {args.out}")
    if added:
        print("next: python -m cadenza_classification.model.train && python -m cadenza_classification.model.evaluate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
