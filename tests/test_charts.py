"""Server-side SVG charts: well-formed, self-contained, colour-blind-safe, each with its text equivalent."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mldebt import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def colours(chart: charts.Chart) -> set[str]:
    return {c.upper() for c in re.findall(r'(?:stroke|fill)="(#[0-9A-Fa-f]{6})"', str(chart.svg))}


def test_a_line_chart_states_its_data_in_words_and_in_a_table():
    chart = charts.lines(
        "Overall score by quarter",
        ["2026Q1", "2026Q2", "2026Q3"],
        [charts.Series("reco", [31.2, None, 62.5]), charts.Series("churn", [0, 0, 10])],
        100,
        marks=[(2, "rubric changed")],
    )
    root = parse(chart)
    assert chart.summary == (
        "Overall score by quarter. reco: 31.2 in 2026Q1 to 62.5 in 2026Q3; churn: 0 in 2026Q1 "
        "to 10 in 2026Q3. 2026Q3: rubric changed."
    )
    assert root.find(f"{SVG}title").text.startswith("Overall score by quarter. reco: 31.2")
    assert chart.columns == ("", "reco", "churn", "note")
    assert chart.rows == (
        ("2026Q1", "31.2", "0", ""),
        ("2026Q2", "n/a", "0", ""),
        ("2026Q3", "62.5", "10", "rubric changed"),
    )
    assert "rubric changed" in "".join(root.itertext())


def test_a_missing_value_breaks_the_line_rather_than_inventing_one():
    chart = charts.lines("t", ["a", "b", "c", "d"], [charts.Series("s", [1, 2, None, 4])], 7)
    polylines = parse(chart).findall(f".//{SVG}g[@class='series']/{SVG}polyline")
    assert len(polylines) == 1 and len(polylines[0].get("points").split()) == 2


def test_series_differ_by_shape_and_dash_and_use_the_okabe_ito_palette():
    chart = charts.lines("t", ["a", "b"], [charts.Series(f"s{i}", [i, i + 1]) for i in range(6)], 10)
    root = parse(chart)
    groups = root.findall(f".//{SVG}g[@class='series']")
    dashes = {g.find(f"{SVG}polyline").get("stroke-dasharray") for g in groups}
    shapes = {g[-1].tag for g in groups}
    assert len(dashes) == 6 and len(shapes) >= 3
    assert colours(chart) <= {c.upper() for c in charts.PALETTE} | {"#FFFFFF", "#D0D0D0", "#333333", "#000000"}


def test_bars_show_unknown_values_as_n_a_without_a_bar():
    chart = charts.bars("Debt category scores", [("Reproducibility debt", 50.0), ("Feedback loops", None)], 100)
    root = parse(chart)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Reproducibility debt", "50", "Feedback loops", "n/a"]
    assert len(root.findall(f"{SVG}rect")) == 1 + 2 + 1  # background, two tracks, one bar
    assert chart.summary == "Debt category scores (out of 100): Reproducibility debt 50; Feedback loops n/a."


def test_a_sparkline_names_every_value_for_screen_readers():
    chart = charts.sparkline("Overall of reco", ["2026Q1", "2026Q2"], [31.25, 62.5], 100)
    assert parse(chart).get("aria-label") == "Overall of reco: 2026Q1 31.2, 2026Q2 62.5"


def test_labels_are_escaped_and_nothing_is_fetched_from_elsewhere():
    chart = charts.lines("<script>alert(1)</script>", ["<b>q</b>"], [charts.Series("<img src=x>", [1])], 7)
    svg = str(chart.svg)
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "href" not in svg and "<style" not in svg
    parse(chart)


def test_an_empty_chart_still_says_so():
    chart = charts.lines("Nothing yet", [], [], 100)
    assert chart.summary == "Nothing yet. No data yet."
    parse(chart)


def test_the_templates_are_found_in_the_source_tree():
    assert (charts.TEMPLATES / "charts" / "lines.svg").is_file()
    assert (charts.TEMPLATES / "base.html").is_file()
