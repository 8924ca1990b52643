"""docs/plugins.md stays true: each code block is taken from a file of the repository (its
first line names the file), its commands exist, and the guide is linked from the README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "examples" / "crm-acme-consents"
BLOCK_RE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)


def all_blocks() -> list[tuple[str, str]]:
    """(language, body) of each fenced block, a list item's indent taken off."""
    found = []
    for indent, language, body in BLOCK_RE.findall(GUIDE.read_text()):
        lines = body.splitlines(keepends=True)
        found.append((language, "".join(line.removeprefix(indent) for line in lines)))
    return found


def blocks(language: str) -> list[str]:
    return [body for lang, body in all_blocks() if lang == language]


def test_every_block_has_a_language_the_guide_test_knows():
    languages = {lang for lang, _ in all_blocks()}
    assert languages <= {"python", "ini", "sh", "text"}
    assert GUIDE.read_text().count("```") == 2 * len(all_blocks())


def test_python_and_ini_blocks_are_copied_from_the_file_they_name():
    checked = 0
    for body in blocks("python") + blocks("ini"):
        first, _, code = body.partition("\n")
        assert first.startswith("# "), f"block does not name its file: {body[:60]!r}"
        source = ROOT / first[2:].strip()
        assert source.is_file(), f"{source} does not exist"
        assert code in source.read_text(), f"block differs from {source}:\n{code}"
        checked += 1
    assert checked >= 8


def test_the_layout_names_files_the_example_has():
    (layout,) = blocks("text")
    for line in layout.splitlines()[1:]:
        name = line.split()[0]
        if "optional" not in line and name != "tests/":
            assert list(EXAMPLE.rglob(name.rstrip("/"))), f"the example has no {name}"


def test_the_shell_commands_exist(cli):
    commands = [shlex.split(line) for body in blocks("sh") for line in body.splitlines()]
    assert commands
    for words in commands:
        if words[:2] == ["pip", "install"]:
            assert (ROOT / words[-1] / "setup.cfg").is_file()
            continue
        assert words[0] == "crm", words
        path = [w for w in words[1:] if not w.startswith("-")][:2]  # command [subcommand]
        result = cli.invoke(args=[*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, words


def test_the_guide_links_the_hook_reference_and_the_readme_links_the_guide():
    assert "](hooks.md)" in GUIDE.read_text()
    assert "docs/plugins.md" in (ROOT / "README.md").read_text()
