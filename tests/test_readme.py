"""README.md stays true: its quick-start commands are the ones CI runs, its Python examples run."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_quick_start_has_exactly_the_two_commands():
    bash = [b.strip() for b in _blocks("bash")]
    assert bash[0] == "pip install . && xl-kpi demo"
    assert bash[1] == 'pip install ".[test]" && pytest'


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert 'python -m pip install -q ".[test]"' in ci
    assert ci[-1] == "pytest"
    assert any("libreoffice-calc-nogui" in line for line in ci)


def test_ci_also_runs_the_pandas_2_leg_that_readme_describes():
    """The pandas-2 leg installs the constraints README names, and its test list is real."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -q -c .ci/pandas2.txt ".[test]"' in ci
    pins = (ROOT / ".ci" / "pandas2.txt").read_text()
    assert "pandas>=2.2,<3" in pins and "numpy<2" in pins
    assert "pip install -c .ci/pandas2.txt" in " ".join(README.split())
    listed = re.search(r"PANDAS2_TESTS=\((.*?)\)", ci, re.S).group(1).split()
    assert "tests/test_ledger*.py" in listed and "tests/test_sources.py" in listed
    for entry in listed:  # a renamed file would leave a glob that matches nothing
        assert list(ROOT.glob(entry)), entry
    # the leg comes before the main suite, whose `pytest` stays the last line
    assert ci.index("PANDAS2_TESTS[@]") < ci.rindex("\npytest")


def test_python_examples_run():
    parser = doctest.DocTestParser()
    for i, block in enumerate(_blocks("python")):
        test = parser.get_doctest(block, {}, f"README-{i}", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, f"README python block {i} fails"


def test_every_command_the_readme_names_exists():
    from xl_kpi.cli import COMMANDS

    for command in set(re.findall(r"xl-kpi (\w+)", README)):
        assert command in COMMANDS, command
