"""The common suite: every registered model, at its defaults and its main settings, passes every
named check of pathcredit.testing (a failing test id names the model, setting and property)."""

from pathcredit import available_models
from pathcredit.testing import parametrize_with_checks, tiny_journeys


@parametrize_with_checks()
def test_every_model_passes_the_named_checks(model, params, check):
    check(model, tiny_journeys(), params)


def test_the_registry_holds_every_rule_model_of_the_foundation():
    expected = {
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "linear_unique",
        "position_based",
        "j_shaped",
        "inverse_j",
        "custom",
        "time_decay",
        "time_decay_position",
        "participation",
    }
    assert expected <= set(available_models())
