"""Every notebook runs top to bottom on the default data, shows its charts
inline, tells the story in markdown between its steps, and is committed
without outputs."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_enrolment_wave.ipynb", "02_plan_tradeoffs.ipynb", "03_backtest.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_shows_its_charts_inline_and_is_committed_clean(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code)
    # no backend forced: in Jupyter the charts are drawn inline
    assert not any("matplotlib.use" in c.source or "MPLBACKEND" in c.source for c in code)
    # markdown before every step after the parameter cell says what to look at
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and kinds[1] == "code" and "parameters" in nb.cells[1].source
    assert all(kinds[i - 1] == "markdown" for i in range(2, len(kinds)) if kinds[i] == "code")
    # the kernel's own default (inline) backend, as JupyterLab has it
    monkeypatch.delenv("MPLBACKEND", raising=False)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) >= 2, f"{path.name}: {len(images)} inline charts"
