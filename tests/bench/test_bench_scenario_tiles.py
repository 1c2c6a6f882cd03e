"""bench_scenario's density-tiles deployment: copies of the 50/500 density
world that do not hear each other, nor meet in the medium kernel's on-air
index, so a frame reaches as many radios at every size and costs as much."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_scenario as bench  # noqa: E402

from drivers.hwsim.kernel import model  # noqa: E402
from drivers.hwsim.world import ModelSpec  # noqa: E402


def test_tiles_are_the_small_world_and_out_of_earshot_of_each_other():
    aps, stas = 200, 2000
    ap_pos, sta_pos = bench._tiled_positions(aps, stas, seed=1)
    tile_ap, tile_sta = bench._density_positions(*bench.TILE, seed=1)
    sc = bench.scenario(aps, stas, 1.0, 1, deployment="density-tiles")
    chan = [v["channel"] for v in sc["vaps"][:aps]]
    ta = bench.TILE[0]
    tiles = aps // ta
    pos = np.array(ap_pos + sta_pos)
    tile_of = np.array([i // ta for i in range(aps)] + [j % aps // ta for j in range(stas)])
    for t in range(tiles):
        mine = pos[tile_of == t]
        shift = mine.min(axis=0) - np.array(tile_ap + tile_sta).min(axis=0)
        # the same world, moved: positions, and its APs' channels
        small = np.round(tile_ap + tile_sta, 2)
        assert sorted(map(tuple, np.round(mine - shift, 2))) == sorted(map(tuple, small))
        assert chan[t * ta:(t + 1) * ta] == chan[:ta]
    # each station is in its own AP's tile, next to it as in the small world
    for j in range(stas):
        a = j % aps
        assert tile_of[aps + j] == a // ta
        assert math.dist(sta_pos[j], ap_pos[a]) == pytest.approx(
            math.dist(tile_sta[(j // aps) * ta + a % ta], tile_ap[a % ta]), abs=0.02)
    # no link crosses tiles: they are further apart than the farthest link
    reach = model.hearing_range("log_distance", 20.0, -10.0, exponent=3.5)
    for t in range(tiles):
        d = np.sqrt(((pos[tile_of == t][:, None, :] - pos[tile_of != t][None, :, :]) ** 2).sum(axis=2))
        assert d.min() > reach
    # nor does the kernel ever compare a tile's transmissions with another's:
    # their senders' cells have more than the cells' reach between them
    # (_medium.c med_set_cell_reach), in x or in y
    cells = ModelSpec(params={"exponent": 3.5}).cells(pos, np.full(len(pos), 20.0))
    assert cells is not None
    grid, cell_reach, _ = cells
    for t in range(tiles):
        diff = np.abs(grid[tile_of == t][:, None, :] - grid[tile_of != t][None, :, :])
        gap = np.maximum(diff - 1, 0)
        assert ((gap ** 2).sum(axis=2) > cell_reach ** 2).all()


def test_tile_sizes_are_whole_tiles():
    with pytest.raises(SystemExit):
        bench._tiled_positions(60, 600, seed=1)
