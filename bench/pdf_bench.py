"""PDF import speed against the extraction library's own text extraction on the same file, in the same run.

    .venv/bin/python bench/pdf_bench.py [--pages 200] [--repeats 3]

Set-up (untimed): a PDF of --pages pages written with fpdf2 (a running header, a page-number footer, two
paragraphs of about 160 words with line-end hyphenation on each page).

  R   `cases.readers.read_source` of the PDF: pdfplumber's text lines with positions, paragraphs from the gaps,
      page starts, page furniture found by position.
  P   `cases.importer.preview_import`: R plus language detection, speaker labels and every damage warning (what
      the Documents page shows before the import).
  F   the floor: pdfplumber's own `page.extract_text()` for every page, joined.

Median of --repeats after a warm-up; pages per second and the ratios R/F and P/F. Results go to stdout and
bench/results/pdf_bench.json.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, describe_machine, load, machine, versions, write_json  # noqa: E402

WORDS = ("netwerk samenwerking gemeenten kennis ondernemers studenten fieldlab regio onderwijs bedrijven "
         "vertrouwen leren ontwikkelen plannen uitvoeren resultaten doelen partners afspraken ervaring").split()


def build(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=10)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_y(10)
        pdf.cell(0, 8, "Netwerkplan Regio Oost 2026", align="C")
        pdf.set_y(25)
        for paragraph in range(2):
            for line in range(12):
                words = [WORDS[(number * 7 + paragraph * 13 + line * 3 + i) % len(WORDS)] for i in range(7)]
                text = f"{' '.join(words)} (punt {number}.{paragraph}.{line})"  # no body line repeats
                pdf.cell(0, 5, text + (" samen-" if line % 4 == 3 else ""))
                pdf.ln(5)
            pdf.ln(8)
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Pagina {number} van {pages}", align="C")
    return bytes(pdf.output())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import pdfplumber

    from cases.importer import preview_import
    from cases.readers import read_source

    data = build(args.pages)
    before = load()

    def floor() -> None:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            "\n".join(page.extract_text() or "" for page in pdf.pages)

    kinds = {"F": floor, "R": lambda: read_source("plan.pdf", data), "P": lambda: preview_import("plan.pdf", data)}
    runs: dict[str, list[float]] = {k: [] for k in kinds}
    for work in kinds.values():
        work()  # warm-up
    for _ in range(args.repeats):
        for kind, work in kinds.items():
            began = time.perf_counter()
            work()
            runs[kind].append(time.perf_counter() - began)
    medians = {k: statistics.median(v) for k, v in runs.items()}
    preview = preview_import("plan.pdf", data)
    furniture = sum(1 for w in preview.warnings if w.kind == "page_furniture")
    result = {"machine": machine(), "versions": versions("pdfplumber", "pdfminer.six", "fpdf2"),
              "load_before": before, "load_after": load(),
              "pages": args.pages, "bytes": len(data), "seconds": medians,
              "pages_per_second": {k: args.pages / v for k, v in medians.items()},
              "ratios": {"R/F": medians["R"] / medians["F"], "P/F": medians["P"] / medians["F"]},
              "furniture_warnings": furniture, "characters": len(preview.source.text)}
    print(f"{args.pages} pages ({len(data) / 1e6:.1f} MB, {len(preview.source.text):,} characters): "
          f"F {medians['F']:.2f} s ({args.pages / medians['F']:.0f} pages/s), "
          f"R {medians['R']:.2f} s ({args.pages / medians['R']:.0f} pages/s, R/F {result['ratios']['R/F']:.2f}), "
          f"P {medians['P']:.2f} s (P/F {result['ratios']['P/F']:.2f}); {furniture} furniture warnings")
    print(describe_machine(result))
    path = write_json(RESULTS / "pdf_bench.json", result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
