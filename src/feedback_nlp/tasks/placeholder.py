"""Platform placeholders ("此用户未填写评价内容", "系统默认好评"): the platform's words where a user wrote no review.

Codebook §3: a statement without attitude is neutral; §2: no problem raised, no issue type. The text is the
platform's, so it carries no attitude of the user, yet the heads read "此用户未填写评价内容" negative (−0.63) and
"系统默认好评" negative. Review exports (JD, Taobao) hold such texts in large numbers, so a reading of them biases
every sentiment figure of a feed. A text is a placeholder when, once every character that is not a letter is
gone, nothing is left but the platform's phrases for "no review written" and "default positive review".
"""
from __future__ import annotations

import re
from typing import Sequence

from ..text import NOT_LETTER

#: The platform's phrases: no review written; a default positive review.
PLACEHOLDER_PHRASES = (r"(?:此|该)?(?:用户|买家|评价方)(?:未|没有|没)(?:及时)?(?:填写|做出|给出|留下|发表)?(?:文字)?评价(?:内容)?"
                       r"|(?:此评价为|已)?(?:系统)?默认(?:给出)?好评")
#: Longer texts are never placeholders.
PLACEHOLDER_MAX_CHARS = 40
_PLACEHOLDER = re.compile(PLACEHOLDER_PHRASES)


def is_placeholder(norm: str) -> bool:
    """True when the normalised text is only the platform's placeholder phrases (see the module)."""
    if len(norm) > PLACEHOLDER_MAX_CHARS or "评" not in norm:  # the test is per record: leave early
        return False
    letters = NOT_LETTER.sub("", norm)
    return bool(letters) and not _PLACEHOLDER.sub("", letters)


def placeholder_names_no_problem(norm: str, fired: Sequence[object]) -> bool:
    """The decision stage's rule: a placeholder on which no escalation signal fires is not spam, raises no issue
    type, is ``low`` and neutral."""
    return not fired and is_placeholder(norm)
