"""The one normalisation step shared by training and inference, and PII masking.

Every model sees text only through :func:`normalize`; hosts in other languages
reproduce it from the rule in ``docs/FEATURES.md``:

1. invisible format characters (:data:`INVISIBLE`: zero-width space and non-joiner, soft hyphen, BOM, word
   joiner, direction marks) are dropped; the zero-width joiner of emoji sequences stays,
2. Unicode NFKC (this also maps full-width ASCII and the ideographic space to
   half-width),
3. lower-case,
4. Traditional -> Simplified with OpenCC's ``t2s`` configuration,
5. every run of whitespace (incl. control characters) becomes one space,
   leading/trailing space is dropped,
6. the result is cut to :data:`MAX_CHARS` characters.

A text still longer than 4 × :data:`MAX_CHARS` after step 1 is cut to that many characters before step 2, once its
whitespace runs are collapsed and leading whitespace dropped, so padding cannot push its words past the cut.

OpenCC is used for step 3 because it is the maintained reference converter
(C++ core, phrase-aware, actively released, also available for Node.js as
``opencc-js``), and it converts ~125k short texts/s on one core.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any, Iterable, Sequence

#: Texts are cut to this many characters (after the steps above) before
#: scoring. More than 99.9% of reviews in the shared corpora are shorter.
MAX_CHARS = 1000

_WS = re.compile(r"[\s\x00-\x1f\x7f]+")
#: Invisible format characters dropped by :func:`normalize` (not U+200D, the joiner inside emoji sequences).
INVISIBLE = "\u00ad\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_SURROGATES = re.compile("[\ud800-\udfff]")


_local = threading.local()


def _t2s(text: str) -> str:
    # One converter per thread: OpenCC objects are not documented as thread-safe.
    conv = getattr(_local, "conv", None)
    if conv is None:
        import opencc

        conv = _local.conv = opencc.OpenCC("t2s")
    return conv.convert(text)


def require_sequence(texts: Any) -> None:
    """TypeError for a bare string or bytes where a sequence of texts belongs: it would be read as one text per
    character."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"texts must be a sequence of str, got a single {type(texts).__name__}; wrap it in a list")


def require_texts(texts: Sequence[Any], offset: int = 0) -> None:
    """TypeError naming the first element that is not a string, by its 0-based index in the caller's sequence
    (``offset`` + index): a batch fails on the record the caller can find, not deep inside a model. A bare string
    is refused too (:func:`require_sequence`)."""
    require_sequence(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text at index {offset + i} must be str, got {type(t).__name__}")


def normalize(text: str, max_chars: int = MAX_CHARS) -> str:
    """Return the canonical form every model is trained and scored on.

    Raises TypeError for non-strings so that bad input fails here, clearly,
    rather than deep inside a model.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    # Invisible characters go first, before NFKC (which composes across them differently) and the early cut.
    text = _INVISIBLE.sub("", text)
    # Cut early (generously) so a 100k-character text costs no more than a long review; padding first goes.
    if len(text) > 4 * max_chars:
        text = _WS.sub(" ", text).lstrip()[: 4 * max_chars]
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


#: Anything but a letter (punctuation, emoji, digits, spaces, "_"): what the tests of texts that name no problem
#: (``tasks.verdict``, ``tasks.rating`` …) delete before their phrases. Spelt without \W so hosts can translate it.
NOT_LETTER = re.compile(r"[^\w]|\d|_")


# --- script check -------------------------------------------------------------
#: Han ideographs (CJK unified, extension A, compatibility, supplementary planes).
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
#: Syllabic scripts counted per character like Han: Japanese kana, Korean Hangul.
_SYLLABIC = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
#: A letter that is not Han: texts without one are Chinese (or have no letters) at once.
_NON_HAN_LETTER = re.compile("[^\\W\\d_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
#: Below this share of Han among a text's letter units, the text is taken as not Chinese.
MIN_HAN_SHARE = 0.5
#: Reason added to ``severity_reasons`` of a result flagged by :func:`is_not_chinese`.
NOT_CHINESE_REASON = "not Chinese: the models cover Chinese only, check by hand"


def han_share(norm: str) -> tuple[float, int]:
    """``(share of Han, letter units)`` of a normalised text.

    Units: each Han, kana or Hangul character is one unit (each is about one
    syllable), and each run of other letters (a Latin, Cyrillic, Greek... word)
    is one unit, so a brand name such as "iPhone" weighs like one Chinese word
    and not six characters. Digits, punctuation, symbols and emoji are no units.
    """
    n_han = len(_HAN.findall(norm))
    rest = _HAN.sub(" ", norm)
    n_syll = len(_SYLLABIC.findall(rest))
    if n_syll:
        rest = _SYLLABIC.sub(" ", rest)
    n_words = len(_LETTER_RUN.findall(rest))
    units = n_han + n_syll + n_words
    return (n_han / units if units else 1.0), units


def is_not_chinese(norm: str, min_share: float = MIN_HAN_SHARE, min_foreign_units: int = 2) -> bool:
    """True when a normalised text is written mostly in another language ("The package
    arrived broken", Japanese, Korean), which the shipped models were not trained on.

    The check is the script only: Han units are below ``min_share`` of the letter
    units (:func:`han_share`) and at least ``min_foreign_units`` units are not Han.
    Mixed Chinese with brand names ("iPhone充电器坏了"), emoji-only, digits-only and
    one-word texts ("ok") are not flagged. Traditional Chinese counts as Chinese.
    """
    if not _NON_HAN_LETTER.search(norm):  # fast path: most texts
        return False
    share, units = han_share(norm)
    return share < min_share and units - round(share * units) >= min_foreign_units


def distinct_normalized(texts: Iterable[str]) -> list[str]:
    """The normalised texts, empty ones and repeats dropped, in first-seen order (a corpus
    for fitting an encoder or a vocabulary)."""
    seen: set[str] = set()
    out = []
    for t in texts:
        n = normalize(t)
        if n and n not in seen:
            seen.add(n)
            out.append(n)
    return out
