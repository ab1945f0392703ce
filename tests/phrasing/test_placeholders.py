"""Tests for kbsite.phrasing.placeholders."""

from __future__ import annotations

import pytest

from kbsite.phrasing.placeholders import (
    PlaceholderError,
    find_placeholders,
    render_preview,
    render_template,
)

BODY = "{{客户称呼}}，您的订单{{订单号}}已发出，{{ 客户称呼 }}请查收。"


def test_find_placeholders_unique_in_order_and_tolerates_spaces() -> None:
    assert find_placeholders(BODY) == ["客户称呼", "订单号"]
    assert find_placeholders("{{　预计时间　}} {{x}}") == ["预计时间", "x"]
    assert find_placeholders("没有占位符 {单括号} {{}}") == []


def test_render_fills_as_plain_text() -> None:
    out = render_template(BODY, {"客户称呼": "王女士", "订单号": "A123"})
    assert out == "王女士，您的订单A123已发出，王女士请查收。"


@pytest.mark.parametrize(
    "value",
    [
        "{{订单号}}",
        "{% for x in y %}{{ x }}{% endfor %}",
        "{0.__class__}",
        "\\1 \\g<0>",
        "{{客户称呼}}",
    ],
)
def test_values_stay_literal(value: str) -> None:
    out = render_template(BODY, {"客户称呼": value, "订单号": "A1"})
    assert out == f"{value}，您的订单A1已发出，{value}请查收。"


def test_missing_and_empty_values_raise() -> None:
    with pytest.raises(PlaceholderError) as info:
        render_template(BODY, {"客户称呼": "  "})
    assert info.value.missing == ["客户称呼", "订单号"]
    assert info.value.unknown == []
    assert "客户称呼、订单号" in str(info.value) and "还没有填写" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_value_raises() -> None:
    with pytest.raises(PlaceholderError) as info:
        render_template(BODY, {"客户称呼": "王女士", "订单号": "A1", "优惠券": "5元"})
    assert info.value.unknown == ["优惠券"] and info.value.missing == []
    assert "不属于这个模板" in str(info.value)


def test_declared_placeholders_need_values_too() -> None:
    with pytest.raises(PlaceholderError) as info:
        render_template("您好{{客户称呼}}", {"客户称呼": "李先生"}, declared=["客户称呼", "工号"])
    assert info.value.missing == ["工号"]
    assert render_template("您好", {"工号": "007"}, declared=["工号"]) == "您好"


def test_preview_leaves_unfilled_visible() -> None:
    out = render_preview(BODY, {"客户称呼": "王女士", "订单号": ""})
    assert out == "王女士，您的订单{{订单号}}已发出，王女士请查收。"
    assert render_preview("{{ 订单号 }}", {"订单号": "{{x}}"}) == "{{x}}"
