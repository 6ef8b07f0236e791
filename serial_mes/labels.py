# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Serial labels as PDF, without Tryton: one label per page.

Each label carries the product name, a GS1-128 barcode of the element
string (01) GTIN + (21) serial, and its human-readable interpretation (HRI)
``(01)09506000140100(21)AB760-2403X0101`` under the bars.

GS1-128 is Code 128 with the function character FNC1 in first position.
reportlab's ``Code128`` (reportlab 5.1) takes FNC1 as the character
``"\\xf1"`` in its input (FNC2-4 are ``\\xf2``-``\\xf4``); it is codeword
102 in each of the code sets A, B and C.  ``"\\xf1" + "01" + gtin + "21" +
serial`` is encoded Start C (105), FNC1 (102), the sixteen digits of
"01" + GTIN as eight code-C pairs, then "21" and the serial (code B for
letters, back to C for runs of digits), the mod-103 check and Stop: a
scanner reports it with the symbology identifier ``]C1``.  (21) is a
variable-length AI and comes last, so no FNC1 separator is needed after it.

The X dimension (narrowest bar) is a whole number of dots of the label
printer (dpi, 300 by default), so that every bar and space prints with the
same width: the largest that lets the symbol with its quiet zones (10 X on
each side, taken from the label's white edge) fit the label width, at most
MAX_X_MM.  A label too narrow for MIN_X_DOTS dots per module, or too low for
bars of MIN_BAR_HEIGHT_MM, is refused with the size that would do.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .gs1 import BarcodeError, element_string, is_cset82, normalize_gtin

__all__ = ["FNC1", "MAX_SERIAL_LENGTH", "gs1_128_data", "labels_pdf"]

FNC1 = "\xf1"  # reportlab's Code128 input for the FNC1 function character
MAX_SERIAL_LENGTH = 20  # AI (21): X..20
MAX_PRODUCT_LENGTH = 200

# Narrowest bar: two printer dots (0.17 mm at 300 dpi); one-dot bars blur.
# Wider is better, up to MAX_X_MM.
MIN_X_DOTS = 2
MAX_X_MM = 0.5
DPI = 300
MIN_DPI, MAX_DPI = 150, 1200
QUIET_ZONE_MODULES = 10
MIN_BAR_HEIGHT_MM = 5.0
MIN_WIDTH_MM, MAX_WIDTH_MM = 20.0, 300.0
MIN_HEIGHT_MM, MAX_HEIGHT_MM = 10.0, 300.0

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
MIN_FONT_SIZE = 5.0
MARGIN_MM = 1.5


def gs1_128_data(gtin: str, serial: str) -> str:
    """The Code 128 input for (01) gtin (21) serial: FNC1 first, then the
    element string (serial last: no separator needed).  gtin and serial
    must be valid already (see labels_pdf)."""
    return FNC1 + "01" + gtin + "21" + serial


def _symbol(data: str, x_mm: float, bar_height_mm: float) -> Code128:
    quiet = QUIET_ZONE_MODULES * x_mm * mm
    return Code128(data, barWidth=x_mm * mm, barHeight=bar_height_mm * mm,
        quiet=1, lquiet=quiet, rquiet=quiet, humanReadable=0)


def _modules(data: str) -> int:
    "Width of the symbol in modules, quiet zones included"
    symbol = Code128(data, quiet=0)
    symbol.validate()
    codewords = symbol.encode()
    # 11 modules per codeword, 13 for Stop (the last codeword)
    return 11 * (len(codewords) - 1) + 13 + 2 * QUIET_ZONE_MODULES


def _check_size(name, value, low, high):
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not low <= value <= high):
        raise ValueError(
            f"label {name} must be a number of millimetres from {low:g} to "
            f"{high:g}, got {value!r}")
    return float(value)


def _item(index, item):
    "(gtin14, serial, product, hri) of one item, or ValueError"
    where = f"label {index + 1}"
    if not isinstance(item, Mapping):
        raise ValueError(
            f"{where}: expected a dict with gtin, serial and product, got "
            f"{type(item).__name__}")
    gtin, serial, product = (item.get("gtin"), item.get("serial"),
        item.get("product"))
    if isinstance(gtin, int) and not isinstance(gtin, bool):
        raise ValueError(f"{where}: give the GTIN as text (leading zeros "
            f"count), got the number {gtin}")
    try:
        gtin = normalize_gtin(gtin)
    except BarcodeError as exception:
        raise ValueError(f"{where}: {exception}") from None
    if not isinstance(serial, str) or not serial:
        raise ValueError(f"{where}: the serial number is missing")
    if len(serial) > MAX_SERIAL_LENGTH:
        raise ValueError(
            f"{where}: serial {serial[:40]!r} has {len(serial)} characters, "
            f"GS1 AI (21) allows at most {MAX_SERIAL_LENGTH}")
    if not is_cset82(serial):
        bad = sorted({c for c in serial if not is_cset82(c)})
        raise ValueError(
            f"{where}: serial {serial!r} has characters outside GS1 CSET 82 "
            f"(AI 21): {' '.join(repr(c) for c in bad)}")
    if not isinstance(product, str) or not product.strip():
        raise ValueError(f"{where}: the product name is missing")
    product = " ".join(product.split())
    if len(product) > MAX_PRODUCT_LENGTH:
        raise ValueError(f"{where}: product name over "
            f"{MAX_PRODUCT_LENGTH} characters")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in product):
        raise ValueError(f"{where}: product name {product!r} has control "
            f"characters")
    try:
        hri = element_string([("01", gtin), ("21", serial)])
    except BarcodeError as exception:
        raise ValueError(f"{where}: {exception}") from None
    return gtin, serial, product, hri


