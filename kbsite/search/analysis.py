"""Chinese text analysis for the index and for queries.

Owns the one segmenter per dictionary and process (a private ``jieba.Tokenizer``
so that engines with different dictionaries never share state; engines with
the same words share it), the index-term counter with its per-clause cache
(``TermCutter``), the Whoosh analyzer (folding → jieba words + CJK character
bigrams + digit-unit tokens), the stop words, jieba's IDF table, pinyin helpers
for slip correction and title initials, and the analyzer version that tells
the caller when the index must be rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict
from whoosh.analysis import Token, Tokenizer

from kbsite.search.regional import fold_regional

# Bump when the token stream changes for the same input: the caller rebuilds.
ANALYSIS_CODE_VERSION = "6"

jieba.setLogLevel(logging.WARNING)
logging.getLogger("jieba").setLevel(logging.WARNING)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
_IS_CJK = re.compile(f"^[{_CJK}]+$")
_HAS_WORD_CHAR = re.compile(rf"[{_CJK}a-z0-9]")
_DIGIT_UNIT = re.compile(rf"[0-9]+[{_CJK}]")
_ALNUM = re.compile(r"^[a-z0-9][a-z0-9.+#&_%-]*$")
# A superset of jieba's own block class: jieba cuts each such run independently,
# so the terms of a text are exactly the sum of the terms of its runs.
_BLOCK = re.compile(rf"[{_CJK}A-Za-z0-9+#&._%\-]+")
BLOCK_CACHE_SIZE = 200_000  # runs (clauses between punctuation) remembered per dictionary

# Function words and chat filler: they match most documents and carry no topic.
_STOP_TEXT = """的 了 吗 呢 啊 吧 呀 哦 哟 嘛 哈 嗯 喔 噢 么 之 地 得 着 过 和 与 及 或 跟 同 而 但 就 都 也 还 又 再 才 很 太
    更 最 把 被 让 给 对 向 从 在 于 是 不是 有 没有 没 不 个 这 那 这个 那个 这些 那些 这样 那样 这么 那么 我 你 您
    他 她 它 我们 你们 他们 她们 咱们 自己 人家 什么 怎么 怎么样 怎样 为什么 为啥 啥 如何 哪 哪里 哪儿 哪个 多少 几
    请问 请 问 一下 一个 一些 可以 可不可以 能 能不能 会 会不会 要 想 想要 需要 应该 已经 现在 今天 昨天 刚才 刚刚
    还是 还有 然后 所以 因为 如果 但是 而且 就是 真的 非常 特别 一直 到底 到 去 来 说 看 做 用 上 下 里 中 等 等等
    咋 俺 咱 呵呵 哈哈 谢谢 麻烦 好的 好 行 嗯嗯 亲 亲亲 在吗 你好 您好 喂 哎 唉 啦 咯 呐 嘞 哇 额 呃 之前 之后 时候 一样 其实
    嘅 咗 啲 喺 嘢 唔 佢 咁 乜 嗰 噉 囉 喎 咩 吖 㗎 呢度 嗰度 點樣 點解 幾時 邊度 有冇 係咪 唔該
    and or not the a an of to in is are be"""
STOP_WORDS = frozenset(fold_regional(w) for w in _STOP_TEXT.split())  # Cantonese ones folded

_jieba_lock = threading.Lock()
_cutter_lock = threading.Lock()


@lru_cache(maxsize=8)
def _tokenizer_for(words: tuple[str, ...]) -> jieba.Tokenizer:
    # Load jieba's default dictionary (from its marshal cache) into this tokenizer only:
    # copying jieba.dt's instead would keep two ~60 MB tables in every process.
    tk = jieba.Tokenizer()
    tk.initialize()
    for word in words:
        tk.add_word(word, freq=max(tk.suggest_freq(word, tune=False), 1000))
    return tk


def segmenter(words: tuple[str, ...]) -> jieba.Tokenizer:
    """Return the per-process jieba tokenizer for a dictionary (built once, shared by engines)."""
    with _jieba_lock:
        return _tokenizer_for(words)


@lru_cache(maxsize=8)
def _cutter_for(words: tuple[str, ...]) -> TermCutter:
    return TermCutter(segmenter(words))


def term_cutter(words: tuple[str, ...]) -> TermCutter:
    """Return the per-process TermCutter of a dictionary, shared so its run cache is too."""
    with _cutter_lock:
        return _cutter_for(words)


class TermCutter:
    """Index terms of folded text, counted, with each run's terms cached.

    Entries repeat clauses (greetings, policy sentences, template lines) and
    jieba costs ~30 µs a clause, so each run between punctuation is cut once
    per process. Thread-safe: a lost insert only costs a second cut.
    """

    def __init__(self, tk: jieba.Tokenizer, cache_size: int | None = None) -> None:
        self.tk = tk
        self.cache_size = BLOCK_CACHE_SIZE if cache_size is None else cache_size
        self._runs: dict[str, tuple[str, ...]] = {}
        self._initials: dict[str, list[str]] = {}

    def counts(self, text: str) -> Counter[str]:
        """Term → frequency for an already folded text (same terms as ``index_terms``)."""
        counts: Counter[str] = Counter()
        runs = self._runs
        for run in _BLOCK.findall(text):
            terms = runs.get(run)
            if terms is None:
                terms = tuple(index_terms(self.tk, run))
                if self.cache_size:
                    if len(runs) >= self.cache_size:
                        runs.clear()
                    runs[run] = terms
            counts.update(terms)
        return counts

    def initials(self, title: str) -> list[str]:
        """``title_initials`` of a title, cached (titles repeat across statuses and saves)."""
        found = self._initials.get(title)
        if found is None:
            found = title_initials(self.tk, title)
            if len(self._initials) >= 50_000:
                self._initials.clear()
            self._initials[title] = found
        return found


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    # Read jieba's idf.txt as jieba.analyse.TFIDF does, without importing jieba.analyse:
    # its import builds TF-IDF and TextRank objects and the POS tagger (~130 MB, ~1.3 s).
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    table: dict[str, float] = {}
    for line in path.read_bytes().decode("utf-8").splitlines():
        word, freq = line.strip().split(" ")
        table[word] = float(freq)
    return table, sorted(table.values())[len(table) // 2]


def idf_table() -> tuple[dict[str, float], float]:
    """Return jieba's general-corpus IDF table and its median (loaded once per process)."""
    with _jieba_lock:
        return _idf_table()


