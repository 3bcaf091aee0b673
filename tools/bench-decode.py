"""Decoding speed of pydicom + Pillow (libjpeg-turbo) on the DICOMs `peer bench data --keep DIR` wrote.

Prints JSON: {"syntheticImagesPerSecond", "fixtureImagesPerSecond"}: the median over passes of
decoding every file to a float array scaled to 0...1, one thread, as `peer bench data` times it.
Usage: .venv/bin/python tools/bench-decode.py DIR [FIXTURE.dcm] [--repetitions R]
"""
import argparse
import glob
import io
import json
import statistics
import time

import numpy as np
import pydicom
from PIL import Image
from pydicom.encaps import generate_frames


def decode(data):
    dataset = pydicom.dcmread(io.BytesIO(data))
    frame = next(generate_frames(dataset.PixelData, number_of_frames=1))
    return np.asarray(Image.open(io.BytesIO(frame)), dtype=np.float32) / 255


def rate(files, repetitions, copies=1):
    for data in files:
        decode(data)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for data in files * copies:
            decode(data)
        times.append(time.perf_counter() - start)
    return len(files) * copies / statistics.median(times)


parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("fixture", nargs="?")
parser.add_argument("--repetitions", type=int, default=3)
arguments = parser.parse_args()
files = [open(path, "rb").read() for path in sorted(glob.glob(arguments.directory + "/**/*.dcm", recursive=True))]
result = {"syntheticImagesPerSecond": rate(files, arguments.repetitions)}
if arguments.fixture:
    result["fixtureImagesPerSecond"] = rate([open(arguments.fixture, "rb").read()], arguments.repetitions, copies=8)
print(json.dumps(result))
