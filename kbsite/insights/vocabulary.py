"""Turns search-log suggestions into edits of the synonym list and the segmenter dictionary.

An accepted suggestion is an ordinary draft revision of the ``synonyms`` or
``dictionary`` config item, saved through ``content.service.save_revision`` on
top of the newest revision; like any edit it goes through review before the
search engine uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kbsite.auth.models import User
from kbsite.content import service
from kbsite.content.models import Item, Revision
from kbsite.errors import Invalid, NotFound
from kbsite.insights.gaps import Reformulation, is_term, normalise


def config_item(sess: Session, type_: str) -> Item:
    """The synonyms or dictionary item (the oldest, if someone created a second)."""
    item = sess.scalar(select(Item).where(Item.type == type_).order_by(Item.id).limit(1))
    if item is None or item.latest is None:
        raise NotFound("尚未导入同义词表" if type_ == "synonyms" else "尚未导入分词词典")
    return item


def merge_pair(groups: list[list[str]], source: str, target: str) -> list[list[str]]:
    """Groups with ``source`` and ``target`` made synonyms; Invalid when that is impossible or done."""
    source, target = source.strip(), target.strip()
    if not is_term(normalise(source)) or not is_term(normalise(target)) or normalise(source) == normalise(target):
        raise Invalid("同义词必须是两个不同的短词（2–12 个字，不含空格）")
    out = [list(g) for g in groups]
    where = {normalise(w): i for i, g in enumerate(out) for w in g}
    gs, gt = where.get(normalise(source)), where.get(normalise(target))
    if gs is not None and gs == gt:
        raise Invalid(f"“{source}”和“{target}”已在同一个同义词组中")
    if gs is not None and gt is not None:
        raise Invalid(f"“{source}”和“{target}”分属不同的同义词组，请在编辑器中手动合并")
    if gt is not None:
        out[gt].append(source)
    elif gs is not None:
        out[gs].append(target)
    else:
        out.append([target, source])  # the word that found results is the preferred term
    return out


def add_synonym(source: str, target: str, author: User, sess: Session) -> Revision:
    """Save a draft revision of the synonym list with "source → target" added."""
    item = config_item(sess, "synonyms")
    latest = item.latest
    draft = service.draft_of(latest)
    draft.meta["groups"] = merge_pair(draft.meta.get("groups", []), source, target)
    rev = service.save_revision(item.slug, draft, latest.number, author,
                                f"搜索洞察：新增同义词 {source} → {target}")
    if rev is None:  # pragma: no cover - merge_pair always changes the groups
        raise Invalid("没有改动")
    return rev


def add_dictionary_word(word: str, author: User, sess: Session) -> Revision:
    """Save a draft revision of the segmenter dictionary with ``word`` added."""
    word = word.strip()
    if not is_term(normalise(word)):
        raise Invalid("词典词语必须是 2–12 个字、不含空格的短词")
    item = config_item(sess, "dictionary")
    latest = item.latest
    draft = service.draft_of(latest)
    words = list(draft.meta.get("words", []))
    if normalise(word) in {normalise(w) for w in words}:
        raise Invalid(f"“{word}”已在分词词典中")
    draft.meta["words"] = [*words, word]
    rev = service.save_revision(item.slug, draft, latest.number, author, f"搜索洞察：词典新增 {word}")
    if rev is None:  # pragma: no cover - the word list always grows
        raise Invalid("没有改动")
    return rev


@dataclass
class Suggestions:
    """Open suggestions: synonym pairs not yet in the list, and dictionary words."""

    synonyms: list[Reformulation]
    words: list[tuple[str, int]]


def open_suggestions(sess: Session, pairs: list[Reformulation]) -> Suggestions:
    """Drop pairs already grouped in the newest synonym revision; propose unknown target words.

    A target of three or more characters that is not in the dictionary is
    proposed as a dictionary word, so the segmenter keeps it whole when indexing.
    """
    groups, words = _current(sess, "synonyms", "groups"), _current(sess, "dictionary", "words")
    where = {normalise(w): i for i, g in enumerate(groups) for w in g}
    known = {normalise(w) for w in words}
    open_pairs = [p for p in pairs
                  if where.get(p.source) is None or where.get(p.source) != where.get(p.target)]
    counts: dict[str, int] = {}
    for p in pairs:
        if len(p.target) >= 3 and p.target not in known:
            counts[p.target] = counts.get(p.target, 0) + p.count
    return Suggestions(open_pairs, sorted(counts.items(), key=lambda kv: -kv[1]))


def _current(sess: Session, type_: str, key: str) -> list:
    try:
        return list(config_item(sess, type_).latest.meta.get(key, []))
    except NotFound:
        return []
