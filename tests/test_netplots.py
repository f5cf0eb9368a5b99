"""Tests for rmslab.netplots: the moving average against a hand computation, and the heatmap's
cell labels (one per cell, showing mean and spread, not overlapping)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmslab import netplots  # noqa: E402


def test_moving_average_matches_a_hand_computation():
    np.testing.assert_allclose(netplots.moving_average([1, 2, 3, 4, 10], 2), [1.5, 2.5, 3.5, 7])
    np.testing.assert_allclose(netplots.moving_average([4.0, 8.0], 1), [4.0, 8.0])
    with pytest.raises(ValueError, match="^window must be between 1 and len"):
        netplots.moving_average([1.0, 2.0], 3)


def test_heatmap_writes_mean_and_spread_in_every_cell_without_overlap():
    mean = np.array([[41.1, 53.0, 72.9], [41.4, 76.3, 8.4], [54.5, 8.9, 8.9]])
    spread = np.array([[1.3, 7.1, 21.8], [3.8, 12.5, 0.9], [10.9, 0.9, 0.9]])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    netplots.annotated_heatmap(mean, spread, ["a", "b", "c"], ["x", "y", "z"], ax, "{:.0f}")
    fig.canvas.draw()
    texts = ax.texts
    assert [t.get_text() for t in texts[:2]] == ["41\n± 1", "53\n± 7"] and len(texts) == 9
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not first.overlaps(second)
    plt.close(fig)


def test_heatmap_rejects_mismatched_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"^mean and spread must have shape"):
        netplots.annotated_heatmap(np.ones((2, 3)), np.ones((2, 3)), ["a", "b"], ["x", "y"], ax)
    plt.close(fig)
