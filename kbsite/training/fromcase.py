"""A case study becomes a draft scenario drill (a quiz with one ``scenario_reply`` question).

The customer's messages become the chat, each lesson line a key point with phrasings
(words a good reply would contain, from a small table of service actions plus any
phrase the lesson quotes), the case's first good agent turn the sample reply, and the
case is cited. Lines that say what *not* to say go to the explanation, never to key
points (a reply would "meet" them by using the bad words). The trainer refines the
draft in the quiz editor before it goes to review.
"""

from __future__ import annotations

import re

from kbsite import textnorm
from kbsite.auth.models import User
from kbsite.content import cases, service
from kbsite.content.service import Draft
from kbsite.errors import Invalid, NotFound

CATEGORY = "培训/情景演练"
MAX_PHRASINGS = 8
# Service actions a lesson line may ask for → words a reply doing it would contain (Simplified;
# grading folds Traditional and full-width replies before matching).
ACTIONS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("致歉", "道歉", "歉意"), ("抱歉", "对不起", "不好意思", "致歉")),
    (("共情", "安抚", "情绪", "心情"), ("理解", "着急", "换做是我", "别着急")),
    (("承认", "坦诚"), ("是我们的", "我们的问题", "疏忽", "没做好")),
    (("首问", "负责", "跟进"), ("我来负责", "跟进", "不用再")),
    (("回访",), ("回访", "再联系您")),
    (("时间", "时效", "小时", "分钟", "截止"), ("小时内", "分钟内", "今天", "明天", "点前")),
    (("照片", "证据", "凭照片"), ("照片", "拍", "图片", "视频")),
    (("补发", "重新发货", "重开", "换开"), ("补发", "重新发", "重新开", "换开")),
    (("退款", "退货", "赔付"), ("退款", "退货", "原路退回")),
    (("方案", "选择", "选项", "替代", "备选"), ("方案", "您看", "可以选", "哪种", "或者")),
    (("升级", "主管", "上报", "权限"), ("主管", "升级", "上报")),
    (("核实", "核对", "查实", "记录", "出库"), ("核实", "核对", "帮您查", "查到", "记录")),
    (("费用", "运费"), ("运费", "费用", "承担")),
    (("补偿", "优惠券", "积分", "授权"), ("补偿", "优惠券", "积分")),
    (("政策", "规则", "条件"), ("政策", "规则", "条件")),
    (("安全",), ("安全", "小心", "受伤", "停止使用")),
    (("主动", "告知", "通知", "说明", "说清"), ("告诉您", "通知", "说明", "跟您说")),
    (("复述", "确认"), ("确认一下", "对吗", "核对")),
    (("凭证", "流水号"), ("凭证", "流水号")),
    (("礼貌", "克制"), ("您好", "理解", "请")),
    (("快递", "物流", "包裹"), ("快递", "物流", "包裹")),
    (("尺码",), ("尺码", "码")),
    (("优先", "专属", "会员"), ("专属", "优先", "会员")),
    (("拦截", "改派"), ("拦截", "改派")),
    (("停售", "召回"), ("停售", "停止使用", "召回")),
    (("鉴定", "防伪"), ("鉴定", "防伪")),
)
_NAME_CUT = re.compile(r"[，,；;：:（(—]")
_SAY = ("说出", "说清", "讲清", "要说", "告诉顾客", "回复")  # a quote after these is words to use
_DONT = ("不要", "不能", "不拿", "不私", "避免", "不透露", "不与", "不因为", "不辩解")


def _phrasings(lesson: str) -> list[str]:
    folded = textnorm.fold(lesson)
    found = [q for q in cases.quoted(lesson, _SAY) if len(q) <= 30]
    for triggers, words in ACTIONS:
        if any(t in folded for t in triggers):
            found += words
    return list(dict.fromkeys(found))[:MAX_PHRASINGS]


def _name(lesson: str) -> str:
    head = _NAME_CUT.split(lesson, 1)[0].strip(" 。") or lesson
    return head if len(head) <= 24 else head[:24] + "…"


def key_points(story: cases.CaseStory) -> tuple[list[dict], list[str]]:
    """Key points from the lesson lines, and the lines kept as explanation only (don'ts, no action)."""
    points: list[dict] = []
    notes: list[str] = []
    for lesson in story.lessons:
        phrasings = _phrasings(lesson)
        if not phrasings or textnorm.fold(lesson).startswith(_DONT):
            notes.append(lesson)
            continue
        name = _name(lesson)
        if any(p["name"] == name for p in points):
            name = f"{name}（{len(points) + 1}）"
        points.append({"name": name, "phrasings": phrasings, "explain": lesson})
    if not points:  # a case whose lesson names no action still drills the basics
        points.append({"name": "致歉或安抚", "phrasings": ["抱歉", "理解", "不好意思", "着急"]})
    return points, notes


def _explain(summary: str, notes: list[str], story: cases.CaseStory) -> str:
    parts = [f"本案例的经验：{summary}"] if summary else []
    parts += [f"另请注意：{'；'.join(notes)}。"] if notes else []
    parts += [f"不要这样说：{line}" for line in story.wrong_examples]
    return "\n\n".join(parts)


def drill_meta(case_slug: str, title: str, body: str, summary: str = "") -> dict:
    """The quiz front matter of a one-question scenario drill made from a case (pure)."""
    story = cases.parse_case(body)
    chat = [{"from": "customer", "text": text} for text in story.customer_messages]
    if not chat:
        raise Invalid("这个案例里找不到顾客说的话（应写作“**顾客**：……”），无法生成情景演练")
    points, notes = key_points(story)
    background = story.background or summary
    question = {
        "id": "q1", "kind": "scenario_reply",
        "prompt": f"案例《{title}》：{background}\n\n请以客服身份回复顾客。",
        "chat": chat, "key_points": points, "forbidden": "true",
        "explain": _explain(summary, notes, story), "cite": case_slug,
    }
    if story.first_good_reply:
        question["sample_reply"] = story.first_good_reply
    return {"questions": [question]}


def drill_slug(case_slug: str) -> str:
    """The drill's slug: ``drill-`` and the case's slug without its ``case-`` prefix."""
    return ("drill-" + case_slug.removeprefix("case-"))[:80].rstrip("-")


def create_drill(case_slug: str, author: User) -> tuple[str, bool]:
    """Create the draft drill for a case; (slug, False) when this case's drill already exists."""
    case = service.get_item(case_slug)
    if case.type != "case" or case.latest is None:
        raise Invalid("只有案例可以生成情景演练")
    slug = drill_slug(case_slug)
    try:
        service.get_item(slug)
    except NotFound:
        pass
    else:
        return slug, False
    rev = case.latest
    meta = drill_meta(case_slug, rev.title, rev.body, str(rev.meta.get("summary") or ""))
    draft = Draft(f"案例演练：{rev.title}"[:200], CATEGORY, ["情景演练", "案例演练"],
                  f"本演练由案例《{rev.title}》生成：顾客的话是对话，案例的要点是评分要点。请完善后提交审核。", meta)
    service.create_item(slug, "quiz", draft, author, f"由案例《{rev.title}》生成")
    return slug, True
