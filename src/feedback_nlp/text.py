"""The one normalisation step shared by training and inference, and PII masking.

Every model sees text only through :func:`normalize`; hosts in other languages
reproduce it from the rule in ``docs/FEATURES.md``:

1. Unicode NFKC (this also maps full-width ASCII and the ideographic space to
   half-width),
2. lower-case,
3. Traditional -> Simplified with OpenCC's ``t2s`` configuration,
4. every run of whitespace (incl. control characters) becomes one space,
   leading/trailing space is dropped,
5. the result is cut to :data:`MAX_CHARS` characters.

OpenCC is used for step 3 because it is the maintained reference converter
(C++ core, phrase-aware, actively released, also available for Node.js as
``opencc-js``), and it converts ~125k short texts/s on one core.
"""
from __future__ import annotations

import re
import threading
import unicodedata

#: Texts are cut to this many characters (after the steps above) before
#: scoring. More than 99.9% of reviews in the shared corpora are shorter.
MAX_CHARS = 1000

_WS = re.compile(r"[\s\x00-\x1f\x7f]+")
_SURROGATES = re.compile("[\ud800-\udfff]")


_local = threading.local()


def _t2s(text: str) -> str:
    # One converter per thread: OpenCC objects are not documented as thread-safe.
    conv = getattr(_local, "conv", None)
    if conv is None:
        import opencc

        conv = _local.conv = opencc.OpenCC("t2s")
    return conv.convert(text)


def normalize(text: str, max_chars: int = MAX_CHARS) -> str:
    """Return the canonical form every model is trained and scored on.

    Raises TypeError for non-strings so that bad input fails here, clearly,
    rather than deep inside a model.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    # Cut early (generously) so a 100k-character text costs no more than a long review.
    if len(text) > 4 * max_chars:
        text = text[: 4 * max_chars]
    text = unicodedata.normalize("NFKC", text).lower()
    # Lone surrogates (from bad decoding) cannot be encoded for OpenCC: drop them.
    text = _SURROGATES.sub("", text)
    text = _t2s(text)
    text = _WS.sub(" ", text).strip()
    return text[:max_chars]


# --- PII masking --------------------------------------------------------------
# Order matters: longer / more specific patterns first.
_PII_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("[EMAIL]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    # Mainland resident ID: 17 digits + digit/X
    ("[ID]", re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")),
    # Mainland mobile numbers, optionally +86 and separators
    ("[PHONE]", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")),
    # Landline e.g. 010-12345678
    ("[PHONE]", re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
    # Order / tracking numbers: long digit or letter+digit runs
    ("[ORDER]", re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{0,4}\d{10,24}(?![A-Za-z0-9])")),
]


def mask_pii(text: str) -> str:
    """Replace phone numbers, e-mails, ID-card and order numbers with placeholders.

    Used for outputs and reports, never before scoring (the spam model needs to
    see contact details).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    for placeholder, pattern in _PII_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
