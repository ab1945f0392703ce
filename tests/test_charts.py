"""Server-side SVG charts escape their text and show an empty state."""

from __future__ import annotations

from xml.etree import ElementTree

from kbsite.charts import bar_chart, line_chart


def test_bar_chart_is_valid_svg_with_escaped_labels():
    svg = bar_chart([("售后/退换货", 12), ("<script>", 3)], "按分类")
    root = ElementTree.fromstring(str(svg))
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) == 2


def test_line_chart_and_empty_states():
    svg = line_chart(["第1周", "第2周", "第3周"], {"搜索量": [3, 5, 8], "零结果": [1, 0, 2]}, "搜索趋势")
    root = ElementTree.fromstring(str(svg))
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polyline")) == 2
    assert "暂无数据" in str(bar_chart([], "空"))
    assert "暂无数据" in str(line_chart([], {}, "空"))
