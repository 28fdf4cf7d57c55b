"""The CJK font for the report: Noto Sans CJK SC, installed from PyPI with the
``mplfonts`` package, so Chinese renders on any machine."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import matplotlib
from matplotlib import font_manager

FONT_FILE = "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the font with matplotlib and return its family name."""
    path = resources.files("mplfonts") / "fonts" / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_cjk() -> None:
    """Make the CJK font the default, embed fonts as outlines in PDFs, and
    draw text as text: a '$' in a scenario's title is a dollar sign, not
    the start of a formula (matplotlib's mathtext)."""
    family = cjk_family()
    matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["pdf.fonttype"] = 42
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["text.parse_math"] = False
