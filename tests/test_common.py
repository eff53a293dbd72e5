"""The common suite: every registered model passes check_attribution_model."""

import pytest

from pathcredit import available_models
from pathcredit.testing import check_attribution_model


@pytest.mark.parametrize("model", available_models())
def test_every_model_passes_the_common_checks(model):
    check_attribution_model(model)


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