def normalise_words(words: Iterable[str]) -> tuple[str, ...]:
    """Fold and de-duplicate dictionary words into the sorted key of a segmenter."""
    folded = (fold_regional(str(w)).strip() for w in words)
    return tuple(sorted({w for w in folded if w}))


def analyzer_version(words: tuple[str, ...]) -> str:
    """Hash of the analysis code version and dictionary: a change means reindex."""
    digest = hashlib.sha1("\n".join((ANALYSIS_CODE_VERSION, *words)).encode()).hexdigest()
    return f"{ANALYSIS_CODE_VERSION}-{digest[:12]}"


class _Blanks(dict):
    """str.translate table: control, format and separator characters → space (memoised)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        value = " " if unicodedata.category(ch)[0] in "CZ" else ch
        if len(self) < 100_000:
            self[code] = value
        return value


_BLANKS = _Blanks()


def clean_text(text: str) -> str:
    """Fold (regional phrases too) and blank control characters so that any input is safe to segment."""
    text = fold_regional(text)
    return text if text.isprintable() else text.translate(_BLANKS)


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


def primary_pinyin(word: str) -> str:
    """Toneless pinyin of ``word`` with each character's common reading (事实 → shi shi, never zi shi).

    A pinyin input method offers a character for its common reading, so a slip is a word typed
    with the intended word's common readings; rare readings alone make false homophones.
    """
    return " ".join(_char_readings(ch)[0] for ch in word)


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
