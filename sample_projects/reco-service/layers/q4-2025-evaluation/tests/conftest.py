import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


@pytest.fixture
def interactions():
    """Three users, four items, two weeks of events."""
    return pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2", "u2", "u2", "u3", "u3", "u3"],
            "item_id": ["a", "b", "c", "a", "b", "d", "c", "d", "d"],
            "event": ["view", "cart", "purchase", "view", "view", "purchase", "view", "cart", "purchase"],
            "ts": pd.to_datetime(
                [
                    "2025-11-01", "2025-11-02", "2025-11-03",
                    "2025-11-05", "2025-11-05", "2025-11-10",
                    "2025-11-12", "2025-11-13", "2025-11-14",
                ],
                utc=True,
            ),
        }
    )
