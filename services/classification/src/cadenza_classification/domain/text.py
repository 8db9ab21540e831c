"""Pure text helpers: HTML to text, and isolating the *new* part of a reply.

Nothing here does I/O.  All regular expressions are applied line by line (or on
short windows of at most three joined lines) and have bounded quantifiers, so
the work stays linear in the size of the body even for hostile input.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

__all__ = ["html_to_text", "extract_new_text", "fold", "normalise_newlines"]

# --------------------------------------------------------------------------- #
# generic helpers
# --------------------------------------------------------------------------- #

_APOSTROPHES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u2013": "-",
        "\u2014": "-",
        "\u00df": "ss",
    }
)
_WS = re.compile(r"\s+")


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form used for phrase matching.

    ``"Je suis absente du bureau jusqu’au 3 mars"`` -> ``"je suis absente du bureau jusqu'au 3 mars"``;
    ``"Büro"`` -> ``"buro"``; ``"Grüße"`` -> ``"grusse"``.
    """
    text = text.translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _WS.sub(" ", text.lower()).strip()


# --------------------------------------------------------------------------- #
# HTML -> text
# --------------------------------------------------------------------------- #

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"})
# class / id markers of quoted history and signatures in the HTML of common clients
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "protonmail_quote", "zmail_extra", "ms-outlook-quote")
_SIGNATURE_MARKERS = ("gmail_signature", "moz-signature", "signature")
_MAX_STACK = 512


