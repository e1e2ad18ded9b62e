"""Issue 11, section 1: sound transfer, measured against exact truth. A real clip (bikes.mp4) gets a tone whose pitch
encodes the source frame (:class:`~mvsync.evaluate.FrameTone`: 300 Hz + 25 Hz per frame); its retimed copies have no
sound. After the transfer, the pitch heard during each frame of a copy says which source frame's sound plays there;
the copy's known retiming says which source frame it shows."""

import itertools

import av
import numpy as np
import pytest

import mvsync
from mvsync.applications.audio_transfer import FADE_S, Blocks, assemble_blocks, transfer_audio
from mvsync.cli import main
from mvsync.evaluate import FrameTone, Retiming, write_retimed
from mvsync.evaluate.frame_tone import SILENT
from mvsync.io import frame_times, probe, read_audio, read_frames

from ..clips import write_av_clip
from ..conftest import SMALL

N_FRAMES, FPS, RATE = 150, 25, 48000
TONE = FrameTone()
RETIMINGS = (Retiming(tempo=0.8, lead_in=10, tail=3), Retiming(tempo=1.25, lead_in=4, ease=0.3),
             Retiming(tempo=0.9, lead_in=15, ease=-0.4))


@pytest.fixture(scope="module")
def toned(tmp_path_factory, bikes):
    """``(source with the stepping tone, [(silent retimed copy, content frames)])``."""
    folder = tmp_path_factory.mktemp("toned")
    frames = np.stack([f.image for f in itertools.islice(read_frames(bikes, size=SMALL), N_FRAMES)])
    tone = TONE.samples(np.arange(N_FRAMES) / FPS, N_FRAMES / FPS, RATE)[:, 0]
    source = write_av_clip(folder / "bikes_tone.mp4", frames, fps=FPS, audio=(tone, RATE))
    return source, write_retimed(source, folder / "copies", RETIMINGS)


def heard_frames(samples: np.ndarray, rate: int, times_s: np.ndarray) -> np.ndarray:
    """The source frame whose tone sounds during each frame, the cross-fades left out."""
    return TONE.heard_frames(samples, rate, times_s, times_s[-1] + 1 / FPS, margin_s=FADE_S / 2)


def frame_errors(transfers, copies) -> np.ndarray:
    errors = []
    for transfer, (path, content) in zip(transfers, copies):
        samples, rate = read_audio(transfer.wav)
        heard = heard_frames(samples, rate, frame_times(path))
        assert (heard != SILENT).all()  # every frame of a copy shows source content: none may be silent
        errors.append(np.abs(heard - content))
    return np.concatenate(errors)


def test_the_source_tone_encodes_its_frames(toned):
    source, copies = toned
    samples, rate = read_audio(source)
    assert np.array_equal(heard_frames(samples, rate, frame_times(source)), np.arange(N_FRAMES))
    assert not any(probe(path).has_audio for path, _ in copies)


@pytest.mark.parametrize("context", [None, 1])
def test_nearest_neighbour_transfer_plays_the_shown_frames_sound(toned, tmp_path, context):
    """Measured: default blocks of 5 frames: median 0, p95 1 source frame (max 4); context 1: 0, 0 (max 0)."""
    source, copies = toned
    transfers = transfer_audio(source, [p for p, _ in copies], tmp_path / "out", features="appearance",
                               context=context)
    errors = frame_errors(transfers, copies)
    print(f"nearest neighbour, context {context or 5}: median {np.median(errors):.1f}, "
          f"p95 {np.percentile(errors, 95):.1f}, max {errors.max():.0f} source frames over {len(errors)} frames")
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 3
    assert all(t.copied for t in transfers)


def test_sync_map_transfer_plays_the_shown_frames_sound(toned, tmp_path):
    """Measured: median 0, p95 1 source frame (max 1), through dtw on appearance features."""
    source, copies = toned
    result = mvsync.sync([source, *[p for p, _ in copies]], features="appearance")
    sync_json = result.save(tmp_path / "sync.json")
    errors = frame_errors(transfer_audio(source, [p for p, _ in copies], tmp_path / "out", sync=sync_json), copies)
    print(f"sync map: median {np.median(errors):.1f}, p95 {np.percentile(errors, 95):.1f}, max {errors.max():.0f} "
          f"source frames over {len(errors)} frames")
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 3


