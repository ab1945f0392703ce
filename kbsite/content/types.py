"""The content-type registry: every kind of item declared once.

A :class:`ContentType` says what the rest of the site needs to know about a kind
of content: its Chinese label, the folder it is exported to, its front-matter
keys in file order, its review interval, whether it has a summary, the template
that shows it and whether search indexes it. The file layer, the editor, the
API description, insights and templates read from here, so adding a type means
one :func:`register` call (plus its templates). Validation of a type's own keys
is registered with the file layer (``files.validate.register_meta``) by the
package that owns the type; ``provider`` names the module that does so, loaded
on first use the way a plugin entry point is.

This module imports nothing of kbsite: every layer may read it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# Keys every item has, split where type-specific keys go in exported front matter.
HEAD_KEYS = ("title", "type", "category", "tags")
TAIL_KEYS = ("status", "owner", "review_interval_days")
GROUPS = ("kind", "config", "training")

# Front-matter keys as the editor's form names them; messages shown in the editor use these.
FIELD_LABELS: Mapping[str, str] = {
    "title": "标题", "category": "分类", "tags": "标签", "summary": "简答", "effective_from": "生效日期",
    "happened_on": "发生日期", "policies": "相关政策", "variants": "渠道版本", "questions": "题目",
    "pass_mark": "及格线", "max_attempts": "最多作答次数", "time_limit_seconds": "限时（秒）",
    "steps": "课程步骤", "prerequisites": "先修课程", "audience": "适用对象", "entries": "词条",
    "groups": "同义词组", "words": "词语", "valid_from": "生效时间", "valid_until": "截止时间",
    "priority": "优先级", "images": "图片", "placeholders": "占位符", "body": "正文",
    "cooldown_minutes": "重做间隔（分钟）", "draw": "每次抽题数", "min_seconds": "最短用时（秒）",
}


@dataclass(frozen=True)
class ContentType:
    """One kind of content and everything the site needs to know about it."""

    key: str
    label: str
    folder: str  # export folder, relative to the library root
    group: str = "kind"  # kind (agents read and search it), config, training
    head: tuple[str, ...] = ()  # type keys written after the common head keys
    tail: tuple[str, ...] = ()  # type keys written after status/owner/review_interval_days
    required: tuple[str, ...] = ()  # documented required keys (validation enforces them)
    review_days: int = 365
    has_summary: bool = False
    template: str = "content/item.html"
    searchable: bool = False
    provider: str | None = None  # module registering this type's key validation, loaded lazily
    editor: str | None = None  # template with the editor fields of this type's own keys
    windowed: bool = False  # shown and searched only inside valid_from/valid_until (content.validity)
    # Other folder names that hold this kind in other systems' exports (besides its folder, key and label).
    folder_aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """This type's own front-matter keys, in file order."""
        return self.head + self.tail

    @property
    def key_order(self) -> tuple[str, ...]:
        """Every front-matter key of this type, in the order files are written."""
        return HEAD_KEYS + self.head + TAIL_KEYS + self.tail


_REGISTRY: dict[str, ContentType] = {}


def register(ctype: ContentType) -> ContentType:
    """Declare a content type (a new key, or a replacement of an existing declaration)."""
    if ctype.group not in GROUPS:
        raise ValueError(f"unknown content-type group {ctype.group!r}")
    _REGISTRY[ctype.key] = ctype
    return ctype


def unregister(key: str) -> None:
    """Remove a declaration (tests that declare a type of their own clean up with this)."""
    _REGISTRY.pop(key, None)


def get(key: str) -> ContentType | None:
    """The declaration of ``key``, or None when no such type exists."""
    return _REGISTRY.get(key)


def all_types() -> list[ContentType]:
    """Every declared type, in declaration order."""
    return list(_REGISTRY.values())


def keys(group: str | None = None) -> tuple[str, ...]:
    """Type keys, all or of one group, in declaration order."""
    return tuple(k for k, t in _REGISTRY.items() if group is None or t.group == group)


def searchable() -> tuple[str, ...]:
    """Types the search index holds (and agents browse)."""
    return tuple(k for k, t in _REGISTRY.items() if t.searchable)


