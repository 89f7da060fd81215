"""The dataset card's statistics and text, the gallery's colours and page, on plain data (docs/preview.md)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rdc_extract.errors import PreviewError
from rdc_extract.preview.card import FrameRecord, check_card_target, plot_name, summarise
from rdc_extract.preview.card_text import card_markdown
from rdc_extract.preview.colours import id_colours, legend_entries, normals_colour, overlay
from rdc_extract.preview.gallery import GALLERY_MARK, Shown, check_gallery_target, gallery_html, spread
from rdc_extract.preview.stats import (
    DEPTH_BIN_RATIO, ClassTally, class_pixels, depth_percentiles, depth_stats, merge_depth, scenario_counts,
)


def test_depth_statistics_count_nan_inf_and_zero_as_invalid_and_keep_min_and_max_exact():
    depth = np.array([[np.nan, np.inf, 0.0], [0.25, 7.5, 1234.5]], dtype=np.float32)
    stats = depth_stats(depth)
    assert (stats.valid, stats.invalid, stats.low, stats.high) == (3, 3, 0.25, 1234.5)
    assert stats.histogram().sum() == 3
    assert depth_stats(np.full((2, 2), np.nan, np.float32)) == depth_stats(np.zeros((2, 2), np.float32))
    assert depth_percentiles(depth_stats(np.zeros((2, 2), np.float32))) == []


def test_depth_percentiles_from_the_histogram_are_within_one_bin_and_merging_equals_pooling():
    rng = np.random.default_rng(7)
    first, second = (rng.lognormal(mean, 1.2, size=(120, 160)).astype(np.float32) for mean in (1.0, 3.0))
    merged = merge_depth([depth_stats(first), depth_stats(second)])
    assert merged == depth_stats(np.concatenate([first, second]))
    pooled = np.concatenate([first.ravel(), second.ravel()])
    for estimate, exact in zip(depth_percentiles(merged, (1, 50, 99)), np.percentile(pooled, [1, 50, 99])):
        assert exact / DEPTH_BIN_RATIO <= estimate <= exact * DEPTH_BIN_RATIO


def test_class_pixels_and_tally_count_pixels_and_frames_per_label():
    tally = ClassTally()
    tally.add(class_pixels(np.array([[0, 3], [3, 3]], np.uint8)))
    tally.add(class_pixels(np.array([[3, 7]], np.uint8)))
    assert (tally.frames, dict(tally.pixels), dict(tally.frames_with)) == (2, {0: 1, 3: 4, 7: 1}, {0: 1, 3: 2, 7: 1})
    assert tally.total_pixels == 6


def test_scenario_counts_leave_out_identifying_fields_and_set_aside_fields_with_many_values():
    scenarios = [{"capture": f"c{i}.rdc", "weather": "rain" if i % 2 else "clear", "plan_step": {"period": "day"},
                  "player_pose": {"x": float(i)}, "hour": i, "extra": {"wet": i < 3, "note": None}}
                 for i in range(20)] + [None]
    counts = scenario_counts(scenarios)
    assert counts.fields == {"extra.wet": Counter({"false": 17, "true": 3}), "plan_step.period": Counter({"day": 20}),
                             "weather": Counter({"clear": 10, "rain": 10})}
    assert counts.many == {"hour": 20}


def _record(size=(2, 3), mapping=("no_such_mapping", "ab" * 32), pixels=None, depth=None, scenario=None,
            unit_assumed=False):
    return FrameRecord(size, "game", "Vulkan", ("0.1.0", "1.24"), mapping, pixels or {}, depth, scenario,
                       unit_assumed)


def test_card_text_shows_counts_splits_classes_depth_failures_and_unreadable_frames():
    depth = np.array([[1.0, 2.0], [np.inf, 40.0]], np.float32)
    records = {"a": _record(pixels={0: 2, 5: 4}, depth=depth_stats(depth), scenario={"weather": "fog"}),
               "b": _record(size=(4, 8), pixels={5: 6}, scenario={"weather": "fog"}),
               "c": _record(mapping=None)}
    data = summarise("demo", records, {"d": "out/frames/d/meta.json: missing"}, Counter({"train": 2, "val": 1}),
                     Counter({"replay failed": 2}))
    text = card_markdown(data, {("no_such_mapping", "ab" * 32): "card/classes-no_such_mapping.png"}, "card/depth.png",
                         "9.9")
    assert text.startswith("<!-- rdc-extract card:") and "rdc-extract 9.9" in text.splitlines()[0]
    assert "| frames | 4 (1 unreadable, listed at the end) |" in text
    assert "| image size (width × height) | 3×2 (2), 8×4 (1) |" in text
    assert "| made with | rdc-extract 0.1.0, RenderDoc 1.24 (3) |" in text
    assert "| train | 2 |" in text and "| val | 1 |" in text
    assert "| weather | fog (2) |" in text
    assert "not installed here: classes shown by id" in text
    assert "| 0 |  | unlabelled | 2 | 16.67 % | 1 |" not in text   # the mapping is unknown: no name for id 0
    assert "| 0 |  | id 0 | 2 | 16.67 % | 1 |" in text and "| 5 |  | id 5 | 10 | 83.33 % | 2 |" in text
    assert "![depth histogram](card/depth.png)" in text and "| 1 m |" in text and "| 40 m |" in text
    assert "3 of their 4 pixels (75.00 %)" in text
    assert "| replay failed | 2 |" in text and "2 captures failed" in text
    assert "- `d`: out/frames/d/meta.json: missing" in text
    assert 'row["split"] == "train"' in text
    without = card_markdown(summarise("demo", {"c": _record(mapping=None)}, {}), {}, None, "9.9")
    assert "## Splits" not in without and "## Failures" not in without and "## Depth" not in without
    assert "no sidecar" in without and "split" not in without.split("## Loading it")[1]
    assert "frame.labels()" in text and "frame.labels()" not in without   # no frame has labels: none to load
    assert "world unit as a metre" not in text
    guessed = {"a": _record(depth=depth_stats(depth), unit_assumed=True), "b": _record(depth=depth_stats(depth))}
    assert "The metres of 1 of these frames take the game's world unit as a metre" in card_markdown(
        summarise("demo", guessed, {}), {}, None, "9.9")
    assert FrameRecord.from_json({**guessed["a"].to_json()}).unit_assumed   # and a card's cache keeps it
    old_cache = guessed["a"].to_json()
    del old_cache["unit_assumed"]
    assert not FrameRecord.from_json(old_cache).unit_assumed                 # a cache written before it reads


def test_card_text_escapes_what_would_break_a_markdown_table():
    records = {"a": _record(scenario={"weather": "a|b\nc <script>"})}
    text = card_markdown(summarise("x", records, {}), {}, None, "1")
    assert "| weather | a\\|b c &lt;script&gt; (1) |" in text


def test_plots_of_two_mappings_of_one_name_are_told_apart_by_their_hash():
    assert plot_name(("city", "a" * 64), [("city", "a" * 64)]) == "classes-city.png"
    both = [("city", "a" * 64), ("city", "b" * 64)]
    assert plot_name(both[1], both) == f"classes-city-{'b' * 12}.png"
    assert plot_name(("a/../b c", "a" * 64), []) == "classes-a_.._b_c.png"


def test_a_readme_the_card_did_not_write_is_never_replaced(tmp_path):
    check_card_target(tmp_path)
    (tmp_path / "README.md").write_text("<!-- rdc-extract card: old -->\n# old card\n")
    check_card_target(tmp_path)
    (tmp_path / "README.md").write_text("# my notes\n")
    with pytest.raises(PreviewError, match=r"README.md: exists and was not written by `rdc-extract card`"):
        check_card_target(tmp_path)


def test_the_gallery_goes_nowhere_it_would_replace_the_dataset_or_other_files(tmp_path):
    out = tmp_path / "out"
    (out / "frames").mkdir(parents=True)
    for dest, why in ((out, "holds the dataset"), (tmp_path, "holds the dataset"),
                      (out / "frames" / "g", "inside the dataset's frames/")):
        with pytest.raises(PreviewError, match=why):
            check_gallery_target(out, dest)
    other = tmp_path / "other"
    other.mkdir()
    check_gallery_target(out, other)
    (other / "notes.txt").write_text("mine")
    with pytest.raises(PreviewError, match="holds no earlier gallery"):
        check_gallery_target(out, other)
    (other / "index.html").write_text(GALLERY_MARK + "\n<html></html>")
    check_gallery_target(out, other)


def test_frames_shown_are_spread_evenly_from_first_to_last():
    assert spread(10, 4) == [0, 3, 6, 9]
    assert spread(3, 16) == [0, 1, 2] and spread(5, None) == [0, 1, 2, 3, 4]
    assert spread(7, 1) == [0] and spread(0, 4) == []


def test_gallery_page_escapes_frame_ids_and_links_relatively_without_script():
    shown = [Shown('a&b"<c>#1', 'frames/a&b"<c>#1.png', [("weather", "<rain>")]), Shown("gone", None, [], "boom")]
    page = gallery_html("data", shown, 9, "../README.md")
    assert page.startswith(GALLERY_MARK)
    assert 'src="frames/a%26b%22%3Cc%3E%231.png"' in page and "a&amp;b&quot;&lt;c&gt;#1" in page
    assert "<dd>&lt;rain&gt;</dd>" in page and "not shown: boom" in page
    assert 'href="../README.md"' in page and "2 of 9 frames" in page
    assert "<script" not in page and "http" not in page


def test_ids_get_stable_distinct_colours_and_zero_is_black():
    ids = np.arange(0, 2000, dtype=np.uint16).reshape(40, 50)
    colours = id_colours(ids)
    assert colours[0, 0].tolist() == [0, 0, 0] and (colours.reshape(-1, 3)[1:].max(axis=1) > 0).all()
    assert np.array_equal(colours, id_colours(ids.astype(np.uint32)))
    assert len({tuple(c) for c in colours.reshape(-1, 3)[1:]}) > 1990


def test_overlay_blends_labelled_pixels_only_and_normals_show_none_as_black():
    rgb = np.full((1, 2, 3), 100, np.uint8)
    colours = np.full((1, 2, 3), 200, np.uint8)
    assert overlay(rgb, colours, np.array([[True, False]]), alpha=0.5).tolist() == [[[150] * 3, [100] * 3]]
    normals = np.array([[[0.0, 0.0, -1.0], [np.nan] * 3]], np.float32)
    assert normals_colour(normals).tolist() == [[[128, 128, 0], [0, 0, 0]]]


def test_legend_lists_present_classes_largest_first_with_their_colours():
    ids = np.array([[1, 2, 2], [2, 0, 3]], np.uint8)
    colours = np.stack([ids * 10, ids * 20, ids * 30], axis=-1).astype(np.uint8)
    entries, more = legend_entries(ids, colours, lambda label: f"c{label}", leave_out=0, limit=2)
    assert [(e.name, e.colour, e.pixels) for e in entries] == [("c2", (20, 40, 60), 3), ("c1", (10, 20, 30), 1)]
    assert more == 1


def test_depth_colour_scale_is_logarithmic_with_round_ticks_only_over_a_decade_or_more():
    pytest.importorskip("matplotlib")
    from rdc_extract.preview.plots import _depth_scale

    norm, ticks = _depth_scale(3.0, 700.0)
    assert type(norm).__name__ == "LogNorm" and ticks == [5, 10, 20, 50, 100, 200, 500]
    norm, ticks = _depth_scale(2500.0, 4200.0)
    assert type(norm).__name__ == "Normalize" and ticks is None
