"""Forms only a review takes, which the spam head misreads: padding, whom it was for, the book reviewed.

Codebook §1: a short but meaningful review is not spam, gibberish is *pure* filler and irrelevant is not about a
product. The spam head flags reviews in three forms it learnt from spam: a short review padded to a length
("不错。。。。。。。。", "非常好哈哈哈哈哈": gibberish, irrelevant), one saying whom it was bought for liked it ("女朋友很喜欢":
the annotations' off-topic chats talk of friends and family) and a book review retelling its story ("书中的小男孩…").
The decision stage (``pipeline.FeedbackAnalyzer``, point ``spam.review_forms``) reads a flagged padded text's spam
score from the text without its padding (:func:`unpadded`), and un-flags a text typed irrelevant or abuse that takes
one of the other two forms (:func:`is_review_form`). Both only un-flag.
"""
from __future__ import annotations

import re

from .spam import advertises

#: Padding: a run of three or more of one punctuation mark or symbol ("。。。。", ",,,,", "~~~") or laughter (哈哈哈,
#: 呵呵呵; rule EA).
PADDING = re.compile(r"([^\w\s])\1{2,}|[哈呵嘿嘻]{3,}")
#: Whom the buyer bought for, liking it ("女朋友很喜欢", "孩子爱吃"; rule EF).
RECIPIENT_LIKED = re.compile(r"(?:女朋友|男朋友|老公|老婆|媳妇|儿子|女儿|孩子|宝宝|妈妈|爸爸|老妈|老爸|家人|父母|朋友|同事|"
                             r"弟弟|妹妹|哥哥|姐姐|爷爷|奶奶|老人).{0,4}?(?:喜欢|满意|爱吃|爱穿|说好|夸)")
#: A book named as the thing reviewed ("这本书", "书中", "全书"), or its author, characters or reading (作者, 女主, 读完;
#: rules EG, EG3; not 读后, as in a homework request for a 读后感).
NAMES_BOOK = re.compile(r"这本书|本书|此书|该书|这套书|这部书|这部小说|这本小说|书中|整本书|全书|这系列|这套丛书|"
                        r"作者|笔者|主人公|男主|女主|这部作品|读完|读罢|通读")
#: Spam types a review form un-flags: those the head gives reviews it misreads as chat or insult.
REVIEW_FORM_TYPES = ("irrelevant", "abuse")


def unpadded(norm: str) -> str:
    """The normalised text without its padding (:data:`PADDING`), spaces squeezed; ``norm`` itself when it has none."""
    if not PADDING.search(norm):
        return norm
    return " ".join(w for w in PADDING.sub(" ", norm).split(" ") if w)


def recipient_liked(norm: str) -> bool:
    """Whether the normalised text says the one it was bought for liked it (:data:`RECIPIENT_LIKED`)."""
    return RECIPIENT_LIKED.search(norm) is not None


def names_book(norm: str) -> bool:
    """Whether the normalised text names the book it reviews, its author, characters or reading (:data:`NAMES_BOOK`).
    The decision stage also reads a positive one's escalation matches as its story's, not the reader's harm or threat
    (``pipeline.FeedbackAnalyzer._mark_story``; rule EJ)."""
    return NAMES_BOOK.search(norm) is not None


def is_review_form(norm: str) -> bool:
    """Whether the normalised text says whom it was for liked it (:func:`recipient_liked`) or names the book it
    reviews (:data:`NAMES_BOOK`), and neither links, leaves a contact nor solicits (the spam signals of
    :mod:`feedback_nlp.tasks.spam`): "女朋友很喜欢，兼职日结200" is an ad that says so."""
    if not (recipient_liked(norm) or names_book(norm)):
        return False
    return not advertises(norm)
