"""The service pack job: one service line's published benchmarks as an HTML page and a PDF for a service group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.config import IcsConfig
from engine.progress import Progress, silent
from engine.publish import service_pack


@dataclass(frozen=True)
class PackOutcome:
    service_line: str
    fin_year: str
    refresh_id: int
    html: Path
    pdf: Path | None


def pack(
    config: IcsConfig,
    service_line: str,
    out: Path,
    *,
    fin_year: str | None = None,
    pdf: bool = True,
    progress: Progress = silent,
) -> PackOutcome:
    """Write the pack for `service_line` to `out` (HTML) and, unless `pdf` is False, the same beside it as .pdf."""
    html_path = out if out.suffix.lower() in (".html", ".htm") else out.with_suffix(".html")
    progress("Reading the published service tables", 0, 3)
    read = service_pack.read_pack(config, service_line, fin_year)
    progress("Writing the HTML pack", 1, 3)
    html = service_pack.render_html(read)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    pdf_path = None
    if pdf:
        progress("Writing the PDF pack", 2, 3)
        pdf_path = html_path.with_suffix(".pdf")
        service_pack.write_pdf(html, pdf_path)
    progress("Done", 3, 3)
    return PackOutcome(read.service.name, read.fin_year, read.refresh_id, html_path, pdf_path)
