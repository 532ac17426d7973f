"""Static checks of the set-up machinery (scripts/*.sh, .ci/run, README).

Nothing here runs apt or pip: scripts are only syntax-checked with ``bash -n``.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPTS = ["scripts/setup.sh", "scripts/demo.sh", "scripts/test.sh", ".ci/run"]
README_COMMANDS = ["bash scripts/demo.sh", "bash scripts/test.sh"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize("script", SCRIPTS)
def test_script_syntax(script):
    path = ROOT / script
    assert path.is_file(), f"{script} is missing"
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _code_lines(path):
    """Non-blank, non-comment lines of a shell script."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_ci_run_calls_test_script():
    ci = ROOT / ".ci" / "run"
    assert ci.read_text().startswith("#!/usr/bin/env bash\n")
    assert ci.stat().st_mode & 0o111, ".ci/run must be executable"
    assert "bash scripts/test.sh" in _code_lines(ci)


def test_readme_first_code_block_has_both_commands():
    readme = ROOT / "README.md"
    assert readme.is_file(), "README.md is missing at the repo root"
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme.read_text(), re.M | re.S)
    assert blocks, "README.md has no fenced code block"
    for command in README_COMMANDS:
        assert command in blocks[0], f"{command!r} not in README's first code block"


def test_the_test_command_sets_up_libreoffice_and_the_demo_does_not():
    """The Word-to-PDF test needs LibreOffice: scripts/test.sh asks setup.sh for it; the demo does not."""
    assert "bash scripts/setup.sh --docx-check" in _code_lines(ROOT / "scripts" / "test.sh")
    assert not any("--docx-check" in line for line in _code_lines(ROOT / "scripts" / "demo.sh"))
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert re.search(r'docx_check" -eq 1 \]; then[^\n]*\n\s+command -v libreoffice [^\n]*libreoffice-writer-nogui', setup)
