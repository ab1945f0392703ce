"""Ideas an agent can word a hundred ways, as patterns: apologising, asking for photos, promising a time …

A key point takes on a concept when one of its own phrasings is an instance of
it (the point 致歉 lists 抱歉, which the apology pattern matches), so trainers
never name concepts; the reply then meets the point with any wording of the
idea ("真是过意不去", "让您受惊了"). Patterns run on folded text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_N = r"(?:\d+|[一二两三四五六七八九十半几]+)"
_UNIT = r"(?:个)?(?:分钟|小时|钟头|个?工作日|个?工作天|天|日|周|星期|个月|月)"

CONCEPTS: dict[str, str] = {
    "apology": r"抱歉|对不起|对不住|不好意思|过意不去|歉意|添麻烦|添堵|添(?:了)?(?:大|不少|这么多|很多)?(?:麻烦|乱)|"
               r"(?:是)?我们不对|赔个不是|赔不是|失职|见谅|道歉|致歉|"
               r"受惊了|让您久等|让您白等|让您等|给您带来不便|是我们(?:这边)?没(?:做好|做到|办好)|sorry",
    "own_fault": r"我们的(?:疏忽|问题|失误|错|责任|失职)|责任在我们|是我们(?:这边)?(?:的|没)|这锅是我们|"
                 r"我们(?:这边)?没(?:做好|做到|办好|把事情)|出了差错|确实是我们|我们不对|"
                 r"是我们[^，。]{0,6}(?:拿错|发错|弄错|搞错|配错|耽误)",
    "empathy": r"理解|体会|明白您|着急|心情|换谁都|搁谁|闹心|上火|火大|糟心|辛苦|受惊",
    "photo": r"照片|相片|拍(?:张|个|一|下来|给|了|照|视频|清楚)|照(?:一下|个相|下来|张)|(?:截|留|发)个?图|"
             r"图(?:片|发|传)|视频|录(?:像|一段|一小段|个|下)|影像|画面|面单|留个?影|照(?:一|1)张|拍(?:一|1)张",
    "resend": r"补发|补寄|重新(?:发|寄)|再(?:发|寄)(?:一|两|个|份)|重发|换新|全新|"
              r"(?:寄|发|送)(?:一|两|二|三|几|\d)?(?:个|份|台|张|只|件|瓶|双|套)?新的|新的(?:寄|发|送)|给您寄|"
              r"寄(?:出|过)去|另寄|(?:重新|另外)(?:给您)?(?:寄|发)",
    "refund": r"退款|退钱|退费|退全款|全额退|(?:钱|款)(?:全数|全部|都|按)?(?:原路)?退|退(?:还|回)(?:给您|到|原)|"
              r"原路(?:退|返)回|货款|退一部分|退(?:到|进)(?:您|原|卡|信用卡|余额|平台)|退出去|再退一次",
    "we_pay": r"(?:运费|邮费|快递费|费用)[^，。]{0,8}(?:我们|店里|店铺|商家|我方)|"
              r"(?:我们|店里|店铺|商家)(?:来)?(?:承担|出|负责|包)|不用您(?:掏|出|承担|付|花)|"
              r"算(?:在)?(?:我们|店里|店铺)|包邮|免运费|一分钱都不用",
    "no_return": r"(?:不用|无需|不需要|不必)[^，。]{0,6}(?:寄回|退回|寄还|还回|寄过来|退回来)|直接处理掉|留着|"
                 r"不用等您寄回",
    "courier": r"(?:联系|找|催|给|打电话给|通知|发了?加急|和|跟)[^，。]{0,6}(?:快递|物流|承运|驿站|配送)",
    "follow_up": r"跟进|盯着|盯到|一路盯|留意|关注|主动(?:告诉|通知|联系|发|找)|(?:告诉|通知|联系|同步给|发给?)您|"
                 r"回您|给您回话|回复您|随时告诉|一有(?:消息|进展)|单号[^，。]{0,6}发您",
    "verify": r"核实|核对|核查|确认|查一下|查看|调取|调出|比对|查清|排查|看下|看一下|查询|检查|对一下|对上|"
              r"翻一下|查查|查了|看了|看过",
    "escalate": r"升级|上报|报给|主管|上级|负责人|组长|专人|专员|领导|转给",
    "shipped": r"已(?:经)?(?:发货|发出|寄出|出库|在路上|上路|揽收)|在路上|发出去了",
    "reassure": r"放心|别担心|不用担心|宽心|不会丢|安全|别急|不着急",
    "thanks": r"谢谢|感谢|多谢|辛苦|包涵|麻烦您了",
    "deadline": rf"{_N}{_UNIT}(?:之内|以内|内|前|以前|之前|左右)|{_N}个?钟头(?:之内|以内|内)|{_N}点(?:半)?(?:以前|之前|前)|今天|明天|下班前|"
                rf"第一时间|马上|立刻|尽快",
    "rule": r"规则|规定|政策|标准|权限|期限|时限|无理由|售后期|签收后|统一的?[^，。]{0,6}办法|(?:处理|赔付|补偿)办法|"
            r"额度|能决定|拍板",
    "try_fix": r"试一下|试试|换(?:一)?根|检查|排查|看看|瞧瞧|重启|重新(?:插|连|安装)",
    "channel": r"官方|客服热线|服务电话|400|店铺的?(?:电话|客服)|平台客服",
    "safety": r"安全|停止使用|停用|拔(?:掉|下)|断电|别再(?:开|用)",
    "compensate": r"补偿|积分|优惠券|购物券|无门槛|券|礼品|小心意|小礼物|红包|赔偿",
    "invite": r"随时(?:找我|联系|咨询|问我|发消息)|发消息(?:过来|给我)|(?:给我|跟我)留言|留言给我|有问题(?:随时)?找我|"
              r"祝您|欢迎",
}
_COMPILED = {name: re.compile(p) for name, p in CONCEPTS.items()}


def concepts_of(phrasings: Sequence[str]) -> list[str]:
    """The concepts a point takes on: those found in enough of its own phrasings (two, or a lone one)."""
    out = []
    for name, rx in _COMPILED.items():
        hits = sum(bool(rx.search(p)) for p in phrasings)
        if hits and (hits >= 2 or len(phrasings) <= 2) and hits / len(phrasings) >= 0.3:
            out.append(name)
    return out


def find(name: str, text: str) -> list[tuple[int, int]]:
    """Spans of the concept in folded text."""
    return [m.span() for m in _COMPILED[name].finditer(text)]