class _HtmlToText:
    """Converts a stream of tag/data events (from :func:`_tokenize`) into quoted-aware lines."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, list[str]]] = [(0, [])]
        # stack entries: (tag, quote_increment, skip_increment, pre_increment)
        self.stack: list[tuple[str, int, int, int]] = []
        self.quote = 0
        self.skip = 0
        self.pre = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    # -- output helpers -----------------------------------------------------
    def _newline(self) -> None:
        depth, parts = self.lines[-1]
        if parts or depth != self.quote:
            self.lines.append((self.quote, []))
        else:  # reuse the empty current line, but with the current quote depth
            self.lines[-1] = (self.quote, parts)

    def _blank_line(self) -> None:
        self._newline()
        if self.lines[-1][1] or (len(self.lines) > 1 and self.lines[-2][1]):
            self.lines.append((self.quote, []))

    def _emit(self, text: str) -> None:
        depth, parts = self.lines[-1]
        if depth != self.quote and parts:
            self.lines.append((self.quote, []))
            depth, parts = self.lines[-1]
        elif depth != self.quote:
            self.lines[-1] = (self.quote, parts)
        parts.append(text)

    # -- parser callbacks ---------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "br":
            if not self.skip:
                self.lines.append((self.quote, []))
            return
        if tag == "hr":
            if not self.skip:
                self._newline()
                self._emit("_" * 32)
                self._newline()
            return
        if tag == "img":
            return
        if tag in _VOID_TAGS:
            return
        marker = (attr.get("class", "") + " " + attr.get("id", "")).lower()
        quote_inc = (
            1
            if (
                (tag == "blockquote" and attr.get("type", "").lower() == "cite")
                or (tag == "blockquote")
                or any(c in marker for c in _QUOTE_CLASSES)
            )
            else 0
        )
        # Outlook wraps the reply header in <div id="divRplyFwdMsg"> / <div id="appendonsend">:
        # the text-level detector catches the "From: ... Sent: ..." block that follows.
        skip_inc = 1 if tag in _SKIP_TAGS else 0
        pre_inc = 1 if tag == "pre" else 0
        if tag in _BLOCK_TAGS or quote_inc:
            self._newline()
        if any(m in marker for m in _SIGNATURE_MARKERS) and not self.skip and not quote_inc:
            self._newline()
            self._emit("-- ")
            self._newline()
        if tag == "a" and not self.skip:
            self.href = attr.get("href", "")
            self.link_text = []
        if tag in ("td", "th") and not self.skip:
            self._emit(" ")
        if len(self.stack) < _MAX_STACK:
            self.stack.append((tag, quote_inc, skip_inc, pre_inc))
            self.quote += quote_inc
            self.skip += skip_inc
            self.pre += pre_inc

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() in _VOID_TAGS:
            self.handle_starttag(tag, attrs)
        # a self-closed non-void tag (e.g. <div/>) has no content: ignore it

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _VOID_TAGS:
            return
        # pop up to and including the matching open tag, if any is open
        for idx in range(len(self.stack) - 1, -1, -1):
            if self.stack[idx][0] == tag:
                break
        else:
            return
        while len(self.stack) > idx:
            t, q, s, p = self.stack.pop()
            self.quote -= q
            self.skip -= s
            self.pre -= p
        if tag == "a" and self.href is not None:
            href = self.href
            self.href = None
            if href.lower().startswith("mailto:"):
                address = href[7:].split("?", 1)[0]
                shown = "".join(self.link_text)
                if address and address.lower() not in shown.lower():
                    self._emit(f" <{address}>")
        if tag in _BLOCK_TAGS or tag == "blockquote":
            self._newline()
        if tag in ("p", "blockquote", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._blank_line()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            chunks = normalise_newlines(data).split("\n")
            for i, chunk in enumerate(chunks):
                if i:
                    self._newline()
                if chunk:
                    self._emit(chunk)
            return
        text = _WS.sub(" ", data)
        if not text:
            return
        if text == " ":
            depth, parts = self.lines[-1]
            if parts and not parts[-1].endswith(" "):
                self._emit(" ")
            return
        if self.href is not None:
            self.link_text.append(text)
        depth, parts = self.lines[-1]
        if not parts or parts[-1].endswith(" "):
            text = text.lstrip()
        if text:
            self._emit(text)

    def result(self) -> str:
        out: list[str] = []
        for depth, parts in self.lines:
            line = "".join(parts).strip()
            if depth and line:
                out.append(">" * depth + " " + line)
            else:
                out.append(line)
        text = "\n".join(out)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip("\n")


_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9:_-]{0,40})")
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_CONSTRUCT_START = re.compile(r"<(?:[a-zA-Z!?]|/[a-zA-Z])")
_ANY_TAG = re.compile(r"<[^<>]*>")
_MAX_TAGS = 50_000  # real mail has a few thousand; beyond this the rest is tag-stripped
_RAW_TEXT_TAGS = ("script", "style", "title", "textarea", "xmp")


def _tokenize(html: str, sink: _HtmlToText) -> None:
    """Linear-time HTML tokenizer (every construct is scanned once; unterminated ones end the input).

    The standard library's ``HTMLParser`` goes quadratic on inputs such as a
    megabyte of ``"<"``; mail bodies are untrusted, so this one only ever moves forward.
    """
    lower = html.lower()
    pos = 0  # next character to look at
    text_start = 0  # start of pending text (literal "<" characters stay in it)
    n = len(html)
    tags = 0
    while pos < n:
        tags += 1
        if tags > _MAX_TAGS:
            # pathological markup: strip the remaining tags in one C-speed pass
            rest = _ANY_TAG.sub(" ", html[text_start:])
            text_start = n
            sink.handle_data(unescape(rest))
            break
        found = _CONSTRUCT_START.search(html, pos)  # a "<" not followed by these is literal text
        if found is None:
            break
        lt = found.start()
        nxt = html[lt + 1 : lt + 2]
        if lt > text_start:
            sink.handle_data(unescape(html[text_start:lt]))
        text_start = n  # whatever happens below, the pending text has been flushed
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            if end < 0:
                return  # unterminated comment swallows the rest
            pos = text_start = end + 3
            continue
        if nxt in ("!", "?"):  # doctype, CDATA, processing instruction
            end = html.find(">", lt + 2)
            if end < 0:
                return
            pos = text_start = end + 1
            continue
        end = html.find(">", lt + 1)
        if end < 0:
            return  # unterminated tag: drop the rest
        tag_text = html[lt : end + 1]
        pos = text_start = end + 1
        m = _TAG_NAME.match(tag_text)
        if not m:
            continue
        name = m.group(1).lower()
        if tag_text.startswith("</"):
            sink.handle_endtag(name)
            continue
        attrs: list[tuple[str, str | None]] = []
        for am in _ATTR.finditer(tag_text, m.end(), len(tag_text) - 1):
            value = am.group(2)
            if value is not None:
                if value[:1] in ("'", '"'):
                    value = value[1:-1]
                value = unescape(value)
            attrs.append((am.group(1).lower(), value))
        if tag_text.endswith("/>"):
            sink.handle_startendtag(name, attrs)
        else:
            sink.handle_starttag(name, attrs)
        if name in _RAW_TEXT_TAGS:
            close = lower.find("</" + name, pos)
            if close < 0:
                return
            if name in ("textarea", "xmp"):
                sink.handle_data(unescape(html[pos:close]))
            gt = html.find(">", close)
            pos = text_start = n if gt < 0 else gt + 1
            sink.handle_endtag(name)
    if text_start < n:
        sink.handle_data(unescape(html[text_start:]))


def html_to_text(html: str) -> str:
    """Convert an HTML mail body to plain text (linear time, never raises).

    Block elements become line breaks; ``<blockquote>`` and the quote containers
    of Gmail/Yahoo/ProtonMail become ``"> "``-prefixed lines (so quoted history
    is recognised the same way as in a plain-text reply); signature containers
    (``gmail_signature``, ``moz-signature``, Outlook ``id="Signature"``) are
    preceded by the RFC 3676 ``"-- "`` delimiter; script/style/head are dropped.
    """
    sink = _HtmlToText()
    _tokenize(html, sink)
    return sink.result()


# --------------------------------------------------------------------------- #
# New text of a reply: drop quoted history and signature
# --------------------------------------------------------------------------- #

_QUOTED_LINE = re.compile(r"^[ \t]*(?:>|\|(?=[ \t]))")

# "On Tue, Mar 2, 2027 at 9:14 AM Dana <dana@example.com> wrote:" and translations.
_ATTRIBUTION_START = re.compile(r"^[ \t]*(?:on|am|le|el|op|em|il|den|pa|på|w dniu|dne)\b", re.IGNORECASE)
_ATTRIBUTION_VERB = r"(?:wrote|writes|schrieb|schreef|a [ée]crit|escribi[óo]|escreveu|ha scritto|skrev|napisa[łl]\w*|написал\w*)"
# "... wrote:" at the end, or "Am ... schrieb Dana <dana@example.com>:" (verb inside, colon at the end)
_ATTRIBUTION_END = re.compile(
    r"\b" + _ATTRIBUTION_VERB + r"(?:[ \t]*:?|[^\n]{0,250}:)[ \t]*$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^[ \t]*[-=_*]{2,}[ \t]*(?:original message|original-nachricht|urspr[üu]ngliche nachricht|"
    r"message d'origine|message original|mensaje original|oorspronkelijk bericht|origineel bericht|"
    r"mensagem original|messaggio originale|forwarded message|weitergeleitete nachricht|"
    r"message transf[ée]r[ée]|mensaje reenviado|doorgestuurd bericht|mensagem encaminhada)"
    r"[ \t]*[-=_*]{0,}[ \t]*$",
    re.IGNORECASE,
)
_FORWARD_START = re.compile(
    r"^[ \t]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"d[ée]but du message r[ée]exp[ée]di[ée]|inicio del mensaje reenviado)[ \t]*:[ \t]*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^[ \t]*\*{0,2}(?:from|von|de|van|da|od|fra|från)[ \t]*\*{0,2}[ \t]*:", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^[ \t]*\*{0,2}(?:sent|date|gesendet|datum|envoy[ée]|date|enviado|fecha|verzonden|data|inviato|skickat)"
    r"[ \t]*\*{0,2}[ \t]*:",
    re.IGNORECASE,
)
_HEADER_OTHER = re.compile(
    r"^[ \t]*\*{0,2}(?:to|an|[àa]|para|aan|a|cc|subject|betreff|objet|asunto|onderwerp|assunto|oggetto)"
    r"[ \t]*\*{0,2}[ \t]*:",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^[ \t]*_{10,}[ \t]*$")

_SIG_DELIMITER = re.compile(r"^--[ \t]?$")
_MOBILE_SIGNATURE = re.compile(
    r"^[ \t]*(?:sent from my|sent from outlook|sent from mail for|sent from yahoo mail|get outlook for|"
    r"sent via|sent with|envoy[ée] de mon|envoy[ée] depuis|von meinem|gesendet von|enviado desde|"
    r"enviado do meu|verzonden vanaf|verstuurd vanaf|inviato da)\b",
    re.IGNORECASE,
)
_VALEDICTION = re.compile(
    r"^[ \t]*(?:best|best regards|kind regards|warm regards|warmest regards|regards|many thanks|thanks|"
    r"thanks again|thank you|thx|cheers|sincerely|yours sincerely|yours truly|all the best|talk soon|"
    r"best wishes|mit freundlichen gr(?:ü|ue|u)(?:ß|ss)en|freundliche gr(?:ü|ue|u)(?:ß|ss)e|mfg|"
    r"viele gr(?:ü|ue|u)(?:ß|ss)e|beste gr(?:ü|ue|u)(?:ß|ss)e|liebe gr(?:ü|ue|u)(?:ß|ss)e|"
    r"gr(?:ü|ue|u)(?:ß|ss)e|gru(?:ß|ss)|lg|vg|cordialement|bien cordialement|bien [àa] vous|"
    r"salutations|meilleures salutations|amicalement|saludos|un saludo|saludos cordiales|atentamente|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groet|atenciosamente|abra[çc]os|"
    r"cumprimentos|cordiali saluti|saluti)"
    r"[ \t]*[,.!]?[ \t]*(?-i:(?:[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*)?)?)[ \t]*$",  # a name is capitalised
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 10
# Only the beginning of a body is searched for the new text: replies put it on top,
# and it bounds the work on hostile multi-megabyte bodies.
MAX_NEW_TEXT_SCAN = 200_000


def _is_attribution(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an "On <date>, <who> wrote:" header starting at ``i``, else 0.

    The (joined) header must end with the verb (or a colon after it) and contain a
    digit or an address, so "Here is what my boss wrote:" is not a header.
    """
    first = lines[i]
    if len(first) > 400 or _QUOTED_LINE.match(first):
        return 0
    starts = bool(_ATTRIBUTION_START.match(first))
    joined = ""
    for span in range(3):
        if i + span >= len(lines):
            break
        line = lines[i + span]
        if span and (not line.strip() or _QUOTED_LINE.match(line)):
            break
        joined = (joined + " " + line.strip()).strip()
        if len(joined) > 500:
            return 0
        if _ATTRIBUTION_END.search(joined) and ("@" in joined or re.search(r"\d", joined)):
            return span + 1
        if not starts:
            return 0
    return 0


