"""wmediumd configuration files: snr, prob and path_loss models."""

import pytest

from drivers.hwsim.external.wmconfig import ConfigError, parse_config
from drivers.hwsim.kernel import model
from drivers.hwsim.medium import HwsimMedium
from ic.sched import Scheduler

IDS = 'ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"];'


def load(tmp_path, text):
    p = tmp_path / "w.cfg"
    p.write_text(text)
    return HwsimMedium.from_wmediumd_config(str(p), Scheduler(), seed=1)


def test_snr_model(tmp_path):
    m = load(tmp_path, f'ifaces: {{ {IDS} }}; model: {{ type = "snr"; default_snr = 12;'
                       ' links = ((0, 1, 25), (1, 2, 7.5)); };')
    a, b, c = m.ports
    assert m.link_snr(a, b) == 25 and m.link_snr(b, a) == 25
    assert m.link_snr(c, b) == 7.5 and m.link_snr(a, c) == 12
    assert m.port_by_hwaddr("02:00:00:00:01:00") is b


def test_prob_model(tmp_path):
    m = load(tmp_path, f'ifaces: {{ {IDS} }}; model: {{ type = "prob"; default_prob = 1.0;'
                       ' links = ((0, 1, 0.25)); };')
    a, b, c = m.ports
    assert m.link_snr(a, b) == 30.0  # a usable link gets wmediumd's default SNR
    assert m.link_snr(a, c) == model.SNR_NONE  # probability 1: no link at all


def test_path_loss_model_with_positions_powers_and_directions(tmp_path):
    m = load(tmp_path, f'ifaces: {{ {IDS} enable_interference = false; }};\n'
                       'model: { type = "path_loss"; model_name = "log_distance"; path_loss_exp = 3.0;'
                       ' xg = 0.0; positions = ((0.0, 0.0), (10.0, 0.0), (0.0, 100.0));'
                       ' directions = ((0.0, 0.0), (0.0, 0.0), (0.0, -90.0)); tx_powers = (20.0, 10.0, 15.0);'
                       ' fading_coefficient = 2; };')
    a, b, c = m.ports
    assert m.model.fading == 2 and not m.model.interference
    assert m.link_snr(a, b) == pytest.approx(20 - (40.0953 + 30) + 91, abs=1e-3)
    assert m.link_snr(b, a) == pytest.approx(10 - (40.0953 + 30) + 91, abs=1e-3)
    m.sched.run_for(3_000_000_001)  # wmediumd moves stations every 3 s
    assert m.link_snr(c, a) == pytest.approx(15 - (40.0953 + 30) + 91, abs=1e-3)


def test_itu_and_free_space_names(tmp_path):
    for name, pl in (("itu", 67.6479 + 28 * 1 + 1 - 28), ("free_space", 60.0953)):
        m = load(tmp_path, f'ifaces: {{ {IDS} }}; model: {{ type = "path_loss"; model_name = "{name}";'
                           ' positions = ((0.0, 0.0), (10.0, 0.0), (5.0, 5.0)); };')
        assert m.link_snr(m.ports[0], m.ports[1]) == pytest.approx(30 - pl + 91, abs=1e-3)


def test_old_format_links_are_snrs():
    ids, spec, *_ = parse_config(f'ifaces: {{ {IDS} links = ((0, 2, 18)); }};')
    assert spec.kind == "snr" and spec.links == {(0, 2): 18.0} and spec.default_snr == 30.0


@pytest.mark.parametrize("text, why", [
    ("ifaces: { ids = [", "not a libconfig file"),
    ("model: { type = \"snr\"; };", "no ifaces.ids"),
    (f'ifaces: {{ {IDS} }}; model: {{ type = "radar"; }};', "must be snr, prob or path_loss"),
    (f'ifaces: {{ {IDS} }}; model: {{ type = "snr"; links = ((0, 7, 3)); }};', "names no pair"),
    (f'ifaces: {{ {IDS} }}; model: {{ type = "prob"; links = ((0, 1, 1.5)); }};', "within"),
    (f'ifaces: {{ {IDS} }}; model: {{ type = "path_loss"; positions = ((0.0, 0.0)); }};', "positions has 1"),
    (f'ifaces: {{ {IDS} }}; model: {{ type = "path_loss"; model_name = "x";'
     ' positions = ((0.0, 0.0), (1.0, 1.0), (2.0, 2.0)); };', "model_name"),
])
def test_bad_configs_say_why(text, why):
    with pytest.raises(ConfigError, match=why):
        parse_config(text)
