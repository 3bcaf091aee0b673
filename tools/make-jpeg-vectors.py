"""Writes the JPEG known-answer vectors of Tests/LearnTests/Vectors/jpeg with Pillow (libjpeg).

Each vector is a small JPEG encoded by libjpeg and the planes libjpeg decodes it to (raw bytes,
component after component, no colour conversion): the Swift decoder must reproduce them exactly.
Run: .venv/bin/python tools/make-jpeg-vectors.py (after `make venv`, which installs Pillow).
"""
import io
import pathlib

import numpy as np
from PIL import Image

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/LearnTests/Vectors/jpeg"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)


def smooth(height, width, channels):
    y, x = np.mgrid[0:height, 0:width]
    planes = []
    for c in range(channels):
        base = 128 + 90 * np.sin(x / (5.0 + c)) * np.cos(y / (7.0 + 2 * c))
        planes.append(np.clip(base + rng.normal(0, 12, (height, width)), 0, 255).astype(np.uint8))
    return planes[0] if channels == 1 else np.stack(planes, axis=-1)


def write(name, image, **options):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **options)
    (OUT / f"{name}.jpg").write_bytes(buffer.getvalue())
    decoded = Image.open(io.BytesIO(buffer.getvalue()))
    if decoded.mode == "RGB":
        decoded.draft("YCbCr", decoded.size)
    array = np.asarray(decoded)
    if array.ndim == 3:
        array = np.moveaxis(array, -1, 0)
    (OUT / f"{name}.planes").write_bytes(array.tobytes())
    print(name, decoded.mode, decoded.size, len(buffer.getvalue()), "bytes")


write("grey-37x29-restart", Image.fromarray(smooth(29, 37, 1)), quality=75, restart_marker_blocks=3)
write("grey-64x48-q95", Image.fromarray(smooth(48, 64, 1)), quality=95)
write("colour-444-24x16-restart", Image.fromarray(smooth(16, 24, 3)), quality=80, subsampling=0, restart_marker_rows=1)

# Refused variants: only the stream, no planes.
for name, options in [("progressive", {"progressive": True}), ("colour-420", {"subsampling": 2})]:
    buffer = io.BytesIO()
    Image.fromarray(smooth(16, 24, 3 if name == "colour-420" else 1)).save(buffer, format="JPEG", quality=80, **options)
    (OUT / f"{name}.jpg").write_bytes(buffer.getvalue())
    print(name, len(buffer.getvalue()), "bytes")
