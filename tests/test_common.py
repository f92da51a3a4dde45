"""scikit-learn's common estimator checks for every ShopperLens estimator."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from shopperlens.segmentation import RFMGrid, SegmentModel, SegmentScaler

# Small settings keep the checks fast; the behaviour under test does not depend on them.
GENERIC = [
    SegmentModel(k_range=(2, 3), algorithms=("kmeans", "agglomerative"), n_resamples=1),
    SegmentScaler(),
]


@parametrize_with_checks(GENERIC)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


_THREE_COLUMNS = (
    "the check fits on random arrays with 2 or 4 columns; RFMGrid reads exactly the "
    "three columns recency_days, frequency and monetary (tested in tests/segmentation)"
)


def rfm_expected_failures(estimator: object) -> dict[str, str]:
    """RFMGrid reads exactly three named columns, so checks on arbitrary data fail."""
    return {
        name: _THREE_COLUMNS
        for name in (
            "check_estimators_overwrite_params",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
        )
    }


# RFMGrid only makes sense on the recency/frequency/monetary columns: API checks only.
@parametrize_with_checks(
    [RFMGrid()], legacy=False, expected_failed_checks=rfm_expected_failures
)
def test_rfm_grid_api(estimator, check):
    check(estimator)
