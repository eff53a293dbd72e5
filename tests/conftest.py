import os
import sys
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

# PyMC raises the recursion limit to 10,000 when it is first imported; set it here so an
# import inside a hypothesis test does not look like the test changed it.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("nightly", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ca_data_path():
    """ChannelAttribution's example data (see tests/data/channelattribution/README.md)."""
    return DATA / "channelattribution" / "Data.csv"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
