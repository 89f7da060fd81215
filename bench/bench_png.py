"""CPU time of writing and reading a frame's PNGs: the dataset's codec against the encoder it replaced.

    python bench/bench_png.py OUT [--rounds R]

OUT is an extracted dataset (e.g. `rdc-extract batch samples/captures OUT
--outputs rgb,albedo,material,emissive,normals,depth,stencil,labels,drawids,instances`).
Every PNG of its frames is decoded once, then encoded R times by
`rdc_extract.dataset.files.encode_png` (PNG's minimal container around one
zlib-ng stream at PNG_LEVEL, no row filter) and by the encoder it replaced
(libpng through imagecodecs, no row filter, zlib level 1); the best round's
CPU time per frame is printed, with the bytes per frame, then the same for
decoding (read_png against Pillow on the 8-bit files).
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rdc_extract.dataset.files import encode_png, read_png


def libpng_level_1(image: np.ndarray) -> bytes:
    """The replaced encoder: libpng (imagecodecs.png_encode), no row filter, zlib level 1."""
    import imagecodecs

    return bytes(imagecodecs.png_encode(np.ascontiguousarray(image), level=1, filter=imagecodecs.PNG.FILTER.NONE))


def best_cpu(work: Callable[[], int], rounds: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(rounds):
        start = time.process_time()
        size = work()
        times.append(time.process_time() - start)
    return min(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frames = sorted(p for p in (args.out / "frames").iterdir() if (p / "meta.json").is_file())
    files = [path for frame in frames for path in sorted(frame.glob("*.png"))]
    images = [read_png(path) for path in files]
    print(f"{len(files)} PNGs in {len(frames)} frames of {args.out}")
    encoders = {"encode_png (zlib-ng)": encode_png, "libpng, zlib level 1 (replaced)": libpng_level_1}
    for name, encode in encoders.items():
        cpu, size = best_cpu(lambda encode=encode: sum(len(encode(image)) for image in images), args.rounds)
        print(f"  write {name:34s} {cpu / len(frames) * 1000:6.1f} ms CPU/frame, {size / len(frames) / 1e3:6.0f} kB/frame")
    encoded = [path.read_bytes() for path in files]
    cpu, _ = best_cpu(lambda: sum(read_png(path).size for path in files), args.rounds)
    print(f"  read  {'read_png (imagecodecs/libpng)':34s} {cpu / len(frames) * 1000:6.1f} ms CPU/frame")
    from PIL import Image

    eight_bit = [data for data, image in zip(encoded, images) if image.dtype == np.uint8]
    cpu8, _ = best_cpu(lambda: sum(np.asarray(Image.open(io.BytesIO(data))).size for data in eight_bit), args.rounds)
    own8, _ = best_cpu(lambda: sum(read_png(path).size for path, image in zip(files, images)
                                   if image.dtype == np.uint8), args.rounds)
    print(f"  read 8-bit only: read_png {own8 / len(frames) * 1000:.1f}, Pillow {cpu8 / len(frames) * 1000:.1f} ms CPU/frame")


if __name__ == "__main__":
    main()