def _is_header_block(lines: list[str], i: int) -> int:
    """Outlook style "From: ... / Sent: ... / To: ... / Subject: ..." block starting at ``i``."""
    if not _HEADER_FROM.match(lines[i]):
        return 0
    sent = other = False
    for j in range(i + 1, min(i + 7, len(lines))):
        line = lines[j]
        if _HEADER_SENT.match(line):
            sent = True
        elif _HEADER_OTHER.match(line):
            other = True
        if sent and other:
            return j - i + 1
    return 0


def _history_start(lines: list[str], i: int) -> tuple[str, int] | None:
    """Classify line ``i`` as the start of quoted history: (kind, header length) or None."""
    line = lines[i]
    if _ORIGINAL_MESSAGE.match(line) or _FORWARD_START.match(line):
        return ("separator", 1)
    if _UNDERSCORES.match(line):
        # Outlook (web) puts a line of underscores above the "From:" block
        for j in range(i + 1, min(i + 3, len(lines))):
            if _HEADER_FROM.match(lines[j]) and _is_header_block(lines, j):
                return ("separator", 1)
        return None
    n = _is_header_block(lines, i)
    if n:
        return ("header", n)
    n = _is_attribution(lines, i)
    if n:
        return ("attribution", n)
    return None


def _strip_signature(lines: list[str]) -> list[str]:
    content_idx = [k for k, line in enumerate(lines) if line.strip()]
    first_content = content_idx[0] if content_idx else 0
    for k, line in enumerate(lines):
        if _SIG_DELIMITER.match(line) or _MOBILE_SIGNATURE.match(line):
            return lines[:k]
        if k > first_content and _VALEDICTION.match(line) and _looks_like_signature([x for x in lines[k + 1 :] if x.strip()]):
            return lines[:k]
    return lines


