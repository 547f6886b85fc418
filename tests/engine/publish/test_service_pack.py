"""The service pack, read as its reader would: `icsbench pack "NEL hip procedures for trauma"` on the synthetic ICS
writes an HTML page and a PDF; the HTML is rendered in headless Chromium to a screenshot and the PDF to PNG pages
(pdftoppm). Every figure in the pack is parsed back from its text and compared with the published table it names,
hidden figures stay hidden, and the planted hip-theatre effect at ZZB shows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from engine.cli import main
from engine.publish.published_results import published_table
from tests.conftest import query_store

pytestmark = pytest.mark.slow

HIP = "NEL hip procedures for trauma"
KEYS = {
    "service_line_benchmark": ("org_code", "fin_year", "period"),
    "service_line_drivers": ("org_code", "fin_year", "cost_driver"),
    "service_line_wards": ("org_code", "fin_year", "ward"),
    "service_line_los": ("org_code", "fin_year", "los_band"),
    "service_line_profile": ("org_code", "fin_year", "measure", "category"),
    "costing_quality": ("org_code", "fin_year", "period"),
}


class _Figures(HTMLParser):
    """Every element with a data-source attribute, and its text; and the page's whole text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, str]] = []
        self._open: list[str | None] = []
        self._text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "div", "span"):
            self._open.append(dict(attrs).get("data-source"))
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "div", "span") and self._open:
            source = self._open.pop()
            if source:
                self.figures.append((source, "".join(self._text).strip()))

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        self.text.append(data)


@pytest.fixture(scope="module")
def pack(planted_ics_tenth: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    _, config = planted_ics_tenth
    out = tmp_path_factory.mktemp("pack") / "hip.html"
    result = CliRunner().invoke(main, ["pack", HIP, "--out", str(out), "--config", str(config.base_dir / "ics.toml")])
    assert result.exit_code == 0, result.output
    assert "Wrote the NEL hip procedures for trauma pack for 2023/24" in result.output
    return out, out.with_suffix(".pdf"), config


def _number(text: str) -> float:
    cleaned = text.replace("£", "").replace(",", "").replace("%", "")
    return float(cleaned)


def _published(config: Any, name: str) -> list[dict[str, Any]]:
    _, table = published_table(config, name)
    return [r for r in table.to_pylist() if r.get("service_line", HIP) == HIP]


def test_every_figure_in_the_pack_is_the_published_figure_and_hidden_ones_stay_hidden(pack: Any) -> None:
    html, _, config = pack
    parser = _Figures()
    parser.feed(html.read_text(encoding="utf-8"))
    assert len(parser.figures) > 100
    tables = {name: _published(config, name) for name in KEYS}
    hidden = checked = 0
    for source, text in parser.figures:
        table, column, key = source.split(":", 2)
        rows = tables[table]
        if key.startswith("SUM:"):
            year, period = key.split(":")[1:]
            values = [r[column] for r in rows if r["fin_year"] == year and r["period"] == period]
            expected = None if any(v is None for v in values) else sum(float(v) for v in values)
        else:
            parts = key.split(":", len(KEYS[table]) - 1)
            matches = [r for r in rows if all(str(r[k]) == v for k, v in zip(KEYS[table], parts, strict=True))]
            assert matches, source
            expected = matches[0][column]
        if expected is None:
            assert text == "·", (source, text)
            hidden += 1
        elif isinstance(expected, str):
            assert text == expected, source
        else:
            shown = _number(text)
            scale = 100 if text.endswith("%") else 1
            decimals = len(text.split(".")[1].rstrip("%")) if "." in text else 0
            assert shown == pytest.approx(float(expected) * scale, abs=0.5 * 10**-decimals + 1e-9), (source, text)
        checked += 1
    assert checked == len(parser.figures) and hidden > 0  # some small cells exist, and they show as hidden


def test_the_headline_shows_the_published_rounded_count_not_the_exact_one(pack: Any) -> None:
    html, _, config = pack
    text = html.read_text(encoding="utf-8")
    exact = query_store(
        config,
        f"SELECT max(ics_activity) FROM results.service_line_benchmark WHERE service_line = '{HIP}' "
        "AND period = 'year'",
    )[0][0]
    shown = query_store(
        config,
        f"SELECT max(ics_activity) FROM published.service_line_benchmark WHERE service_line = '{HIP}' "
        "AND period = 'year'",
    )[0][0]
    assert shown % config.suppression.round_to == 0
    assert re.search(rf'data-source="service_line_benchmark:ics_activity:[^"]+">{shown:,}<', text)
    if exact != shown:
        assert not re.search(rf'data-source="service_line_benchmark:ics_activity:[^"]+">{exact:,}<', text)


def test_the_planted_hip_theatre_effect_shows_for_zzb_in_the_pack(pack: Any) -> None:
    html, _, _ = pack
    parser = _Figures()
    parser.feed(html.read_text(encoding="utf-8"))
    figures = dict(parser.figures)
    theatre = {
        org: (
            _number(figures[f"service_line_drivers:cost_per_unit:{org}:2023/24:theatre"]),
            figures[f"service_line_drivers:outlier_95:{org}:2023/24:theatre"],
            _number(figures[f"service_line_drivers:opportunity_vs_ics:{org}:2023/24:theatre"]),
        )
        for org in ("ZZA", "ZZB", "ZZC")
    }
    assert theatre["ZZB"][1] == "high"
    assert max(theatre, key=lambda o: theatre[o][2]) == "ZZB"
    assert theatre["ZZB"][0] > 1.15 * max(theatre["ZZA"][0], theatre["ZZC"][0])
    minutes = {
        org: _number(figures[f"service_line_benchmark:theatre_minutes_per_case:{org}:2023/24:year"])
        for org in ("ZZA", "ZZB", "ZZC")
    }
    assert abs(minutes["ZZB"] / ((minutes["ZZA"] + minutes["ZZC"]) / 2) - 1) < 0.05  # the time is not what differs


def test_the_html_renders_in_headless_chromium(pack: Any) -> None:
    html, _, _ = pack
    shot = html.with_name("hip_screenshot.png")
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,4000",
            f"--screenshot={shot}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 4000)
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # text, tables and charts, not a blank or error page
    nhs_blue = sum(n for n, c in colours if c == (0, 94, 184))
    assert nhs_blue > 1000  # the headings and the table headers


def test_the_pdf_has_the_same_figures_and_renders_to_pages(pack: Any) -> None:
    html, pdf, _ = pack
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(pdf.with_name("page"))], check=True, timeout=120)
    pages = sorted(pdf.parent.glob("page-*.png"))
    assert len(pages) >= 3
    assert all(len(Image.open(p).convert("L").getcolors(maxcolors=100_000) or []) > 10 for p in pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    parser = _Figures()
    parser.feed(html.read_text(encoding="utf-8"))
    headline = [t for s, t in parser.figures if ":ics_total_cost:" in s or ":ics_mean_cost:" in s][:2]
    assert headline and all(figure in text for figure in headline)
    assert "How to read this" in text and "Commentary" in text


def test_without_weasyprints_libraries_the_html_stands_and_the_message_says_how_to_get_a_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Windows desktop without Pango: importing WeasyPrint fails (None in sys.modules makes `import` raise, as a
    missing library does); the user gets a sentence, not a traceback."""
    from engine.errors import IcsBenchError
    from engine.publish import service_pack

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(IcsBenchError, match=r"the HTML pack is written, but not the PDF hip\.pdf: .*print it to PDF"):
        service_pack.write_pdf("<p>hip</p>", tmp_path / "hip.pdf")
    assert not (tmp_path / "hip.pdf").exists()
