"""The annual report as PDF (to a temporary file), drawn straight on a reportlab canvas.

It walks the same Table objects from reports.builder as the CSV and XLSX (reports.render), row
by row, so the figures are the same and memory stays flat.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from reports.builder import Report, cell_text

FONT, FONT_BOLD = "GridprequalSans", "GridprequalSans-Bold"
_fonts_ready = False


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's own data: covers ≤, – and Swedish letters, no download."""
    global _fonts_ready
    if _fonts_ready:
        return
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    _fonts_ready = True


class _OtherSubset(Exception):
    """A character of the line sits in another subset than the first 256 characters."""


class _Codes(dict):
    """Character → escaped code in the font's first subset; learns new characters on the fly
    (str.translate asks __missing__), so a line costs one translate call."""

    def __init__(self, encoder: _SubsetEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def __missing__(self, code_point: int) -> str:
        subset, escaped = self.encoder.learn(chr(code_point))
        if subset != 0:
            raise _OtherSubset
        self[code_point] = escaped
        return escaped


class _SubsetEncoder:
    """Encodes text for one embedded TrueType font, a character's work done once per file."""

    def __init__(self, font, canvas) -> None:
        self.font, self.canvas, self.doc = font, canvas, canvas._doc
        self.known: dict[str, tuple[int, str]] = {}  # character → (subset, escaped code)
        self.names: dict[int, str] = {}
        self.first = _Codes(self)
        self.widths: dict[str, float] = {}

    def learn(self, char: str) -> tuple[int, str]:
        known = self.known.get(char)
        if known is None:
            # reportlab's own splitString places the character, so the embedded subsets stay right.
            ((subset, code),) = self.font.splitString(char, self.doc)
            known = self.known[char] = (subset, self.canvas._escape(code))
            if subset not in self.names:
                self.names[subset] = self.font.getSubsetInternalName(subset, self.doc)
        return known

    def operators(self, text: str, size: float) -> str:
        if not text:
            return ""
        try:
            encoded = text.translate(self.first)
        except _OtherSubset:
            pass
        else:
            return f"{self.names[0]} {size} Tf ({encoded}) Tj"
        parts, run, current = [], [], None  # several subsets in one line: switch fonts per run
        for char in text:
            subset, escaped = self.learn(char)
            if subset != current and run:
                parts.append(f"{self.names[current]} {size} Tf ({''.join(run)}) Tj")
                run = []
            current = subset
            run.append(escaped)
        parts.append(f"{self.names[current]} {size} Tf ({''.join(run)}) Tj")
        return " ".join(parts)

    def width(self, text: str) -> float:
        """Width in ems."""
        widths = self.widths
        for char in set(text).difference(widths):
            widths[char] = self.font.stringWidth(char, 1)
        return sum(map(widths.__getitem__, text))


class _PdfWriter:
    """Draws text tables on a landscape A4 canvas, breaking pages and repeating headers."""

    SIZE, LEADING, MARGIN = 7, 8.6, 28

    def __init__(self, path: Path, report: Report) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.pdfgen.canvas import Canvas

        _register_fonts()
        self.width, self.height = landscape(A4)
        self.canvas = Canvas(str(path), pagesize=(self.width, self.height), pageCompression=1)
        self.canvas.setTitle(_("gridprequal annual report %(year)s") % {"year": report.year})
        self.report = report
        self._encoders: dict[str, _SubsetEncoder] = {}
        self.page = 1
        self.y = self.height - self.MARGIN

    def footer(self) -> None:
        self.canvas.setFont(FONT, 6.5)
        self.canvas.drawRightString(
            self.width - self.MARGIN, 14,
            _("gridprequal annual report %(year)s · page %(page)s")
            % {"year": self.report.year, "page": self.page},
        )

    def new_page(self) -> None:
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.y = self.height - self.MARGIN

    def room(self, needed: float) -> bool:
        return self.y - needed >= self.MARGIN

    def heading(self, text: str, size: float = 12) -> None:
        if not self.room(size * 3):
            self.new_page()
        self.canvas.setFont(FONT_BOLD, size)
        self.y -= size
        self.canvas.drawString(self.MARGIN, self.y, text)
        self.y -= size * 0.6

    def line(self, text: str, size: float = 8.5) -> None:
        if not self.room(size * 1.4):
            self.new_page()
        self.canvas.setFont(FONT, size)
        self.y -= size * 1.3
        self.canvas.drawString(self.MARGIN, self.y, text)

    def image(self, png: bytes) -> None:
        import io

        from reportlab.lib.utils import ImageReader

        reader = ImageReader(io.BytesIO(png))
        w, h = reader.getSize()
        draw_w = min(self.width - 2 * self.MARGIN, 620)
        draw_h = h * draw_w / w
        if not self.room(draw_h + 6) and self.y - self.MARGIN < 200:
            self.new_page()
        available = self.y - self.MARGIN - 6
        if draw_h > available:  # shrink a tall chart to the room left rather than waste a page
            draw_w, draw_h = draw_w * available / draw_h, available
        self.y -= draw_h + 6
        self.canvas.drawImage(reader, self.MARGIN, self.y, draw_w, draw_h)

    def table(self, table) -> None:
        from reportlab.lib.utils import simpleSplit

        usable = self.width - 2 * self.MARGIN
        weights = table.widths or [1] * len(table.columns)
        scale = usable / sum(weights)
        xs, widths = [], []
        x = self.MARGIN
        for weight in weights:
            xs.append(x)
            widths.append(weight * scale - 4)
            x += weight * scale

        def split(cells, font):
            return [
                simpleSplit(text, font, self.SIZE, w) or [""] for text, w in zip(cells, widths, strict=True)
            ]

        head = split([str(c) for c in table.columns], FONT_BOLD)
        head_h = max(len(c) for c in head) * self.LEADING + 3

        def draw(cells, font, height) -> None:
            c = self.canvas
            c.setFont(font, self.SIZE)
            for lines, x in zip(cells, xs, strict=True):
                y = self.y
                for text in lines:
                    y -= self.LEADING
                    c.drawString(x, y + 1.5, text)
            self.y -= height

        def draw_head() -> None:
            draw(head, FONT_BOLD, head_h)
            self.canvas.setLineWidth(0.4)
            self.canvas.line(self.MARGIN, self.y + 1, self.width - self.MARGIN, self.y + 1)

        self.heading(table.title, 10.5)
        if not self.room(head_h + self.LEADING):
            self.new_page()
        draw_head()
        for row in table.rows():
            cells = split([cell_text(v) for v in row], FONT)
            height = max(len(c) for c in cells) * self.LEADING + 1
            if not self.room(height):
                self.new_page()
                self.heading(table.title + " " + _("(continued)"), 10.5)
                draw_head()
            draw(cells, FONT, height)
        self.y -= 8

    # -- the long list: one record per decision, written as raw text operators -------------

    def _text_op(self, x: float, y: float, text: str, font) -> str:
        """PDF operators drawing `text` at (x, y) in the embedded TrueType `font`.

        What canvas.drawString does for a TrueType font, without its per-character Python
        loops: the list can hold a hundred thousand decisions (SPEC §7: PDF ≤ 30 s). Each
        character is placed in the font's subsets once (reportlab's own splitString, so the
        embedded subsets stay right); a line whose characters all sit in one subset is then
        encoded by one str.translate.
        """
        encoder = self._encoders.get(font.fontName)
        if encoder is None:
            encoder = self._encoders[font.fontName] = _SubsetEncoder(font, self.canvas)
        return f"BT 1 0 0 1 {x:.2f} {y:.2f} Tm {encoder.operators(text, self.SIZE)} ET"

    def _wrap(self, text: str, width: float, font) -> list[str]:
        # Cheap test first: no glyph of DejaVu Sans in our texts is wider than 1 em.
        if len(text) * self.SIZE <= width:
            return [text]
        encoder = self._encoders.get(font.fontName)
        if encoder is None:
            encoder = self._encoders[font.fontName] = _SubsetEncoder(font, self.canvas)
        if encoder.width(text) * self.SIZE <= width:
            return [text]
        from reportlab.lib.utils import simpleSplit

        return simpleSplit(text, font.fontName, self.SIZE, width) or [""]

    def records(self, table) -> None:
        """Each row as a bold first line with the short fields, then one line per long text."""
        from reportlab.pdfbase import pdfmetrics

        regular, bold = pdfmetrics.getFont(FONT), pdfmetrics.getFont(FONT_BOLD)
        width = self.width - 2 * self.MARGIN
        columns = [str(c) for c in table.columns]
        self.heading(table.title, 10.5)
        self.line(" · ".join(columns[:8]) + "; " + _("then") + " " + ", ".join(columns[8:]).lower(), 7)
        self.y -= 4
        for row in table.rows():
            texts = [cell_text(v) for v in row]
            head = " · ".join([
                texts[0], f"{columns[1]} #{texts[1]}", f"{columns[2]} {texts[2]}", *texts[3:8]
            ])
            lines = [(line, bold, 0) for line in self._wrap(head, width, bold)]
            for label, text in zip(columns[8:], texts[8:], strict=True):
                if text:
                    wrapped = self._wrap(f"{label}: {text}", width - 10, regular)
                    lines += [(line, regular, 10) for line in wrapped]
            height = len(lines) * self.LEADING + 3
            if not self.room(height):
                self.new_page()
                self.heading(table.title + " " + _("(continued)"), 10.5)
            ops = []
            for text, font, indent in lines:
                self.y -= self.LEADING
                ops.append(self._text_op(self.MARGIN + indent, self.y + 1.5, text, font))
            self.canvas.addLiteral("\n".join(ops))
            self.y -= 3
        self.y -= 8

    def save(self) -> None:
        self.footer()
        self.canvas.save()


def report_pdf_write(report: Report, path: Path, *, charts: list[bytes]) -> None:
    from reportlab import rl_config

    # ASCII85 would only make the file bigger, and costs seconds per thousand pages.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        pdf = _PdfWriter(path, report)
        pdf.heading(_("Annual report to the regulator, %(year)s") % {"year": report.year}, 15)
        for field, value in report.meta_rows:
            pdf.line(f"{field}: {cell_text(value)}")
        pdf.y -= 6
        for png in charts:
            pdf.image(png)
        pdf.new_page()
        for table in report.tables:
            if table.key == "conditional_and_refused":
                pdf.records(table)
            else:
                pdf.table(table)
        pdf.save()
    finally:
        rl_config.useA85 = a85
