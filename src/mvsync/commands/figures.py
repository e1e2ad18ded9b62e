"""``mvsync figures tsne|latent|frames``: the pictures of what a common timeline is for (issue 11, sections 3-4).

Each writes ``DIR/<figure>.png`` and ``DIR/<figure>.svg``; the same inputs and ``--seed`` give the same files.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from ..errors import ConfigError
from .sync_input import add_sync_input, check_input, split_clip_file

FIGURES = ("tsne", "latent", "frames")


def add_parser(sub, common) -> None:
    p = sub.add_parser("figures", help="figures: t-SNE trajectories, TPL latent, frames before/after sync",
                       description="Draw a figure of synchronised clips into DIR as PNG and SVG.")
    figures = p.add_subparsers(dest="figure", required=True, metavar="FIGURE")
    f = figures.add_parser("tsne", parents=[common], help="2-D t-SNE of per-frame embeddings, a path per clip (2-4 clips)",
                           description="Lay out the per-frame embeddings of 2-4 clips in 2-D (scikit-learn t-SNE): each "
                                       "clip a coloured path in time order, two frames per clip as thumbnails.")
    _add_common(f)
    f.add_argument("--embedding", default="raw", choices=("raw", "tpl"),
                   help="raw: standardised features; tpl: position on a TPL timeline fitted on the clips (default: raw)")
    f.add_argument("--model", metavar="CKPT", help="embed with a checkpoint of mvsync train instead (its features)")
    f.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity (default: 30)")
    _add_clips(f, 4)
    f = figures.add_parser("latent", parents=[common], help="TPL latent of up to 20 clips before and after alignment",
                           description="The 1-D TPL latent of each clip before (left) and after (right) joint "
                                       "alignment, coloured by phase label when --labels are given, else by time.")
    _add_common(f)
    f.add_argument("--model", metavar="CKPT", help="a checkpoint of mvsync train --algo tpl (default: fit TPL on the clips)")
    f.add_argument("--epochs", type=int, default=100, help="fitting steps without --model (default: 100, as sync)")
    _add_labels(f)
    _add_clips(f, 20)
    f = figures.add_parser("frames", parents=[common], help="five moments of every clip before and after sync",
                           description="Five equally spaced moments, one row per clip, before sync (each clip's own "
                                       "time) and after (the synced frames); cells that disagree with their column "
                                       "are outlined red, agreeing ones green (from --labels, else from features).")
    _add_common(f)
    _add_labels(f)
    p.set_defaults(run=run)


def _add_common(f: argparse.ArgumentParser) -> None:
    add_sync_input(f)
    f.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (must be new or empty unless --force)")
    f.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same figure (default: 0)")
    f.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")


def _add_clips(f: argparse.ArgumentParser, most: int) -> None:
    f.add_argument("--clips", metavar="I,J,...", help=f"which clips to draw (0-based, in sync.json's order or as given; "
                                                      f"at most {most}; default: all)")


def _chosen(args: argparse.Namespace, n_clips: int, most: int, what: str) -> list[int] | None:
    """The clip indices ``--clips`` names (None: all), checked against ``n_clips``; the figure takes 2 to ``most``."""
    from ..applications.trajectories import check_clip_count

    if args.clips is None:
        if n_clips > most:
            raise ConfigError(f"{what}: takes 2 to {most} clips, got {n_clips}; choose some with --clips "
                              f"(e.g. --clips {','.join(map(str, range(min(most, 4))))})")
        check_clip_count(n_clips, most, what)
        return None
    try:
        chosen = [int(part) for part in args.clips.split(",")]
    except ValueError:
        raise ConfigError(f"--clips {args.clips}: expected clip indices like 0,2,3") from None
    bad = [i for i in chosen if not 0 <= i < n_clips]
    if bad:
        raise ConfigError(f"--clips {args.clips}: clip {bad[0]} is out of range for {n_clips} clips (0..{n_clips - 1})")
    if len(set(chosen)) != len(chosen):
        raise ConfigError(f"--clips {args.clips}: a clip is named twice")
    check_clip_count(len(chosen), most, what)
    return chosen


def _add_labels(f: argparse.ArgumentParser) -> None:
    f.add_argument("--labels", action="append", default=[], metavar="CLIP:FILE",
                   help="per-frame phase labels of a clip (index or file name); repeat for every clip")


def run(args: argparse.Namespace) -> int:
    from ..applications.frame_embeddings import feature_kind
    from ..outdir import output_dir

    source = check_input(args)
    check = {"tsne": _check_tsne, "latent": _check_latent, "frames": _check_frames}[args.figure]
    labels_read = check(args, source)  # options, clip count and labels files, before any output exists
    with output_dir(args.output, force=args.force) as out_dir:
        result = source.resolve(progress=not args.quiet)
        kind = feature_kind(getattr(args, "model", None), result.features)
        features = source.features(result, kind=kind, progress=not args.quiet)
        if getattr(args, "chosen", None) is not None:  # --clips: the figure draws these only
            result = replace(result, videos=[result.videos[i] for i in args.chosen], events=())
            features = [features[i] for i in args.chosen]
            labels_read = None if labels_read is None else [labels_read[i] for i in args.chosen]
        draw = {"tsne": _draw_tsne, "latent": _draw_latent, "frames": _draw_frames}[args.figure]
        paths = [out_dir / f"{args.figure}.{suffix}" for suffix in ("png", "svg")]
        for path in draw(args, result, features, labels_read, paths):
            print(f"wrote {path}")
    return 0


def _labels(args: argparse.Namespace, source):
    """Every clip's labels from the repeated ``--labels CLIP:FILE`` (None when none is given)."""
    from ..applications.label_propagation import labels_for_clips

    pairs = [split_clip_file(text, "--labels") for text in args.labels]
    return labels_for_clips(pairs, source.clips, source.frame_counts) if pairs else None


