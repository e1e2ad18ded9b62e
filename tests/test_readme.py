"""The README's code runs: its Python example on real clips, and its test command is the one CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_python_example_runs_on_real_clips(tmp_path, monkeypatch, retimed):
    (example,) = _blocks("python")
    clips = ", ".join(repr(str(p)) for p in retimed[0][:3])
    assert '["a.mp4", "b.mp4", "c.mp4"]' in example
    monkeypatch.chdir(tmp_path)  # "out/" is created where the user runs it
    namespace: dict = {}
    exec(example.replace('["a.mp4", "b.mp4", "c.mp4"]', f"[{clips}]"), namespace)  # noqa: S102
    assert (tmp_path / "out" / "sync.json").is_file() and (tmp_path / "out" / "synced.mp4").stat().st_size > 0
    assert namespace["result"].transfer(2.4, 1).shape == (3,)


def test_ci_runs_the_readme_test_command():
    install, tests = _blocks("bash")[:2]
    assert install.strip() == 'pip install -c constraints.txt -e ".[test]" && mvsync demo'
    assert tests.strip() in (ROOT / ".ci" / "run").read_text()