def test_a_jump_between_source_moments_is_cross_faded():
    """Blocks from far-apart moments of a 440 Hz tone, each half a cycle out of phase with where the previous block
    was going. Measured: the largest step between samples is 1.0x the tone's own steepest, 16.4x with a hard cut."""
    rate = 48000
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate)[:, None]  # (N, 1)
    half_cycle = 0.5 / 440
    blocks = Blocks(np.array([0.0, 0.04, 0.08]), np.array([0.0, 0.54 + half_cycle, 0.28]), 0.12)
    sound = assemble_blocks(tone, rate, blocks)
    steepest = 2 * np.pi * 440 / rate
    assert len(sound) == round(0.12 * rate)
    assert np.abs(np.diff(sound[:, 0])).max() <= 1.5 * steepest
    cut = assemble_blocks(tone, rate, blocks, fade_s=0.0)  # 1-sample "fade": the cut itself
    assert np.abs(np.diff(cut[:, 0])).max() > 10 * steepest


def test_a_block_without_matching_content_is_silent():
    """A NaN source moment (the sync map: the source has no content there) is silence, faded in and out."""
    rate = 1000
    tone = np.ones((rate, 2))  # (N, 2): stereo stays stereo
    sound = assemble_blocks(tone, rate, Blocks(np.array([0.0, 0.1, 0.2]), np.array([0.3, np.nan, 0.5]), 0.3))
    assert sound.shape == (300, 2)
    assert np.allclose(sound[:97], 1) and np.allclose(sound[103:197], 0) and np.allclose(sound[203:], 1)


def test_cli_writes_mp4_with_the_copied_video_and_the_new_sound(toned, tmp_path, capsys):
    source, copies = toned
    target, content = copies[1]
    out = tmp_path / "out"
    code = main(["transfer-audio", "--from", str(source), "--to", str(target), "-o", str(out),
                 "--features", "appearance", "-q"])
    stdout = capsys.readouterr().out
    assert code == 0 and "video copied" in stdout
    assert sorted(p.name for p in out.iterdir()) == [f"{target.stem}.mp4", f"{target.stem}.wav"]
    written = out / f"{target.stem}.mp4"
    with av.open(str(target)) as a, av.open(str(written)) as b:  # the same H.264 packets, byte for byte
        assert [bytes(p) for p in a.demux(video=0) if p.size] == [bytes(p) for p in b.demux(video=0) if p.size]
    samples, rate = read_audio(written)  # the sound as muxed (AAC), heard frame by frame
    errors = np.abs(heard_frames(samples, rate, frame_times(written)) - content)
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 3


def _error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.startswith("mvsync: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_cli_refuses_bad_input_in_one_line_before_writing(toned, tmp_path, capsys):
    source, copies = toned
    silent, target = str(copies[0][0]), str(copies[1][0])
    out = tmp_path / "out"
    cases = [
        (["--from", silent, "--to", target], f"{silent}: no audio track"),
        (["--from", str(source), "--to", target, str(tmp_path / "missing.mp4")], "missing.mp4: no such file"),
        (["--from", str(source), "--to", target, "--sync", str(tmp_path / "none.json")], "none.json: no such file"),
        (["--from", str(source), "--to", target, "--context", "0"], "context: must be a positive number"),
    ]
    for argv, message in cases:
        assert main(["transfer-audio", *argv, "-o", str(out), "-q"]) == 2
        assert message in _error_line(capsys.readouterr().err)
        assert not out.exists()
    sync_json = mvsync.sync([source, copies[0][0]], features="appearance").save(tmp_path / "sync.json")
    assert main(["transfer-audio", "--from", str(source), "--to", target, "--sync", str(sync_json),
                 "-o", str(out)]) == 2
    assert f"{target}: not one of the clips of" in _error_line(capsys.readouterr().err)
    assert main(["transfer-audio", "--from", str(source), "--to", silent, "--sync", str(sync_json), "--context", "3",
                 "-o", str(out)]) == 2
    assert "sync:" in _error_line(capsys.readouterr().err)
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["transfer-audio", "--from", str(source), "--to", target, "-o", str(out), "-q"]) == 2
    assert "--force" in _error_line(capsys.readouterr().err)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_the_default_transfer_syncs_first_and_follows_the_map(toned, tmp_path, capsys):
    """No --sync and no embedding option: the clips are synced first (measured: median 0, p95 1 source frame, as
    through a sync.json), and the command says so."""
    source, copies = toned
    errors = frame_errors(transfer_audio(source, [p for p, _ in copies], tmp_path / "out"), copies)
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 2
    assert main(["transfer-audio", "--from", str(source), "--to", str(copies[0][0]), "-o", str(tmp_path / "cli"),
                 "-q"]) == 0
    assert "(synced first, then the sync map)" in capsys.readouterr().out
    assert main(["transfer-audio", "--from", str(source), "--to", str(copies[0][0]), "-o", str(tmp_path / "near"),
                 "--nearest", "-q"]) == 0
    assert "(nearest neighbours, blocks of 5 frames)" in capsys.readouterr().out
