"""Bare star ratings ("5星", "1星", "只能给1星", "五星！"): a rating that names no problem.

The featuriser maps every digit to 0 (``star_digits`` is off in the shipped model), so to the heads "1星"
and "5星" are the same text, read as mildly positive with two issue types. A rating alone names no
problem (codebook: issue types are for problems raised; "五星！" in the annotations is positive, low), and
its number says the side: 1-2 stars negative, 3 neutral, 4-5 positive. A text is a bare rating when
nothing is left once its ratings, a fixed filler list ("只能给", "打", "了") and every character that is not
a letter are removed, and all its ratings take one side. A verdict beside it ("1星差评") makes it a bare
verdict (:mod:`feedback_nlp.tasks.verdict`); praise beside it ("5星好评") leaves it to the model.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

from ..text import NOT_LETTER

#: A star rating: a digit 1-5 or a numeral before 星 (颗星, 个星), not a hotel's class (星级), not part of a
#: longer number or a decimal ("15星", "4.5星"). Group 1 is the number.
RATING = r"(?<![0-9.])([1-5一二两三四五])(?:颗|个)?星(?!级)"
#: Words around a rating that add nothing (longest first).
RATING_FILLER = "只能给|只给|给你们|给你|只能|给|打|就|了|的|吧|啊|呀|哦|都|我|只|先|亲"
#: Longer texts are never bare ratings.
RATING_MAX_CHARS = 20
#: The side of each number.
RATING_SIDES = {"1": "negative", "2": "negative", "一": "negative", "二": "negative", "两": "negative",
                "3": "neutral", "三": "neutral", "4": "positive", "5": "positive", "四": "positive", "五": "positive"}
#: What is left of a rating once digits and other words are gone: a bare verdict beside a rating ("1星，太差")
#: is still a bare verdict (``tasks.verdict``).
RATING_REMNANT = re.compile(r"[一二两三四五]?[颗个]?星")
_RATING = re.compile(RATING)
_RATING_FILLER = re.compile(RATING_FILLER)


def rating_side(norm: str) -> Optional[str]:
    """The side of a bare rating ("negative", "neutral", "positive"), or None when the text is not one."""
    if len(norm) > RATING_MAX_CHARS or "星" not in norm:  # the test is per record: leave early
        return None
    sides = {RATING_SIDES[m.group(1)] for m in _RATING.finditer(norm)}
    if len(sides) != 1 or _RATING_FILLER.sub("", NOT_LETTER.sub("", _RATING.sub("", norm))):
        return None
    return sides.pop()


def has_rating(norm: str) -> bool:
    """Whether the normalised text holds a star rating."""
    return "星" in norm and _RATING.search(norm) is not None


def rating_names_no_problem(norm: str, fired: Sequence[object]) -> Optional[str]:
    """The decision stage's rule: the side of a bare rating on which no escalation signal fires, else None."""
    return None if fired else rating_side(norm)
