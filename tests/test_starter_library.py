"""The shipped starter library meets what the product promises (Datasette-style content test)."""

from __future__ import annotations

from collections import Counter

import pytest

from kbsite import files
from kbsite.config import PROJECT_ROOT
from kbsite.phrasing import check_text, parse_lexicon
from kbsite.textnorm import fold


@pytest.fixture(scope="module")
def library() -> list[files.ItemData]:
    return files.collect([PROJECT_ROOT / "content", PROJECT_ROOT / "scripts_lib"])


def test_counts_per_kind(library):
    counts = Counter(i.type for i in library)
    assert counts["faq"] >= 40 and counts["policy"] >= 8 and counts["case"] >= 10
    assert counts["template"] >= 40
    assert counts["lexicon"] == counts["synonyms"] == counts["dictionary"] == 1


def test_required_policies_are_there(library):
    titles = " ".join(i.title for i in library if i.type == "policy")
    for needle in ("七天无理由", "质量", "退款", "售后责任", "投诉分级", "响应", "会员", "信息安全"):
        assert needle in titles, needle
    assert all(i.meta.get("effective_from") for i in library if i.type == "policy")


def test_templates_cover_the_scenarios_with_placeholders(library):
    templates = [i for i in library if i.type == "template"]
    scenarios = Counter(i.category for i in templates)
    for scenario in ("话术/问候", "话术/等待", "话术/议价", "话术/投诉安抚", "话术/致歉补偿", "话术/邀评",
                     "话术/结束语", "话术/非工作时间", "话术/物流延迟", "话术/退款通知"):
        assert scenarios[scenario] >= 2, scenario
    assert sum(1 for t in templates if t.meta.get("placeholders")) >= 30
    assert sum(1 for t in templates if t.meta.get("variants")) >= 10


def test_some_entries_are_in_traditional_script(library):
    traditional = [i.slug for i in library if i.type in files.KINDS and fold(i.title) != i.title]
    assert len(traditional) >= 10


def test_no_template_or_summary_uses_a_forbidden_phrase(library):
    lexicon = parse_lexicon(next(i for i in library if i.type == "lexicon").meta)
    assert len(lexicon) >= 40
    for item in library:
        if item.type == "template":
            texts = [item.body, *item.meta.get("variants", {}).values()]
        elif item.type in ("faq", "policy"):
            texts = [item.meta.get("summary", "")]
        else:
            continue
        for text in texts:
            assert check_text(text, lexicon) == [], (item.slug, [i.phrase for i in check_text(text, lexicon)])
