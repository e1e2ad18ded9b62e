"""Where the tests find the shared datasets: ``$MVSYNC_DATA`` when set, else ``../shared/data`` beside the checkout.
Tests that need a dataset skip, saying where they looked, when it is not there."""

import os
from pathlib import Path

DATA = Path(os.environ.get("MVSYNC_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
PENN = DATA / "penn_action"
REPCOUNT = DATA / "repcount"