def windowed() -> tuple[str, ...]:
    """Types whose items are current only inside a validity window."""
    return tuple(k for k, t in _REGISTRY.items() if t.windowed)


def summary_types() -> tuple[str, ...]:
    """Types whose items carry a pasteable summary."""
    return tuple(k for k, t in _REGISTRY.items() if t.has_summary)


def all_keys() -> tuple[str, ...]:
    """Every front-matter key any type uses (for checks that are not per type)."""
    out: dict[str, None] = dict.fromkeys(HEAD_KEYS + TAIL_KEYS)
    for ctype in _REGISTRY.values():
        out.update(dict.fromkeys(ctype.keys))
    return tuple(out)


def kind_of_folder(name: str) -> str | None:
    """The kind of content a folder of foreign Markdown holds, by its name (case-insensitive).

    A kind is known by its export folder's name, its key, its Chinese label and its
    ``folder_aliases``; config and training types are never guessed from a folder.
    """
    wanted = name.strip().lower()
    for key, ctype in _REGISTRY.items():
        if ctype.group != "kind":
            continue
        names = (ctype.folder.rsplit("/", 1)[-1], key, ctype.label, *ctype.folder_aliases)
        if wanted in (n.lower() for n in names):
            return key
    return None


def label(key: str) -> str:
    """The Chinese name of a type; an unknown key is shown as 其他."""
    ctype = _REGISTRY.get(key)
    return ctype.label if ctype else "其他"


class _Labels(Mapping[str, str]):
    """A live ``key -> label`` view for templates (a type declared later shows up too)."""

    def __getitem__(self, key: str) -> str:
        ctype = _REGISTRY.get(key)
        if ctype is None:
            raise KeyError(key)
        return ctype.label

    def __iter__(self) -> Iterator[str]:
        return iter(list(_REGISTRY))

    def __len__(self) -> int:
        return len(_REGISTRY)


LABELS: Mapping[str, str] = _Labels()

_TRAINING = "kbsite.training.fileformat"
_PHRASING = "kbsite.phrasing.fileformat"
_ANNOUNCEMENTS = "kbsite.announcements.fileformat"
for _ctype in (
    ContentType("faq", "常见问题", "content/faq", head=("summary",), tail=("images",), required=("summary",),
                review_days=90, has_summary=True, searchable=True, folder_aliases=("faqs", "问答")),
    ContentType("policy", "政策", "content/policies", head=("summary", "effective_from"), tail=("images",),
                required=("summary", "effective_from"), review_days=180, has_summary=True, searchable=True,
                folder_aliases=("制度",)),
    ContentType("template", "话术模板", "scripts_lib", head=("placeholders",), tail=("variants", "images"),
                review_days=180, searchable=True, folder_aliases=("templates", "话术")),
    ContentType("case", "案例", "content/cases", head=("summary", "happened_on", "policies"), tail=("images",),
                required=("summary",), has_summary=True, searchable=True),
    ContentType("announcement", "公告", "content/announcements",
                head=("summary", "valid_from", "valid_until", "audience", "priority"),
                # An announcement expires rather than going stale: no re-check reminders.
                required=("summary", "valid_from"), review_days=3650, has_summary=True,
                template="content/announcement.html", editor="announcements/_editor.html", searchable=True, provider=_ANNOUNCEMENTS,
                windowed=True),
    ContentType("lexicon", "禁用语词库", "scripts_lib", group="config", tail=("entries",),
                required=("entries",), provider=_PHRASING),
    ContentType("synonyms", "同义词", "content/search", group="config", tail=("groups",), required=("groups",)),
    ContentType("dictionary", "分词词典", "content/search", group="config", tail=("words",),
                required=("words",)),
    ContentType("lesson", "课程内容", "content/training/lessons", group="training"),
    ContentType("quiz", "测验", "content/training/quizzes", group="training",
                tail=("pass_mark", "max_attempts", "time_limit_seconds", "cooldown_minutes", "draw", "min_seconds",
                      "questions"),
                required=("questions",), provider=_TRAINING),
    ContentType("course", "课程", "content/training/courses", group="training",
                tail=("audience", "prerequisites", "steps"), required=("steps",), provider=_TRAINING),
):
    register(_ctype)