def _round_up(value_mm):
    "value_mm up to the next tenth of a millimetre"
    return math.ceil(round(value_mm * 10, 6)) / 10


def _printable(text: str) -> str:
    "text in the standard fonts' encoding (WinAnsi); others become '?'"
    return text.encode("cp1252", "replace").decode("cp1252")


def _fit(text, font, size, width):
    """(text, size): shrink the font down to MIN_FONT_SIZE, then cut the
    text with an ellipsis, until it fits width (points)"""
    while size > MIN_FONT_SIZE and stringWidth(text, font, size) > width:
        size = max(MIN_FONT_SIZE, size - 0.5)
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026", size


def labels_pdf(items: Iterable[Mapping], *, width_mm: float = 60,
        height_mm: float = 30, dpi: int = DPI) -> bytes:
    """A PDF with one label of width_mm x height_mm per page for each item
    {"gtin": GTIN-8/12/13/14 as text, "serial": str, "product": str}, for
    a label printer of dpi dots per inch.

    Everything is checked before anything is drawn: ValueError names the
    label (1-based) and what is wrong (GTIN check digit, serial over 20
    characters or outside CSET 82, missing product, label too small)."""
    width_mm = _check_size("width", width_mm, MIN_WIDTH_MM, MAX_WIDTH_MM)
    height_mm = _check_size("height", height_mm, MIN_HEIGHT_MM,
        MAX_HEIGHT_MM)
    if (isinstance(dpi, bool) or not isinstance(dpi, int)
            or not MIN_DPI <= dpi <= MAX_DPI):
        raise ValueError(f"label printer resolution must be a whole number "
            f"of dots per inch from {MIN_DPI} to {MAX_DPI}, got {dpi!r}")
    dot_mm = 25.4 / dpi
    max_dots = max(MIN_X_DOTS, int(MAX_X_MM / dot_mm))
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(
            items, Iterable):
        raise ValueError("labels: give a list of items (dicts with gtin, "
            "serial and product)")
    labels = [_item(i, item) for i, item in enumerate(items)]
    if not labels:
        raise ValueError("labels: no item to print")

    width, height = width_mm * mm, height_mm * mm
    margin = MARGIN_MM * mm
    text_width = width - 2 * margin
    # vertical layout, top to bottom: margin, product name, gap, bars, gap,
    # HRI, margin; the font sizes follow the label height
    name_size = min(10.0, max(MIN_FONT_SIZE, height_mm / 4))
    hri_size = min(9.0, max(MIN_FONT_SIZE, height_mm / 4.5))
    gap = 1.0 * mm
    bar_height = height - 2 * margin - name_size - hri_size - 2 * gap
    if bar_height < MIN_BAR_HEIGHT_MM * mm:
        raise ValueError(
            f"label height {height_mm:g} mm leaves {bar_height / mm:.1f} mm "
            f"for the bars, at least {MIN_BAR_HEIGHT_MM:g} mm are needed")
    plans = []
    for index, (gtin, serial, product, hri) in enumerate(labels):
        data = gs1_128_data(gtin, serial)
        modules = _modules(data)
        dots = min(max_dots, int(width_mm / dot_mm + 1e-6) // modules)
        hri_text, size = _fit(hri, FONT, hri_size, text_width)
        if dots < MIN_X_DOTS or hri_text != hri:
            bars_mm = _round_up(modules * MIN_X_DOTS * dot_mm)
            text_mm = _round_up(stringWidth(hri, FONT, MIN_FONT_SIZE) / mm
                + 2 * MARGIN_MM)
            raise ValueError(
                f"label {index + 1}: {hri} needs a label at least "
                f"{max(bars_mm, text_mm):.1f} mm wide (width_mm), not "
                f"{width_mm:g} mm: its GS1-128 symbol has {modules} modules "
                f"with the quiet zones, {bars_mm:.1f} mm at {MIN_X_DOTS} "
                f"dots of a {dpi} dpi printer per module, and its text "
                f"takes {text_mm:.1f} mm at {MIN_FONT_SIZE:g} pt")
        x_mm = dots * dot_mm
        plans.append((data, modules, x_mm, product, hri, size))

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1,
        pageCompression=1)
    canvas.setTitle("Serial labels")
    canvas.setCreator("Serial MES")
    for data, modules, x_mm, product, hri, hri_font_size in plans:
        top = height - margin
        name, size = _fit(_printable(product), FONT_BOLD, name_size,
            text_width)
        canvas.setFont(FONT_BOLD, size)
        canvas.drawCentredString(width / 2, top - name_size * 0.8, name)
        bars_y = margin + hri_size + gap
        symbol = _symbol(data, x_mm, bar_height / mm)
        canvas.saveState()
        # on the printer's dot grid: bars of whole dots
        left = round((width_mm - modules * x_mm) / 2 / dot_mm) * dot_mm
        symbol.drawOn(canvas, left * mm, bars_y)
        canvas.restoreState()
        canvas.setFont(FONT, hri_font_size)
        canvas.drawCentredString(width / 2, margin + hri_size * 0.2, hri)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
