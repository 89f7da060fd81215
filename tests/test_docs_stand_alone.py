"""User docs stand alone: every repository file they name exists, and none points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted([*(REPO / "docs").glob("*.md"), REPO / "README.md", *(REPO / "samples").glob("**/README.md")])
TOP_FOLDERS = "docs|tests|samples|scripts|bench|rdc_extract|pipelines|mod_scripts"
REPO_PATH = re.compile(rf"(?<![\w./-])((?:{TOP_FOLDERS})/[\w./-]*[\w/])")
FENCED = re.compile(r"^```.*?^```", re.M | re.S)   # example commands and output: paths of the user's own
NOT_COMMITTED = {"samples/captures/.logs/"}          # made by samples/make_captures.sh
OUTSIDE = re.compile(r"\]\(\.\./|(?<![\w.])\.\./(?:shared|notes)\b|/work/|/home/\w")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_repository_files_a_doc_names_exist_and_it_names_nothing_outside(doc):
    text = doc.read_text(encoding="utf-8")
    prose = FENCED.sub("", text)
    missing = sorted({path for path in REPO_PATH.findall(prose) if not (REPO / path).exists()} - NOT_COMMITTED)
    assert not missing, f"{doc.name} names files the repository does not have: {missing}"
    outside = [match.group(0) for match in OUTSIDE.finditer(text)]
    assert not outside, f"{doc.name} points outside the repository: {outside}"
