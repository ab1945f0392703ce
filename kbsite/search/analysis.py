"""Chinese text analysis for the index and for queries.

Owns the one segmenter per dictionary (a private ``jieba.Tokenizer`` so that
engines with different dictionaries never share state), the Whoosh analyzer
(folding → jieba words + CJK character bigrams + digit-unit tokens), the stop
words, pinyin helpers for slip correction and title initials, and the
analyzer version that tells the caller when the index must be rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import jieba
import jieba.analyse
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict
from whoosh.analysis import Token, Tokenizer

from kbsite.textnorm import fold

# Bump when the token stream changes for the same input: the caller rebuilds.
ANALYSIS_CODE_VERSION = "3"

jieba.setLogLevel(logging.WARNING)
logging.getLogger("jieba").setLevel(logging.WARNING)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
_IS_CJK = re.compile(f"^[{_CJK}]+$")
_HAS_WORD_CHAR = re.compile(rf"[{_CJK}a-z0-9]")
_DIGIT_UNIT = re.compile(rf"[0-9]+[{_CJK}]")
_ALNUM = re.compile(r"^[a-z0-9][a-z0-9.+#&_%-]*$")

# Function words and chat filler: they match most documents and carry no topic.
_STOP_TEXT = """的 了 吗 呢 啊 吧 呀 哦 哟 嘛 哈 嗯 喔 噢 么 之 地 得 着 过 和 与 及 或 跟 同 而 但 就 都 也 还 又 再 才 很 太
    更 最 把 被 让 给 对 向 从 在 于 是 不是 有 没有 没 不 个 这 那 这个 那个 这些 那些 这样 那样 这么 那么 我 你 您
    他 她 它 我们 你们 他们 她们 咱们 自己 人家 什么 怎么 怎么样 怎样 为什么 为啥 啥 如何 哪 哪里 哪儿 哪个 多少 几
    请问 请 问 一下 一个 一些 可以 可不可以 能 能不能 会 会不会 要 想 想要 需要 应该 已经 现在 今天 昨天 刚才 刚刚
    还是 还有 然后 所以 因为 如果 但是 而且 就是 真的 非常 特别 一直 到底 到 去 来 说 看 做 用 上 下 里 中 等 等等
    呵呵 哈哈 谢谢 麻烦 好的 好 行 嗯嗯 亲 亲亲 在吗 你好 您好 喂 哎 唉 啦 咯 呐 嘞 哇 额 呃 之前 之后 时候 一样 其实
    and or not the a an of to in is are be"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_jieba_lock = threading.Lock()


@lru_cache(maxsize=8)
def _tokenizer_for(words: tuple[str, ...]) -> jieba.Tokenizer:
    jieba.dt.check_initialized()
    tk = jieba.Tokenizer()
    # Copy the loaded default dictionary instead of parsing it again (1–1.5 s).
    tk.FREQ, tk.total, tk.initialized = dict(jieba.dt.FREQ), jieba.dt.total, True
    for word in words:
        tk.add_word(word, freq=max(tk.suggest_freq(word, tune=False), 1000))
    return tk


def segmenter(words: tuple[str, ...]) -> jieba.Tokenizer:
    """Return the (cached, eagerly initialised) jieba tokenizer for a dictionary."""
    with _jieba_lock:
        return _tokenizer_for(words)


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    tfidf = jieba.analyse.TFIDF()
    return tfidf.idf_freq, tfidf.median_idf


def idf_table() -> tuple[dict[str, float], float]:
    """Return jieba's general-corpus IDF table and its median (loaded once per process)."""
    with _jieba_lock:
        return _idf_table()


def normalise_words(words: Iterable[str]) -> tuple[str, ...]:
    """Fold and de-duplicate dictionary words into the sorted key of a segmenter."""
    folded = (fold(str(w)).strip() for w in words)
    return tuple(sorted({w for w in folded if w}))


def analyzer_version(words: tuple[str, ...]) -> str:
    """Hash of the analysis code version and dictionary: a change means reindex."""
    digest = hashlib.sha1("\n".join((ANALYSIS_CODE_VERSION, *words)).encode()).hexdigest()
    return f"{ANALYSIS_CODE_VERSION}-{digest[:12]}"


