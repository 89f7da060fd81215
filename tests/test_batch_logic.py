"""Batch engine logic on plain data: discovery order, frame ids, manifest resume decisions, index rows."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pytest
from rich.console import Console

from rdc_extract.batch.child import parse_faults
from rdc_extract.batch.discover import FoundCapture, SkippedEntry, iter_captures
from rdc_extract.batch.index import flatten, index_row, write_failures, write_index
from rdc_extract.batch.manifest import Manifest, summarise_result
from rdc_extract.batch.plan import Action, decide
from rdc_extract.batch.report import failure_line, summary_view
from rdc_extract.batch.runner import BatchSummary, profile_hash_now
from rdc_extract.batch.child import death_cause
from rdc_extract.dataset.names import frame_id
from rdc_extract.progress import rate_and_eta
from rdc_extract.profiles.registry import available_profiles


def _touch(path: Path, data: bytes = b"RDOC") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_frame_id_follows_dataset_rule():
    assert frame_id("day/cap_0001.rdc") == "day__cap_0001"
    assert frame_id("cap.rdc") == "cap"
    assert frame_id("a/b/c.RDC") == "a__b__c"


def test_discovery_is_recursive_sorted_files_before_subfolders_and_skips_others(tmp_path):
    for name in ["b.rdc", "a.rdc", "z/late.rdc", "m/x.rdc", "m/n/deep.rdc", "notes.txt", "a.json", ".hidden.rdc",
                 ".cache/c.rdc"]:
        _touch(tmp_path / name)
    found = list(iter_captures(tmp_path))
    assert [f.relative for f in found] == ["a.rdc", "b.rdc", "m/x.rdc", "m/n/deep.rdc", "z/late.rdc"]
    assert found[0].path == str(tmp_path / "a.rdc")
    assert found[0].size == 4 and found[0].mtime_ns == os.stat(tmp_path / "a.rdc").st_mtime_ns


def test_discovery_is_lazy(tmp_path):
    for number in range(3):
        _touch(tmp_path / f"c{number}.rdc")
    walker = iter_captures(tmp_path)
    assert next(walker).relative == "c0.rdc"
    _touch(tmp_path / "c9.rdc")  # a folder is listed once, when the walk enters it: later files wait for the next run
    assert [f.relative for f in walker] == ["c1.rdc", "c2.rdc"]


@pytest.fixture()
def odd_tree(tmp_path) -> Path:
    """caps/ holding a capture, a link to it, a loop, links to folders, and `.rdc` entries that are no files."""
    root = tmp_path / "caps"
    _touch(root / "a.rdc")
    _touch(root / "day" / "d.rdc")
    _touch(tmp_path / "elsewhere" / "e.rdc")
    (root / "dir.rdc").mkdir()
    _touch(root / "dir.rdc" / "inside.rdc")
    os.mkfifo(root / "pipe.rdc")
    os.mkfifo(root / "pipe.json")                      # not named like a capture: not looked at
    (root / "gone.rdc").symlink_to("missing.rdc")
    (root / "linked.rdc").symlink_to("a.rdc")          # a link to a capture is that capture
    (root / "loop").symlink_to(".")
    (root / "more").symlink_to(tmp_path / "elsewhere")
    (root / "today").symlink_to("day")
    (root / "elsewhere_too").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "up").symlink_to(root)
    return root


def _discover(root: Path, **options) -> tuple[list[FoundCapture], dict[str, str]]:
    skipped: dict[str, str] = {}
    found = list(iter_captures(root, on_skipped=lambda entry: skipped.update({entry.relative: entry.reason}),
                               **options))
    return found, skipped


def test_discovery_does_not_follow_directory_links_and_reports_what_cannot_be_a_capture(odd_tree):
    found, skipped = _discover(odd_tree)
    assert [(f.relative, f.problem) for f in found] == [
        ("a.rdc", None),
        ("dir.rdc", "a directory"),
        ("gone.rdc", "a dangling symbolic link (to missing.rdc)"),
        ("linked.rdc", None),
        ("pipe.rdc", "a FIFO"),
        ("day/d.rdc", None),
        ("dir.rdc/inside.rdc", None),
    ]
    assert found[3].size == 4   # the capture linked to, not the link
    not_followed = "symbolic link to a directory, not followed (see --follow-links)"
    assert skipped == {"elsewhere_too": not_followed, "loop": not_followed, "more": not_followed,
                       "today": not_followed}


def test_discovery_following_links_walks_each_directory_once_and_reports_loops(odd_tree):
    found, skipped = _discover(odd_tree, follow_links=True)
    assert [f.relative for f in found if f.problem is None] == [
        "a.rdc", "linked.rdc", "day/d.rdc", "dir.rdc/inside.rdc", "elsewhere_too/e.rdc"]
    assert skipped == {
        "elsewhere_too/up": "loop: leads back to the input folder, not walked again",
        "loop": "loop: leads back to the input folder, not walked again",
        "more": "same directory as elsewhere_too/, walked there only",
        "today": "same directory as day/, walked there only",
    }


def test_discovery_reports_a_folder_it_cannot_list(odd_tree, monkeypatch):
    scandir = os.scandir

    def refuse_day(path):
        if os.path.basename(path) == "day":
            raise PermissionError(13, "Permission denied", path)   # what chmod 0 gives (tests may run as root)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_day)
    found, skipped = _discover(odd_tree)
    assert "day/d.rdc" not in [f.relative for f in found]
    assert skipped["day/"] == "cannot list this directory (Permission denied)"


def test_summary_lists_the_first_entries_not_walked_with_their_reasons_and_counts_the_rest():
    summary = BatchSummary()
    for number in range(12):
        summary.note_not_walked(SkippedEntry(f"link{number:02d}", "symbolic link to a directory, not followed"))
    console = Console(record=True, width=200)
    console.print(summary_view(summary))
    text = console.export_text()
    assert "not walked: link09: symbolic link to a directory, not followed" in text
    assert "link10" not in text and "… and 2 more not walked" in text
    assert [line for line in text.splitlines() if "not walked: directories and links" in line][0].split()[-2] == "12"


def _found(size=10, mtime_ns=5) -> FoundCapture:
    return FoundCapture("/in/a.rdc", "a.rdc", size, mtime_ns)


def _record(status, size=10, mtime_ns=5) -> dict:
    return {"capture": "a.rdc", "status": status, "size": size, "mtime_ns": mtime_ns, "cause": "x"}


@pytest.mark.parametrize(
    ("record", "options", "complete", "expected"),
    [
        (None, {}, True, (Action.RUN, "new")),
        (_record("done"), {}, True, (Action.SKIP_DONE, "done")),
        (_record("done"), {}, False, (Action.RUN, "outputs-missing")),
        (_record("done", size=11), {}, True, (Action.RUN, "changed")),
        (_record("done", mtime_ns=6), {}, True, (Action.RUN, "changed")),
        (_record("done"), {"force": True}, True, (Action.RUN, "forced")),
        (_record("failed"), {}, True, (Action.SKIP_FAILED, "failed earlier")),
        (_record("failed"), {"retry_failed": True}, True, (Action.RUN, "retry-failed")),
        (_record("failed", size=3), {}, True, (Action.RUN, "changed")),
    ],
)
def test_resume_decisions(record, options, complete, expected):
    decision = decide(_found(), record, frame_complete=lambda: complete, **options)
    assert (decision.action, decision.reason) == expected


def _made(profile_sha256="aa", **extra) -> dict:
    return {**_record("done"), "profile": "city_game", "profile_sha256": profile_sha256, **extra}


@pytest.mark.parametrize(
    ("record", "profile_now", "outputs_now", "expected"),
    [
        (_made(), "aa", None, (Action.SKIP_DONE, "done")),
        (_made(), "bb", None, (Action.RUN, "profile-changed")),
        (_made(), "", None, (Action.RUN, "profile-changed")),            # the record's profile is gone
        (_made(), None, None, (Action.SKIP_DONE, "done")),               # not known before replay
        (_made(profile_sha256=None), "bb", None, (Action.SKIP_DONE, "done")),   # a record from before provenance
        (_made(outputs_wanted=["rgb"]), "aa", ["rgb"], (Action.SKIP_DONE, "done")),
        (_made(outputs_wanted=["rgb", "depth"]), "aa", ["depth"], (Action.SKIP_DONE, "done")),   # fewer: kept
        (_made(outputs_wanted=["rgb"]), "aa", ["rgb", "depth"], (Action.RUN, "outputs-changed")),
        (_made(outputs_wanted=["rgb"]), "aa", None, (Action.RUN, "outputs-changed")),
        (_made(outputs_wanted=None), "aa", ["rgb"], (Action.SKIP_DONE, "done")),
        (_made(outputs_wanted=None), "aa", ["rgb", "drawids"], (Action.RUN, "outputs-changed")),  # not a default
        (_made(), "aa", ["drawids"], (Action.RUN, "outputs-changed")),     # a record from before provenance
        (_made(outputs_wanted=["drawids"]), "aa", ["drawids"], (Action.SKIP_DONE, "done")),
        ({**_made(), "status": "failed"}, "bb", None, (Action.SKIP_FAILED, "failed earlier")),
    ],
)
def test_a_done_frame_made_with_another_profile_or_fewer_outputs_is_redone(record, profile_now, outputs_now,
                                                                           expected):
    decision = decide(_found(), record, profile_sha256=lambda r: profile_now, outputs_wanted=outputs_now)
    assert (decision.action, decision.reason) == expected


def test_profile_hash_now_is_the_named_profile_or_the_installed_one_the_record_names():
    installed = {p.name: p.sha256 for p in available_profiles()}
    assert profile_hash_now("city_game")({"profile": "generic"}) == installed["city_game"]
    auto = profile_hash_now(None)
    assert auto({"profile": "generic"}) == installed["generic"]
    assert auto({"profile": "uninstalled"}) == ""


def test_summary_says_how_many_done_frames_were_redone_and_why():
    summary = BatchSummary(done=3)
    summary.redone["profile-changed"] = 2
    console = Console(record=True, width=200)
    console.print(summary_view(summary))
    text = console.export_text()
    assert "redone: the profile or its class mapping changed" in text
    assert [line for line in text.splitlines() if "redone" in line][0].split()[-2] == "2"
    assert "more outputs asked for" not in text


def test_manifest_appends_reloads_latest_and_survives_a_torn_line(tmp_path):
    with Manifest(tmp_path) as manifest:
        manifest.append({"capture": "a.rdc", "status": "failed"})
        manifest.append({"capture": "b.rdc", "status": "done"})
        manifest.append({"capture": "a.rdc", "status": "done"})
    with (tmp_path / "manifest.jsonl").open("a") as handle:
        handle.write('{"capture": "c.rdc", "sta')  # what kill -9 mid-write leaves
    manifest = Manifest(tmp_path)
    assert {k: v["status"] for k, v in manifest.records.items()} == {"a.rdc": "done", "b.rdc": "done"}
    manifest.append({"capture": "c.rdc", "status": "done"})
    manifest.close()
    reloaded = Manifest(tmp_path)
    assert reloaded.get("c.rdc")["status"] == "done"
    assert reloaded.superseded_lines == 2  # the first a.rdc and the torn line
    reloaded.compact()
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["capture"] for line in lines) == ["a.rdc", "b.rdc", "c.rdc"]


def test_flatten_uses_dotted_keys_and_json_for_lists():
    assert flatten({"a": {"b": 1}, "c": [1, 2], "d": None}, "s") == {"s.a.b": 1, "s.c": "[1, 2]", "s.d": None}


def _done(frame: str, **extra) -> dict:
    return {"capture": f"{frame}.rdc", "frame_id": frame, "status": "done", "profile": "city_game",
            "outputs": {"rgb": "rgb.png", "depth": "depth.tiff"}, **extra}


def test_index_row_has_paths_relative_to_out_and_flattened_scenario():
    row = index_row(_done("day__c1", scenario={"weather": "rain", "player_pose": {"x": 1.5}},
                          label_mapping={"mapping": "city_game"}))
    assert row["frame_dir"] == "frames/day__c1"
    assert row["outputs.rgb"] == "frames/day__c1/rgb.png"
    assert row["scenario.weather"] == "rain" and row["scenario.player_pose.x"] == 1.5
    assert row["label_mapping.mapping"] == "city_game"


def test_write_index_has_one_row_per_done_frame_and_union_of_columns(tmp_path):
    records = [_done("b", scenario={"weather": "rain"}), _done("a", scenario={"clock_hour": 7}),
               {"capture": "bad.rdc", "frame_id": "bad", "status": "failed", "outputs": {}}]
    path = write_index(tmp_path, records)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["frame_id"] for row in rows] == ["a", "b"]
    assert rows[0]["scenario.clock_hour"] == "7" and rows[0]["scenario.weather"] == ""
    assert list(rows[0])[:15] == ["frame_id", "capture", "profile", "frame_dir", "split", "width", "height", "fx",
                                  "fy", "cx", "cy", "mapping", "label_sets", "outputs.depth", "outputs.rgb"]


def test_text_cells_a_spreadsheet_would_run_as_formulas_are_escaped_numbers_are_not(tmp_path):
    scenario = {"weather": '=HYPERLINK("http://x","rain")', "a": "+1", "b": "-1", "c": "@SUM(A1)", "d": "\tx",
                "e": "\rx", "plain": "a=b", "x": -1.5, "n": -3}
    with write_index(tmp_path, [_done("f", scenario=scenario)]).open(newline="") as handle:
        [row] = csv.DictReader(handle)
    assert row["scenario.weather"] == '\'=HYPERLINK("http://x","rain")'
    assert [row[f"scenario.{key}"] for key in "abcde"] == ["'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx"]
    assert (row["scenario.plain"], row["scenario.x"], row["scenario.n"]) == ("a=b", "-1.5", "-3")
    failed = {"capture": "=cmd.rdc", "status": "failed", "cause": "c", "error": "-x"}
    with write_failures(tmp_path, [failed]).open(newline="") as handle:
        [row] = csv.DictReader(handle)
    assert (row["capture"], row["error"]) == ("'=cmd.rdc", "'-x")


def test_summarise_result_reads_extract_meta_documents():
    meta = {"profile": {"name": "city_game", "why": "matched"}, "outputs": {"rgb": "rgb.png"},
            "scenario": {"weather": "clear"}, "labels": {"mapping": "m", "mapping_sha256": "h", "files": {}},
            "timing_s": {"replay": 1.0, "decode": 0.5}, "capture": {"path": "/x"}}
    summary = summarise_result(meta)
    assert summary["profile"] == "city_game" and summary["profile_why"] == "matched"
    assert summary["profile_sha256"] is None
    assert summarise_result({**meta, "profile": {**meta["profile"], "sha256": "ab"}})["profile_sha256"] == "ab"
    assert summary["label_mapping"] == {"mapping": "m", "mapping_sha256": "h"}
    assert summary["job_seconds"] == 1.5


def test_death_cause_names_the_signal():
    assert death_cause(-signal.SIGSEGV) == "crashed (SIGSEGV)"
    assert death_cause(-signal.SIGABRT) == "crashed (SIGABRT)"
    assert death_cause(3) == "worker exited (code 3)"


def test_fault_hook_spec_is_parsed_strictly():
    assert parse_faults("crash:bad, hang:slow") == [("crash", "bad"), ("hang", "slow")]
    assert parse_faults(None) == []
    with pytest.raises(ValueError):
        parse_faults("explode:x")


def test_write_failures_lists_failed_captures_sorted_with_cause_and_error(tmp_path):
    records = [_done("ok"),
               {"capture": "z.rdc", "status": "failed", "cause": "timeout (> 4 s)", "error": "no result after 4 s",
                "finished_at": "t1"},
               {"capture": "a.rdc", "status": "failed", "cause": "crashed (SIGSEGV)", "error": "worker died",
                "finished_at": "t0", "seconds": 1.5}]
    with write_failures(tmp_path, records).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"capture": "a.rdc", "cause": "crashed (SIGSEGV)", "error": "worker died", "finished_at": "t0"},
        {"capture": "z.rdc", "cause": "timeout (> 4 s)", "error": "no result after 4 s", "finished_at": "t1"},
    ]


def test_failure_line_names_capture_cause_and_detail_once():
    capture_error = {"capture": "day/a.rdc", "cause": "not a RenderDoc capture",
                     "error": "/in/day/a.rdc: not a RenderDoc capture: file is empty"}
    assert failure_line(capture_error) == "/in/day/a.rdc: not a RenderDoc capture: file is empty"
    crash = {"capture": "b.rdc", "cause": "crashed (SIGSEGV)", "error": "worker process 7 died while replaying"}
    assert failure_line(crash) == "b.rdc: crashed (SIGSEGV): worker process 7 died while replaying"
    assert failure_line({"capture": "c.rdc", "cause": "replay failed", "error": None}) == "c.rdc: replay failed"


@pytest.mark.parametrize("finished, total, elapsed, expected", [
    (0, 10, 5.0, ("–/s", "-:--:--")),
    (2, 10, 4.0, ("0.50/s", "0:00:16")),
    (10, 60_010, 5.0, ("2.00/s", "8:20:00")),
    (10, 10, 5.0, ("2.00/s", "0:00:00")),
])
def test_rate_and_eta_are_over_the_whole_run(finished, total, elapsed, expected):
    assert rate_and_eta(finished, total, elapsed) == expected


def test_tables_and_failure_lines_show_undecodable_names_escaped(tmp_path):
    name = os.fsdecode(b"day/bad\xff\n.rdc")
    done = {"status": "done", "capture": name, "frame_id": frame_id(name), "outputs": {"meta": "meta.json"},
            "scenario": {"note": name}}
    failed = {"status": "failed", "capture": name, "cause": "not a RenderDoc capture",
              "error": f"/in/{name}: not a RenderDoc capture: file is empty", "finished_at": "t"}
    index = write_index(tmp_path, [done]).read_text(encoding="utf-8")
    assert "day__bad%FF%0A,\"day/bad\\xff\n.rdc\"" in index and "frames/day__bad%FF%0A/meta.json" in index
    assert "day/bad\\xff\n.rdc" in write_failures(tmp_path, [failed]).read_text(encoding="utf-8")
    assert failure_line(failed) == "/in/day/bad\\xff\\n.rdc: not a RenderDoc capture: file is empty"
