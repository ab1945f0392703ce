"""Folding Hong Kong and Taiwan wording to the mainland terms the library uses.

``kbsite.textnorm.fold`` converts character by character (帳戶 → 帐户), which
leaves regional words apart from the library's mainland ones (账户, 软件,
网络). Text with Traditional characters is therefore converted again at phrase
level with OpenCC's Taiwan configuration (``tw2sp``: 軟體 → 软件, 滑鼠 → 鼠标),
and the money sense of 帐 becomes 账 in every script (帐户 → 账户) while the
tent sense (帐篷, 蚊帐) stays. Search folds index and queries the same way.
"""

from __future__ import annotations

import re
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")
_TW2SP = opencc.OpenCC("tw2sp")
_S2T = opencc.OpenCC("s2t")
# 帐 is the mainland form only for tents and curtains; every other use is 账 (account, bill).
_MONEY_ZHANG = re.compile(r"(?<![蚊营床罗纱])帐(?![篷幕子幔])")


def fold_regional(text: str) -> str:
    """NFKC width, lower case, Traditional → Simplified at phrase level, 帐 → 账 (money sense)."""
    plain = unicodedata.normalize("NFKC", text).lower()
    simple = _T2S.convert(plain)
    if simple != plain:
        simple = _TW2SP.convert(plain)
    if "帐" in simple:
        simple = _MONEY_ZHANG.sub("账", simple)
    return simple


def script_of(text: str) -> str | None:
    """``hant`` if the text has Traditional characters, ``hans`` if Simplified ones, else None."""
    plain = unicodedata.normalize("NFKC", text)
    if _T2S.convert(plain) != plain:
        return "hant"
    if _S2T.convert(plain) != plain:
        return "hans"
    return None