def clean_text(text: str) -> str:
    """Fold and drop control/format characters so that any input is safe to segment."""
    text = fold(text)
    return "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)


def is_cjk(word: str) -> bool:
    """True when every character of ``word`` is a CJK ideograph."""
    return bool(_IS_CJK.match(word))


def is_useful(word: str) -> bool:
    """True for a token worth indexing or searching (has a letter, digit or ideograph)."""
    return bool(_HAS_WORD_CHAR.search(word)) and word not in STOP_WORDS


def bigrams(word: str) -> list[str]:
    """CJK character bigrams of every ideograph run in ``word``."""
    out: list[str] = []
    for run in CJK_RUN.findall(word):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def index_terms(tk: jieba.Tokenizer, text: str) -> Iterator[str]:
    """Terms for an already folded text: jieba search-mode words, CJK bigrams, digit+unit."""
    for word in tk.cut_for_search(text):
        word = word.strip().lower()
        if word and is_useful(word) and (len(word) > 1 or not word.isascii()):
            yield word
    yield from bigrams(text)
    yield from _DIGIT_UNIT.findall(text)


def query_words(tk: jieba.Tokenizer, text: str) -> list[str]:
    """Words of a cleaned query, in order, stop words and punctuation dropped.

    Runs of single ideographs are joined again (退宽 comes out of jieba as 退/宽)
    so that a slip can be recognised and corrected as one word.
    """
    words: list[str] = []
    pending = ""
    for word in tk.cut(text):
        word = word.strip().lower()
        if len(word) == 1 and is_cjk(word) and word not in STOP_WORDS:
            pending += word
            continue
        if pending:
            words.append(pending)
            pending = ""
        if word and is_useful(word) and (len(word) > 1 or not word.isascii()):
            words.append(word)
    if pending:
        words.append(pending)
    return words


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer emitting folded jieba words plus CJK bigrams (no positions)."""

    def __init__(self, words: tuple[str, ...] = ()):
        self.words = words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChineseTokenizer) and other.words == self.words

    def __hash__(self) -> int:
        return hash(self.words)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = clean_text(value)
        terms = index_terms(segmenter(self.words), text) if tokenize else [text]
        for pos, term in enumerate(terms, start_pos):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            if chars:
                token.startchar = token.endchar = start_char
            yield token


class SplitTokenizer(Tokenizer):
    """Whoosh tokenizer for exact-value lists joined by ``\\x1f`` (tags, facets)."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        parts = value.split("\x1f") if tokenize else [value]
        for pos, part in enumerate(p for p in parts if p):
            token.text = part
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            if chars:
                token.startchar = token.endchar = start_char
            yield token


def fold_key(value: str) -> str:
    """Exact-match key of a tag or category: folded, trimmed."""
    return clean_text(value).strip()


@lru_cache(maxsize=65536)
def _char_readings(ch: str) -> tuple[str, ...]:
    raw = pinyin_dict.get(ord(ch))
    if not raw:
        return (ch,)
    out = []
    for reading in raw.split(","):
        plain = "".join(c for c in unicodedata.normalize("NFD", reading) if c.isascii())
        if plain and plain not in out:
            out.append(plain.replace("u:", "v"))
    return tuple(out) or (ch,)


def pinyin_keys(word: str, cap: int = 16) -> list[str]:
    """Toneless pinyin spellings of ``word`` (all readings of polyphones, capped)."""
    keys = [""]
    for ch in word:
        keys = [k + " " + r for k in keys for r in _char_readings(ch)][:cap]
    return [k.strip() for k in keys]


def title_initials(tk: jieba.Tokenizer, title: str) -> list[str]:
    """Pinyin-initial strings (2–6 letters) starting at each word of a title: 退货款 → thk."""
    text = clean_text(title)
    out: list[str] = []
    for run in CJK_RUN.findall(text):
        letters = "".join(p[:1] for p in lazy_pinyin(run, style=Style.FIRST_LETTER))
        if len(letters) != len(run):
            continue
        start = 0
        for word in tk.cut(run):
            out.extend(letters[start : start + n] for n in range(2, 7) if start + n <= len(run))
            start += len(word)
    return sorted(set(out))
