"""The project's own documentation: it points only inside the repository, and the task file examples
it gives are ones the import takes."""

import io
import re
from pathlib import Path

import pytest

from annotations.models import Project
from annotations.services.io import tasks_import_file

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# Paths of this machine or of design notes kept beside the repository, which a clone does not have.
OUTSIDE = re.compile(r"\.\./shared|/work/(?:main|shared)\b|\bARCHITECTURE\.md|\bCONVENTIONS\.md")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_there_are_docs_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/architecture.md", "docs/task-format.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_point_only_inside_the_repository(path):
    text = _text(path)
    outside = [m.group() for m in OUTSIDE.finditer(text)]
    assert not outside, f"{path.name} points outside the repository: {outside}"
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # a web address (or mailto:), never file:
            assert target.lower().startswith(("http://", "https://", "mailto:")), target
            continue
        file_part, _, anchor = target.partition("#")
        assert not file_part.startswith("/"), f"{path.name}: absolute path {target}"
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{path.name}: {target} names no heading of {resolved.name}"


def _anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", _text(path), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_readme_links_the_project_docs():
    links = set(LINK.findall(_text(ROOT / "README.md")))
    assert {"docs/architecture.md", "docs/task-format.md"} <= links


# Each example block of docs/task-format.md is preceded by <!-- example: KIND [multi_label] -->.
EXAMPLE = re.compile(r"<!-- example: (\w+)( multi_label)? -->\n```(\w+)\n(.*?)\n```", re.S)
FORMATS = {"jsonl": "jsonl", "csv": "csv", "json": "labelstudio"}


def _examples():
    text = _text(ROOT / "docs" / "task-format.md")
    blocks = EXAMPLE.findall(text)
    fenced = re.findall(r"^```(jsonl|csv|json)$", text, re.M)
    assert len(blocks) == len(fenced), "every jsonl/csv/json block of the doc is a marked, tested example"
    return blocks


def test_the_task_format_doc_has_examples_for_every_kind_and_format():
    blocks = _examples()
    assert {kind for kind, *_ in blocks} == set(Project.Kind.values)
    assert {fmt for _, _, fmt, _ in blocks} == set(FORMATS)


@pytest.mark.parametrize("number", range(len(_examples())))
def test_every_task_format_example_imports_without_errors(db, number):
    kind, multi, fmt, body = _examples()[number]
    project = Project.objects.create(
        name=f"Example {number}",
        slug=f"example-{number}",
        kind=kind,
        labels=["positive", "negative", "neutral"] if kind == Project.Kind.CLASSIFY else [],
        multi_label=bool(multi),
        comparison_dimensions=[{"key": "accuracy", "name": "Accuracy"}] if kind == Project.Kind.COMPARE else [],
    )
    report = tasks_import_file(project=project, stream=io.BytesIO(body.encode()), fmt=FORMATS[fmt])
    assert report.errors == []
    assert report.created >= 2 and report.skipped == 0
    assert project.tasks.count() == report.created
    again = tasks_import_file(project=project, stream=io.BytesIO(body.encode()), fmt=FORMATS[fmt])
    assert (again.created, again.skipped, again.errors) == (0, report.created, [])


def test_the_import_form_links_the_task_format_page(client, project_admin, annotator, make_project):
    project = make_project(members=[project_admin])
    client.force_login(project_admin)
    form = client.get(f"/admin/annotations/project/{project.pk}/import/").content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="task-format-link">', form)
    assert link, "the import form links the task format"
    page = client.get(link.group(1))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h2>Label Studio JSON</h2>" in body and "gold_answer" in body and "<table>" in body
    client.force_login(annotator)
    assert client.get(link.group(1)).status_code == 302  # to the admin login: not for annotators


# The import rule docs/architecture.md states: annotations never imports telemetry or quality, and
# telemetry never imports quality.
FORBIDDEN = {"annotations": ("telemetry", "quality"), "telemetry": ("quality",)}


def _imported_modules(path: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_imports_point_down_only(app):
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for name in _imported_modules(path):
            if name.split(".")[0] in FORBIDDEN[app]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong
