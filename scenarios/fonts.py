"""The CJK font for the report: WenQuanYi Micro Hei (文泉驿微米黑), a TrueType
font installed from PyPI (the ``paperang-p2-fonts-cjk`` package), so Chinese
renders on any machine.

TrueType, not CFF-flavoured OpenType: matplotlib embeds every font of a PDF
as TrueType (``pdf.fonttype = 42``), so an OpenType/CFF font such as Noto Sans
CJK gets a TrueType label on CFF data, and PDF readers (poppler: "Mismatch
between font type and embedded font file") warn on every page.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import matplotlib
from matplotlib import font_manager

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "wqy-microhei.ttc"


def cjk_path() -> str:
    """The font file's path."""
    return str(resources.files(FONT_PACKAGE) / "fonts" / FONT_FILE)


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the font with matplotlib and return its family name."""
    path = cjk_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def use_cjk() -> None:
    """Make the CJK font the default (DejaVu Sans for any glyph it lacks),
    embed fonts as TrueType in PDFs, and draw text as text: a '$' in a
    scenario's title is a dollar sign, not the start of a formula."""
    family = cjk_family()
    matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["pdf.fonttype"] = 42
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["text.parse_math"] = False
