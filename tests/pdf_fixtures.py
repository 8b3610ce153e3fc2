"""PDFs written in the test run with fpdf2: a network plan of four text pages (a running header, a page-number
footer, line-end hyphenation, a different chapter on each page) and an image-only page; an encrypted one."""

from __future__ import annotations

from fpdf import FPDF

HEADER = "Netwerkplan Regio Oost 2026"
CHAPTERS = ["De stand van zaken in de deelregio's.", "Wat de fieldlabs opleverden.",
            "Hoe de gemeenten samenwerken.", "Wat we in 2027 willen bereiken."]
BODY = ["Het netwerk wil de samenwerking tussen de gemeenten versterken en de kennisuitwisse-",
        "ling tussen bedrijven en onderwijs structureel maken.",
        "",
        "Daarvoor komen er drie fieldlabs in de regio, waar ondernemers en studenten samen experimen-",
        "teren met nieuwe diensten."]


def network_plan(*, image_page: bool = True, password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if password:
        pdf.set_encryption(owner_password="eigenaar", user_password=password)
    pdf.set_font("helvetica", size=11)
    for number, chapter in enumerate(CHAPTERS, start=1):
        pdf.add_page()
        pdf.set_y(10)
        pdf.cell(0, 8, HEADER, align="C")
        pdf.set_y(30)
        for line in [f"{number}. {chapter}", *BODY]:
            if line:
                pdf.cell(0, 6, line)
                pdf.ln(6)
            else:
                pdf.ln(10)
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Pagina {number} van {len(CHAPTERS) + image_page}", align="C")
    if image_page:
        pdf.add_page()
        pdf.rect(20, 20, 100, 100, style="F")  # a picture, no text
    return bytes(pdf.output())


def scanned() -> bytes:
    """Pages with only pictures on them: what a scan without text recognition is."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(10, 10, 150, 200, style="F")
    return bytes(pdf.output())
