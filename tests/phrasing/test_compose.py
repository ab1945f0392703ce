"""Composing a reply from several pieces: shared placeholders, order, gaps and literal values."""

from __future__ import annotations

import pytest

from kbsite.phrasing import PlaceholderError
from kbsite.phrasing.compose import (
    MAX_PIECES,
    Piece,
    compose,
    preview,
    reorder,
    shared_placeholders,
    usage_counts,
)

GREET = Piece("greet", "问候", "{{客户称呼}}您好，很高兴为您服务。")
ANSWER = Piece("refund", "退款说明", "订单{{订单号}}的退款会在1-3个工作日原路退回。", kind="faq")
CLOSE = Piece("close", "结束语", "{{客户称呼}}，订单{{订单号}}还有问题随时找我哦。")


def test_shared_names_are_one_field_in_first_use_order():
    pieces = [GREET, ANSWER, CLOSE]
    assert shared_placeholders(pieces) == ["客户称呼", "订单号"]
    assert usage_counts(pieces) == {"客户称呼": 2, "订单号": 2}


def test_compose_fills_every_piece_once():
    text = compose([GREET, ANSWER, CLOSE], {"客户称呼": "王女士", "订单号": "A123"})
    assert text == ("王女士您好，很高兴为您服务。\n订单A123的退款会在1-3个工作日原路退回。\n"
                    "王女士，订单A123还有问题随时找我哦。")


def test_a_gap_blocks_and_is_named():
    with pytest.raises(PlaceholderError) as exc:
        compose([GREET, CLOSE], {"客户称呼": "王女士", "订单号": "  "})
    assert exc.value.missing == ["订单号"] and exc.value.unknown == []


def test_unknown_names_are_refused():
    with pytest.raises(PlaceholderError) as exc:
        compose([GREET], {"客户称呼": "王女士", "快递公司": "顺丰"})
    assert exc.value.unknown == ["快递公司"]


def test_values_are_literal():
    text = compose([GREET], {"客户称呼": "{{订单号}}{% raw %}"})
    assert text.startswith("{{订单号}}{% raw %}您好")


def test_preview_keeps_gaps_visible():
    assert preview([GREET, ANSWER], {"客户称呼": "李先生"}).endswith("订单{{订单号}}的退款会在1-3个工作日原路退回。")


def test_reorder():
    assert [p.slug for p in reorder([GREET, ANSWER, CLOSE], 2, 0)] == ["close", "greet", "refund"]
    assert [p.slug for p in reorder([GREET, ANSWER, CLOSE], 0, 99)] == ["refund", "close", "greet"]
    with pytest.raises(IndexError):
        reorder([GREET], 3, 0)


def test_piece_limits():
    with pytest.raises(ValueError):
        compose([], {})
    with pytest.raises(ValueError):
        compose([GREET] * (MAX_PIECES + 1), {"客户称呼": "王女士"})
