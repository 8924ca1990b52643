"""docs/plugins.md stays true: each code block is taken from a file of the repository (its
first line names the file; `...` stands for lines left out) and imports what it uses, the
packaging files are shown whole and build a package with its migrations and templates, the
layout is the example's, its commands exist, and the guide is linked from the README."""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

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


PACKAGING = ("setup.cfg", "pyproject.toml")
LEFT_OUT = re.compile(r"^\.\.\.\n", re.MULTILINE)


def file_blocks() -> list[tuple[Path, str]]:
    """(the file a python, ini or toml block names, the block without that first line)."""
    found = []
    for body in blocks("python") + blocks("ini") + blocks("toml"):
        first, _, code = body.partition("\n")
        assert first.startswith("# "), f"block does not name its file: {body[:60]!r}"
        found.append((ROOT / first[2:].strip(), code))
    return found


def imported_names(tree: ast.AST) -> set[str]:
    """The names the import statements of `tree` bind."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_every_block_has_a_language_the_guide_test_knows():
    languages = {lang for lang, _ in all_blocks()}
    assert languages <= {"python", "ini", "toml", "sh", "text"}
    assert GUIDE.read_text().count("```") == 2 * len(all_blocks())


def test_code_blocks_are_copied_from_the_file_they_name():
    for source, code in file_blocks():
        assert source.is_file(), f"{source} does not exist"
        text = source.read_text()
        for excerpt in LEFT_OUT.split(code):
            assert excerpt.strip("\n") in text, f"block differs from {source}:\n{excerpt}"
    assert len(file_blocks()) >= 11


def test_python_blocks_import_every_name_they_take_from_elsewhere():
    for source, code in file_blocks():
        if source.suffix != ".py":
            continue
        block = ast.parse(textwrap.dedent(code))
        imported_by_file = imported_names(ast.parse(source.read_text()))
        used = {n.id for n in ast.walk(block) if isinstance(n, ast.Name)}
        missing = (used & imported_by_file) - imported_names(block)
        assert not missing, f"a block of {source.name} uses {sorted(missing)} without import"


def test_the_packaging_files_are_shown_whole():
    shown = {source.name: code for source, code in file_blocks()
             if source.parent == EXAMPLE and source.name in PACKAGING}
    assert set(shown) == set(PACKAGING)
    for name, code in shown.items():
        assert code == (EXAMPLE / name).read_text(), f"the guide's {name} is not the example's"


def layout_paths(layout: str) -> set[str]:
    """The files of the layout block (a tree indented by two spaces), relative to its root."""
    parents: list[str] = []
    files = set()
    for line in layout.splitlines()[1:]:
        depth = (len(line) - len(line.lstrip())) // 2 - 1
        name = line.split()[0]
        parents[depth:] = [name.rstrip("/")]
        if not name.endswith("/"):
            files.add("/".join(parents))
    return files


def test_the_layout_is_the_examples_files():
    (layout,) = blocks("text")
    skipped = ("__pycache__", "build", ".egg-info", ".pytest_cache")
    example_files = {
        str(path.relative_to(EXAMPLE)) for path in EXAMPLE.rglob("*")
        if path.is_file() and not any(part.endswith(skipped) for part in path.parts)
    }
    assert layout_paths(layout) == example_files


@pytest.mark.subprocess
def test_the_package_built_from_the_guides_files_ships_migrations_and_templates(tmp_path):
    project = tmp_path / "crm-acme-consents"
    shutil.copytree(EXAMPLE / "crm_acme_consents", project / "crm_acme_consents",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for source, code in file_blocks():
        if source.parent == EXAMPLE and source.name in PACKAGING:
            (project / source.name).write_text(code)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
         str(project)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("crm_acme_consents-1.0.0-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("crm_acme_consents-1.0.0.dist-info/entry_points.txt")
    package = EXAMPLE / "crm_acme_consents"
    data = [*package.glob("migrations/versions/*.py"), *package.glob("templates/**/*.html")]
    assert len(data) == 2
    for path in data:
        assert str(path.relative_to(EXAMPLE)) in names, f"the wheel lacks {path.name}"
    assert "[crm.plugins]\nacme_consents = crm_acme_consents" in entry_points.decode()


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


@pytest.mark.subprocess
def test_the_examples_tests_run_outside_this_repository(tmp_path):
    shutil.copytree(EXAMPLE / "tests", tmp_path / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
         "-k", "enabling_pulls_in_gdpr_consents and sqlite"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "1 passed" in ran.stdout
    for module in (EXAMPLE / "tests").glob("*.py"):
        assert "from tests" not in module.read_text(), f"{module.name} imports this repo's tests"