def _looks_like_signature(rest: list[str]) -> bool:
    """What follows a valediction: a few short lines (name, title, phone), no question, no prose."""
    if len(rest) > _MAX_SIGNATURE_LINES:
        return False
    if rest and len(rest[0].strip()) > 40:
        return False
    if any(len(x) > 80 or x.rstrip().endswith("?") for x in rest):
        return False
    return sum(len(x) for x in rest) <= 400


def _strip_name_block(lines: list[str], sender_name: str | None) -> list[str]:
    """Drop a trailing short block (name, title, phone) that starts with the sender's name."""
    if not sender_name:
        return lines
    names = {fold(tok).strip(",.") for tok in re.split(r"[\s,]+", sender_name) if len(tok.strip(",.")) >= 2}
    if not names:
        return lines
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if not block or start == 0 or len(block) > 6 or any(len(x) > 80 for x in block):
        return lines
    if not any(line.strip() for line in lines[:start]):
        return lines
    first_words = {fold(w).strip(",.") for w in re.split(r"[\s,|]+", block[0]) if w}
    if first_words & names and len(block[0]) <= 60:
        return lines[:start]
    return lines


def extract_new_text(text: str, sender_name: str | None = None) -> str:
    """Return only what the sender wrote in this message.

    Removes: ``"> "`` quoted lines (inline/bottom-posted answers between quotes are
    kept); everything after an unquoted history header (Outlook
    ``-----Original Message-----``, ``From:/Sent:/To:`` blocks, forwarded-message
    markers); the "On ... wrote:" attribution line itself; the signature (RFC 3676
    ``"-- "``, "Sent from my iPhone", or a valediction such as "Best regards,"
    followed by at most a few short lines; a last short paragraph that starts with
    ``sender_name``, e.g. "Alex Keller / Head of Operations").
    """
    lines = normalise_newlines(text[:MAX_NEW_TEXT_SCAN]).split("\n")
    kept: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        start = _history_start(lines, i)
        if start is not None:
            kind, length = start
            j = i + length
            k = j
            while k < n and not lines[k].strip():
                k += 1
            if kind == "attribution" and (k >= n or _QUOTED_LINE.match(lines[k])):
                # quoted with ">": keep scanning, unquoted answers below the quote survive
                i = j
                continue
            break  # unquoted history: everything below is the old thread
        line = lines[i]
        if not _QUOTED_LINE.match(line):
            kept.append(line.rstrip())
        i += 1
    kept = _strip_signature(kept)
    kept = _strip_name_block(kept, sender_name)
    out = "\n".join(kept)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
