import os

import numpy as np
import pytest

from mvsync.errors import ConfigError
from mvsync.features import FeatureCache, extract_features
from mvsync.features.appearance import AppearanceExtractor


def test_second_run_does_not_decode(retimed, tmp_path, monkeypatch):
    paths = retimed[0][:2]
    first = extract_features(paths, kind="appearance", cache_dir=tmp_path)
    calls = []
    monkeypatch.setattr(AppearanceExtractor, "extract", lambda self, path, progress=False: calls.append(path))
    second = extract_features(paths, kind="appearance", cache_dir=tmp_path)
    assert calls == []
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.values, b.values)


def test_key_depends_on_config_version_and_file(tmp_path, retimed):
    path = retimed[0][0]
    cache = FeatureCache(tmp_path)
    base = cache.key(path, "appearance", "1", {"size": 24})
    assert base == cache.key(path, "appearance", "1", {"size": 24})
    assert base != cache.key(path, "appearance", "1", {"size": 32})
    assert base != cache.key(path, "appearance", "2", {"size": 24})
    assert base != cache.key(path, "pose", "1", {"size": 24})
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(path.read_bytes())
    assert cache.key(copy, "appearance", "1", {"size": 24}) != base
    os.utime(copy, ns=(1, 1))
    assert FeatureCache(tmp_path, content_hash=True).key(copy, "a", "1", {}) == FeatureCache(tmp_path, content_hash=True).key(path, "a", "1", {})


def test_damaged_entry_is_recomputed(tmp_path, retimed):
    path = retimed[0][0]
    extract_features([path], kind="appearance", cache_dir=tmp_path)
    for entry in tmp_path.glob("*.npz"):
        entry.write_bytes(b"garbage")
    again = extract_features([path], kind="appearance", cache_dir=tmp_path)
    assert again[0].num_frames > 0


def test_unknown_option_lists_valid_ones():
    with pytest.raises(ConfigError, match="appearance: unknown option.*valid: fps, n_components, size"):
        extract_features([], kind="appearance", colour=True)


def test_unknown_kind_lists_registered():
    with pytest.raises(ConfigError, match="features 'sift': unknown; choose one of .*appearance.*pose"):
        extract_features([], kind="sift")
