"""Whether a reply is written at all: keyword salad, no real sentence, boilerplate, copying.

A trainer fails these whatever keywords they contain: a bare run of phrasings,
fragments with no sentence in them, polite filler that names nothing of the
customer's case, or the customer's own words sent back.
"""

from __future__ import annotations

from collections.abc import Sequence

from kbsite.training.replygrading.text import Reply, ngrams, squash

# Words of a sentence addressed to someone (Chinese service replies nearly always have some).
_SENTENCE_MARKS = ("您", "你", "我", "咱", "请", "的", "了", "吗", "呢", "吧", "会", "可以", "能", "要",
                   "是", "在", "把", "给", "帮", "让", "就", "哦", "呀", "啊", "好")
# Polite filler that says nothing about the case.
BOILERPLATE = (
    "您好", "亲", "在的", "在呢", "感谢", "谢谢", "耐心等待", "请稍等", "稍等", "请您稍等", "马上为您处理",
    "尽快为您处理", "尽快处理", "我们会尽快", "为您处理", "帮您处理", "给您处理", "祝您生活愉快", "生活愉快",
    "有什么可以帮您", "还有什么可以帮您", "请问还有什么", "给您带来不便", "敬请谅解", "请谅解", "非常抱歉",
    "抱歉", "不好意思", "理解您的心情", "理解您", "您的问题", "您的反馈", "已经收到", "收到", "已记录",
    "我们会", "我们非常重视", "非常重视", "请放心", "放心", "稍后", "回复您", "为您服务", "很高兴",
    "感谢您的支持", "欢迎下次光临", "会处理的", "会跟进", "后续", "一定", "满意", "的", "了", "我们", "您",
    "会", "为", "给", "您的", "这边", "我这边", "相关", "部门", "同事", "问题", "情况", "好的", "哦", "呢",
)
_BOILERPLATE_SORTED = sorted(BOILERPLATE, key=len, reverse=True)
TOPIC_GRAM = 2
SALAD_COVER = 0.75


def is_list(reply: Reply) -> bool:
    """Short fragments separated by commas, 、 or spaces, with no sentence among them."""
    segments = reply.segments
    if len(segments) < 3:
        return False
    bare = sum(len(squash(s)) <= 5 and not any(m in s for m in _SENTENCE_MARKS) for s in segments)
    return bare / len(segments) >= 0.6 and not any(len(squash(s)) >= 10 for s in segments)


def has_sentence(reply: Reply) -> bool:
    """At least one clause of some length addressed to someone."""
    return any(len(squash(c.text)) >= 6 and any(m in c.text for m in _SENTENCE_MARKS)
               for c in reply.clauses)


def keyword_share(reply: Reply, wordings: Sequence[str]) -> float:
    """Share of content characters covered by key-point wordings (a salad is mostly wordings)."""
    text = reply.content
    if not text:
        return 0.0
    covered = [False] * len(text)
    for w in wordings:
        w = squash(w)
        if not w:
            continue
        i = text.find(w)
        while i >= 0:
            for j in range(i, i + len(w)):
                covered[j] = True
            i = text.find(w, i + 1)
    return sum(covered) / len(text)


def strip_boilerplate(text: str) -> str:
    """The reply's content with every stock phrase removed: what it says about this case."""
    for phrase in _BOILERPLATE_SORTED:
        text = text.replace(phrase, "")
    return text


def topical_overlap(reply: Reply, case_texts: Sequence[str]) -> int:
    """How many two-character pieces of the reply's own content also occur in the case."""
    own = strip_boilerplate(reply.content)
    case = set().union(*(ngrams(strip_boilerplate(squash(t)), TOPIC_GRAM) for t in case_texts)) if case_texts else set()
    return len(ngrams(own, TOPIC_GRAM) & case)
