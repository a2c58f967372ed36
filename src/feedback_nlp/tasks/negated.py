"""Bare negated complaints ("质量不差", "也没想象中那么慢", "没有色差"): approval that names no problem.

Codebook v1.2: a negated or softened complaint meaning approval is read as praise or neutral, with no issue type
unless a real problem is still named. The heads read the complaint word and not its negation: "质量不差" was
negative (−0.96), medium, ``product_quality``; "也没想象中那么慢" negative with ``logistics``; "味道不难吃" medium.
In longer reviews they read these forms right, so the rule takes only short texts every clause of which is a
negated complaint (an aspect, a negator, a complaint word: "屏幕没有坏点") or plain approval ("放心", "质量还可以"),
with at least one of the first kind. A complaint word counts only where its negation means approval: not 小 / 少 /
大 ("问题不小", "毛病不少", "作用不大" are complaints), not 烂 ("嚼不烂" is a potential complement), not 坑.
Questions, wishes, worries and turns (吗, 是不是, 希望, 担心, 但, 不过) leave the text to the model.

The side: positive, or neutral when every negation is a softened one ("不是很差", "没那么慢", "不太贵") and no
clause approves. Over the annotations and the three corpora (all splits) the rule takes 19 texts, 17 of them
praise or neutral by their labels; the other two are corpus labels that contradict their text ("质量很好，没有
色差", label negative). It was revised once, after reading its first matches (烂 and 坑 dropped).
Rule J2 (2026-12-08) added "no problem" (没问题, 没毛病, 没什么问题) and the Cantonese forms (唔 / 冇 for 不 / 没有,
the particles 嘅 喎 㗎, the approvals 好味 / 好食 / 好抵): 8 more texts, all praise by their labels; none of them is
Cantonese (no annotation or corpus review has the Cantonese forms), so those are read from the codebook, not measured.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

#: Complaint words whose negation means approval (longest first).
NEGATABLE_COMPLAINTS = ("难吃|难食|难用|难看|难闻|卡顿|偏小|偏大|色差|破损|坏点|发烫|假货|异味|掉色|褪色|起球|漏水|油腻|失望|"
                        "后悔|麻烦|粗糙|劣质|瑕疵|划痕|变形|刺鼻|问题|毛病|差|慢|贵|卡|假|脏|吵|臭|漏|咸|腻|坏|破")
#: Negators, the softened ones included (longest first); Cantonese 唔 (不), 冇 (没有), 冇咁 (没那么) among them.
NEGATORS = ("没有想象中那么|没想象中那么|没有想象的那么|没想象的那么|没有那么|没那么|并没有|没有|并不|不是|不会|不太|"
            "不算|不怎么|毫无|冇咁|唔系|唔会|不|没|无|唔|冇")
#: Sentence-final particles, Cantonese ones (嘅 喎 㗎 囉 咯 嘞) among them.
_PARTICLES = r"[啊呀的了吧呢哦哈啦嘛噢哟嘅喎㗎囉咯嘞]"
#: A negated-complaint clause: group 1 is its aspect ("质量"), checked by :data:`_BAD_ASPECT`.
NEGATED_CLAUSE = (r"^(\w{0,8}?)(?:一点儿?[也都]|一啲都|根本|完全|从来|真的|也|都|并|真|从|还|倒)?(?:" + NEGATORS + r")"
                  r"(?:很|太|那么|算|怎么|是很|什么|啥|乜|咩|好)?(?:" + NEGATABLE_COMPLAINTS + r")" + _PARTICLES + "*$")
#: An approval clause ("放心", "质量还可以", "很满意"): group 1 is its aspect.
APPROVAL_CLAUSE = (r"^(\w{0,4}?)(?:非常|很|挺|十分|特别|比较|还|也|都|蛮|超|几|好)?(?:放心|满意|可以|不错|好|好评|推荐|喜欢|好味|好食|抵|正|"
                   r"值得购买|值|物超所值|下次还买|下次还会买|还会再买|会回购|回购|赞)" + _PARTICLES + "*$")
#: An aspect may not hold a negation or a complaint word, nor end as an A-not-A question ("是不是假货").
BAD_ASPECT = r"[不没无非未别唔冇]|" + NEGATABLE_COMPLAINTS + r"|[吗么]|[是会有能]$"
#: Softened negations: alone (no approval clause) they read neutral ("不是很差").
SOFTENED = r"不太|不算|不怎么|没有?那么|没有?想象[中的]那么|不是很|不是太|不很|不那么|冇咁|唔系好|唔系太|唔太|唔算"
#: A question, a wish, a worry or a turn anywhere leaves the text to the model.
NEGATED_STOP = r"[吗?？]|么$|是不是|会不会|有没有|能不能|怎么(?!样)|为什么|为啥|不要|别|希望|担心|怕|但|可惜|就是|只是|不过"
#: Longer texts are never bare negated complaints.
NEGATED_MAX_CHARS = 30
_NEGATED_CLAUSE = re.compile(NEGATED_CLAUSE)
_APPROVAL_CLAUSE = re.compile(APPROVAL_CLAUSE)
_BAD_ASPECT = re.compile(BAD_ASPECT)
_SOFTENED = re.compile(SOFTENED)
_NEGATED_STOP = re.compile(NEGATED_STOP)
#: What separates clauses: every run of characters that are not letters or digits.
_CLAUSE_BREAK = re.compile(r"[^\w]+")


def _clause_kind(clause: str) -> Optional[str]:
    """``"negated"``, ``"approval"`` or None (neither), by the clause's pattern and its aspect."""
    for kind, pattern in (("negated", _NEGATED_CLAUSE), ("approval", _APPROVAL_CLAUSE)):
        m = pattern.search(clause)
        if m and not _BAD_ASPECT.search(m.group(1)):
            return kind
    return None


def negated_side(norm: str) -> Optional[str]:
    """The side of a bare negated complaint ("positive", or "neutral" when only softened), None when the
    normalised text is not one (see the module)."""
    if len(norm) > NEGATED_MAX_CHARS or _NEGATED_STOP.search(norm):  # the test is per record: leave early
        return None
    clauses = [c for c in _CLAUSE_BREAK.split(norm) if c]
    kinds = [_clause_kind(c) for c in clauses]
    if not kinds or None in kinds or "negated" not in kinds:
        return None
    if "approval" not in kinds and all(_SOFTENED.search(c) for c in clauses):
        return "neutral"
    return "positive"


def negated_names_no_problem(norm: str, fired: Sequence[object]) -> Optional[str]:
    """The decision stage's rule: the side of a bare negated complaint on which no escalation signal fires."""
    return None if fired else negated_side(norm)
