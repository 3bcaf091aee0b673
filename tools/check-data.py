"""Checks peer's DICOM path against pydicom + Pillow (an independent decoder) in .venv.

1. `peer data inspect --json` on the given DICOMs (the SIIM-ACR fixture, synthetic files) reports
   the sizes, bit depths, photometric interpretation and transfer syntax pydicom reads, and the
   pixel minimum, maximum and mean Pillow's libjpeg decodes.
2. Every synthetic DICOM of a `peer data synth` directory opens in pydicom and decodes in Pillow,
   and its train-rle.csv masks decode (relative starts, column-major) to regions inside the image.
Usage: .venv/bin/python tools/check-data.py PEER SYNTH_DIR FILE.dcm...
"""
import glob
import io
import json
import subprocess
import sys

import numpy as np
import pydicom
from PIL import Image
from pydicom.encaps import generate_frames

peer, synth_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
failures = 0


def pixels(dataset):
    frame = next(generate_frames(dataset.PixelData, number_of_frames=1))
    return np.asarray(Image.open(io.BytesIO(frame)), dtype=np.float64)


synthetic = sorted(glob.glob(synth_dir + "/**/*.dcm", recursive=True))
for path in files + synthetic[:5]:
    report = json.loads(subprocess.run([peer, "data", "inspect", path, "--json"], check=True, capture_output=True, text=True).stdout)
    dataset = pydicom.dcmread(path)
    image = pixels(dataset)
    expected = {
        "rows": dataset.Rows, "columns": dataset.Columns, "bitsAllocated": dataset.BitsAllocated,
        "bitsStored": dataset.BitsStored, "photometricInterpretation": dataset.PhotometricInterpretation,
    }
    for key, value in expected.items():
        if report[key] != value:
            print(f"FAIL {path}: {key} is {report[key]}, pydicom says {value}")
            failures += 1
    if report["transferSyntax"]["uid"] != str(dataset.file_meta.TransferSyntaxUID):
        print(f"FAIL {path}: transfer syntax {report['transferSyntax']['uid']}")
        failures += 1
    for key, value in [("min", image.min()), ("max", image.max()), ("mean", image.mean())]:
        if abs(report["pixels"][key] - value) > 1e-6:
            print(f"FAIL {path}: pixel {key} {report['pixels'][key]}, Pillow says {value}")
            failures += 1
    print(f"ok   {path}: {dataset.Columns}x{dataset.Rows}, mean {image.mean():.4f} (peer {report['pixels']['mean']:.4f})")

rows = {}
for line in open(synth_dir + "/train-rle.csv").read().splitlines()[1:]:
    image_id, encoded = (part.strip() for part in line.split(",", 1))
    rows[image_id] = encoded
for path in synthetic:
    dataset = pydicom.dcmread(path)
    image = pixels(dataset)
    image_id = path.rsplit("/", 1)[-1][:-4]
    if image_id not in rows:
        print(f"FAIL {path}: not in train-rle.csv")
        failures += 1
        continue
    if rows[image_id] != "-1":
        numbers = [int(value) for value in rows[image_id].split()]
        mask = np.zeros(image.size, dtype=np.uint8)
        position = 0
        for start, length in zip(numbers[0::2], numbers[1::2]):
            position += start
            mask[position:position + length] = 1
            position += length
        if position > image.size:
            print(f"FAIL {path}: mask runs past the image")
            failures += 1
print(f"{len(synthetic)} synthetic DICOMs read by pydicom and Pillow, {sum(v != '-1' for v in rows.values())} masks decoded")
print("all checks passed" if failures == 0 else f"{failures} checks FAILED")
sys.exit(1 if failures else 0)
