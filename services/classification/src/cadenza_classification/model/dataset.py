"""The labelled reply set: loading, its digest, and wrapping a text as a real RFC 5322 reply."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from email.message import EmailMessage
from html import escape
from pathlib import Path

from cadenza_classification.model.build_dataset import DATA_PATH, RELABELS_PATH

__all__ = ["DATA_PATH", "RELABELS_PATH", "MODEL_LABELS", "load", "digest", "as_message"]

#: What the model learns: every label a text alone can show.  Bounces are decided by
#: the DSN structure only and never reach the model.
MODEL_LABELS = (
    "positive",
    "negative",
    "unsubscribe",
    "referral",
    "wrong_person",
    "question",
    "unknown",
    "out_of_office",
    "auto_reply",
)


def default_paths() -> tuple[Path, ...]:
    return (DATA_PATH, RELABELS_PATH)


def load(paths: Iterable[Path] | None = None, *, split: str | None = None) -> list[dict]:
    """Records of the data files that exist (``split`` = "train" / "test" / None for all)."""
    records: list[dict] = []
    for path in paths or default_paths():
        if not Path(path).exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("label") not in MODEL_LABELS or not str(record.get("text", "")).strip():
                    raise ValueError(f"{path}:{n}: needs a non-empty text and a label in {MODEL_LABELS}")
                record.setdefault("split", "train")
                if split is None or record["split"] == split:
                    records.append(record)
    return records


def digest(paths: Iterable[Path] | None = None) -> str:
    """SHA-256 over the data files that exist: the artifact records it, a test compares it."""
    h = hashlib.sha256()
    for path in paths or default_paths():
        if Path(path).exists():
            h.update(Path(path).name.encode())
            h.update(Path(path).read_bytes())
    return h.hexdigest()


_ORIGINAL = (
    "Hi {first},\n\n"
    "When I talk to finance teams, the close itself is rarely the problem. The week\n"
    "before it is: invoices sitting in an approver's inbox, POs that almost match,\n"
    "and a spreadsheet trying to keep track of both. Are you interested in a short call?\n\n"
    "Alex Morgan\nAccount Executive, Ledgerline"
)


def as_message(text: str, n: int, *, first: str = "Robin", last: str = "Keller") -> bytes:
    """``text`` as the new text of a reply to our day-1 e-mail, quoting it below.

    Every third message is Outlook-like ``multipart/alternative`` (quoted-printable
    text + HTML with an "-----Original Message-----" block); the others are
    Gmail-like plain text with an "On ... wrote:" attribution and "> " quotes.
    """
    domain = "replies.example"
    original = _ORIGINAL.format(first=first)
    headers = {
        "From": f"{first} {last} <{first.lower()}.{last.lower()}@{domain}>",
        "To": "Alex Morgan <alex.morgan@ledgerline.example>",
        "Subject": "Re: Invoice approvals at Replies Example",
        "Date": f"Wed, 17 Mar 2027 10:{n % 60:02d}:00 +0000",
        "Message-ID": f"<eval-{n}@{domain}>",
        "In-Reply-To": f"<intro.{n}@ledgerline.example>",
        "References": f"<intro.{n}@ledgerline.example>",
    }
    if n % 3 == 2:
        plain = (
            f"{text}\n\n-----Original Message-----\nFrom: Alex Morgan <alex.morgan@ledgerline.example>\n"
            f"Sent: Monday, March 15, 2027 9:10 AM\nTo: {first} {last}\nSubject: Invoice approvals\n\n{original}\n"
        )
        html_new = "<br>".join(escape(line) for line in text.split("\n"))
        html = (
            f'<html><body><div style="font-family:Calibri">{html_new}</div><hr>'
            f'<div id="divRplyFwdMsg"><b>From:</b> Alex Morgan<br><b>Sent:</b> Monday, March 15, 2027 9:10 AM<br>'
            f"<b>Subject:</b> Invoice approvals</div><div>{escape(original)}</div></body></html>"
        )
        msg = EmailMessage()
        msg.set_content(plain, subtype="plain", cte="quoted-printable")
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    else:
        quoted = "\n".join(("> " + line).rstrip() for line in original.split("\n"))
        body = f"{text}\n\nOn Mon, Mar 15, 2027 at 9:10 AM Alex Morgan <alex.morgan@ledgerline.example> wrote:\n\n{quoted}\n"
        msg = EmailMessage()
        msg.set_content(body, subtype="plain", cte="8bit")
    for name, value in headers.items():
        msg[name] = value
    return msg.as_bytes()
