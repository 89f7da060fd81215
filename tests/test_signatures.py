"""Draw signatures on plain data: what goes into the hash, what stays out, the per-capture cache, and position
shapes that survive a mesh being baked at another place in the world."""

from __future__ import annotations

import numpy as np

from rdc_extract.extract.drawids import DrawIdBuilder
from rdc_extract.extract.signatures import (ContentHashes, DrawContent, attribute_bytes, digest, position_shape,
                                            relative_indices)
from rdc_extract.frame.model import Action


def _content(**changes) -> DrawContent:
    parts = {"parameters": {"indexed": True, "num_indices": 36, "num_instances": 1, "topology": "TriangleList",
                            "index_width": 2},
             "indices": digest(b"indices"), "vertices": (digest(b"positions"), digest(b"normals")),
             "shaders": {"Vertex": digest(b"vs"), "Pixel": digest(b"ps")}, "textures": (digest(b"albedo"),),
             "names": {"shaders": ["CoinShader"], "constant_blocks": ["ObjectConstants"]}}
    return DrawContent(**{**parts, **changes})


def test_the_signature_is_a_hash_of_the_content_parts_not_of_the_names():
    assert _content().signature() == _content(names={"buffers": ["Coin.VB"]}).signature()
    assert len(_content().signature()) == 32 and int(_content().signature(), 16) >= 0


def test_every_content_part_changes_the_signature():
    base = _content().signature()
    changed = [_content(parameters={**_content().parameters, "num_instances": 2}),
               _content(indices=digest(b"other indices")),
               _content(vertices=(digest(b"positions"), digest(b"other normals"))),
               _content(shaders={"Vertex": digest(b"vs"), "Pixel": digest(b"other ps")}),
               _content(textures=(digest(b"other albedo"),)),
               _content(textures=(None,))]
    signatures = [content.signature() for content in changed]
    assert base not in signatures and len(set(signatures)) == len(signatures)


def test_the_json_entry_has_the_signature_its_parts_and_the_names():
    entry = _content().to_json()
    assert entry["signature"] == _content().signature()
    assert entry["signature_parts"]["names"]["constant_blocks"] == ["ObjectConstants"]
    assert set(entry["signature_parts"]) == {"parameters", "indices", "vertices", "shaders", "textures", "names"}


def test_content_shared_by_many_draws_is_read_and_hashed_once_per_key():
    hashes, reads = ContentHashes(), []

    def read() -> bytes:
        reads.append(1)
        return b"texture bytes"

    first = hashes.of(("texture", 7), read)
    assert hashes.of(("texture", 7), read) == first == digest(b"texture bytes")
    assert hashes.of(("texture", 8), read) == first and len(reads) == hashes.reads == 2
    assert hashes.of(("texture", 9), lambda: None) is None


def test_indices_count_from_the_lowest_and_a_strip_restart_reads_no_vertex():
    here, low, high = relative_indices(np.array([10, 11, 12, 0xFFFF, 12, 13], np.uint16), 2)
    elsewhere, _, _ = relative_indices(np.array([500, 501, 502, 0xFFFF, 502, 503], np.uint16), 2)
    assert here == elsewhere and (low, high) == (10, 13)
    assert relative_indices(np.array([0xFF, 0xFF], np.uint8), 1) == (None, 0, -1)
    assert relative_indices(np.array([], np.uint32), 4) == (None, 0, -1)


def test_an_interleaved_attribute_is_picked_out_of_its_vertices():
    vertices = np.arange(3 * 8, dtype=np.uint8).reshape(3, 8)  # stride 8: 4 bytes position, 4 bytes colour
    assert attribute_bytes(vertices.tobytes(), 8, 4, 4).tolist() == vertices[:, 4:].tolist()
    assert attribute_bytes(vertices.tobytes()[:-4], 8, 0, 4).tolist() == vertices[:, :4].tolist()
    assert attribute_bytes(b"", 8, 0, 4).shape == (0, 4)


def test_a_mesh_baked_at_another_place_keeps_its_shape_and_a_bigger_one_does_not():
    rng = np.random.default_rng(3)
    coin = rng.uniform(-0.17, 0.17, (40, 3))
    shapes = {position_shape((coin + offset).astype(np.float32)) for offset in
              ([0, 0, 0], [4.125, 0.25, -2.9375], [-1000.5, 3.0, 77.0])}
    assert len(shapes) == 1
    assert position_shape((coin * 1.5).astype(np.float32)) not in shapes
    assert position_shape(np.zeros((0, 3), np.float32)) == b"no positions"


def test_the_draw_table_carries_each_draws_signature():
    draws = [Action(10, "glDrawElements()", "draw"), Action(11, "glDrawElements()", "draw")]
    builder = DrawIdBuilder(draws, 1)
    builder.baseline([np.zeros((2, 2, 4), np.uint8)])
    builder.describe(10, _content())
    for draw in draws:
        builder.after(draw.event_id, [np.zeros((2, 2, 4), np.uint8)])
    first, second = builder.result().table
    assert first["signature"] == _content().signature() and "signature" not in second