def _check_tsne(args, source):
    from ..applications.frame_embeddings import check_embedding
    from ..applications.trajectories import MAX_CLIPS

    args.chosen = _chosen(args, len(source.clips), MAX_CLIPS, "figures tsne")
    check_embedding(args.embedding, args.model)
    return None  # t-SNE takes no labels


def _check_latent(args, source):
    from ..applications.latent import MAX_CLIPS

    args.chosen = _chosen(args, len(source.clips), MAX_CLIPS, "figures latent")
    return _labels(args, source)


def _check_frames(args, source):
    return _labels(args, source)


def _draw_tsne(args, result, features, labels, paths):
    from pathlib import Path

    from ..applications.frame_embeddings import frame_embeddings
    from ..applications.trajectories import thumbnail_frames, tsne_trajectories
    from ..render.figures_tsne import render_tsne
    from ..render.thumbnails import read_thumbnails

    embs = frame_embeddings(features, kind=args.embedding, model=args.model, seed=args.seed, progress=not args.quiet)
    points = tsne_trajectories(embs, seed=args.seed, perplexity=args.perplexity)
    thumbs = [read_thumbnails(t.path, thumbnail_frames(t.num_frames)) for t in result.videos]
    what = f"model {Path(args.model).name}" if args.model else f"{args.embedding} embedding of {result.features} features"
    names = [Path(t.path).name for t in result.videos]
    return [render_tsne(points, names, thumbs, path, title=f"t-SNE of the {what} (seed {args.seed}; dot: first frame)",
                        overwrite=args.force) for path in paths]


def _draw_latent(args, result, features, labels, paths):
    from ..applications.latent import tpl_latents
    from ..render.figures_latent import render_latent

    curves = tpl_latents(features, model=args.model, epochs=args.epochs, seed=args.seed, progress=not args.quiet)
    label = "phase label" if labels is not None else "normalised clip time"
    return [render_latent(curves.before, curves.after, *curves.colors(labels), path, color_label=label,
                          categorical=labels is not None, overwrite=args.force) for path in paths]


def _draw_frames(args, result, features, labels, paths):
    from pathlib import Path

    from ..applications.moments import moment_grid
    from ..render.figures_frames import frames_mosaic, render_frames
    from ..render.thumbnails import read_thumbnails

    grid = moment_grid(result, features, labels=labels)
    images = [read_thumbnails(t.path, [*b, *a]) for t, b, a in zip(result.videos, grid.before, grid.after)]
    before = frames_mosaic([[im[f] for f in row] for im, row in zip(images, grid.before)], grid.agree_before)
    after = frames_mosaic([[im[f] for f in row] for im, row in zip(images, grid.after)], grid.agree_after)
    counts = (int(grid.agree_before.sum()), int(grid.agree_after.sum()), grid.before.size)
    names = [Path(t.path).name for t in result.videos]
    return [render_frames(before, after, names, path, caption=grid.rule, counts=counts, overwrite=args.force)
            for path in paths]
