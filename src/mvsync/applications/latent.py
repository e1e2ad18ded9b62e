"""The TPL latent before and after joint alignment (issue 11, section 4; TPL supp. Figs. 1-5).

TPL's encoder maps each clip to a 1-D latent ``Z_i`` on its own time axis; the DTAN warps ``g_i`` align the latents
on the common timeline (``Z~_i = Z_i o g_i``). Before alignment the curves of different performers peak at
different moments; after it they lie on top of each other where the method works.

>>> from mvsync import load_features
>>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
>>> curves = tpl_latents(features, epochs=2)  # a quick fit for the example; the default is 100 epochs
>>> [z.shape for z in curves.before], curves.after.shape  # per clip (frames,); (clips, timeline steps)
([(100,), (131,), (83,)], (3, 100))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..types import Features
from .trajectories import check_clip_count

MAX_CLIPS = 20  # TPL's figures show up to 20 curves


@dataclass(frozen=True)
class LatentCurves:
    """Each clip's TPL latent in its own time and on the common timeline."""

    before: list[np.ndarray]  # per clip (L_i,) latent Z_i at its frames
    after: np.ndarray  # (N, T) Z_i o g_i at T common timeline steps
    after_frames: np.ndarray  # (N, T) the fractional frame of clip i read at each step: g_i(s) * (L_i - 1)

    def colors(self, labels: list[np.ndarray] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
        """The value that colours each point, before (per clip ``(L_i,)``) and after (``(N, T)``): the phase label
        of the frame when ``labels`` (one ``(L_i,)`` array per clip) are given, else its normalised time in [0, 1]."""
        if labels is None:
            before = [np.arange(len(z)) / max(len(z) - 1, 1) for z in self.before]
            after = np.stack([f / max(len(z) - 1, 1) for f, z in zip(self.after_frames, self.before)])
            return before, after
        after = np.stack([np.asarray(lab)[np.rint(f).astype(int)] for f, lab in zip(self.after_frames, labels)])
        return [np.asarray(lab) for lab in labels], after


def tpl_latents(features: list[Features], *, model: str | Path | None = None, epochs: int = 100, seed: int = 0,
                progress: bool = False) -> LatentCurves:
    """The TPL latent of every clip before and after alignment: from a ``mvsync train --algo tpl`` checkpoint
    (``model``), else from a TPL fitted on the clips, as ``mvsync sync --method tpl`` fits it (``epochs`` steps)."""
    check_clip_count(len(features), MAX_CLIPS, "latent figure")
    estimator, X = _fitted_tpl(features, model, epochs, seed, progress)  # X: (C, L_i) each, NaN on invalid frames
    lengths = np.array([f.num_frames for f in features])
    z = estimator.encode(X, lengths)  # (N, max L), NaN past each length
    before = [z[i, :n].astype(float) for i, n in enumerate(lengths)]
    timeline = int(np.median(lengths))
    grids = estimator.warps(X, lengths, n_points=timeline)  # (N, T) g_i(s), normalised clip time
    frames = np.clip(grids, 0, 1) * (lengths[:, None] - 1)  # (N, T)
    after = np.stack([np.interp(f, np.arange(len(b)), b) for f, b in zip(frames, before)])  # (N, T) Z_i o g_i
    return LatentCurves(before, after, frames)


def _fitted_tpl(features: list[Features], model, epochs: int, seed: int, progress: bool):
    """A TPL estimator (trained, or fitted on the clips) and the clips prepared as it reads them."""
    from ..align.standardizer import standardize_set

    if model is not None:
        from ..align.trained_model import load_model

        trained = load_model(model)
        if trained.algo != "tpl":
            raise ConfigError(f"{model}: a {trained.algo} checkpoint; the latent figure needs one of mvsync train "
                              "--algo tpl")
        return trained.model, [trained.standardizer.apply(f) for f in features]
    from ..align.tpl_aligner import TPLAligner

    aligner = TPLAligner(epochs=epochs, refine=0, seed=seed, progress=progress)
    aligner.fit([f.values for f in features], [f.valid for f in features])
    data = standardize_set([f.values.astype(np.float64) for f in features], [f.valid for f in features])
    return aligner.estimator_, [np.where(f.valid[:, None], d, np.nan).T for d, f in zip(data, features)]
