"""Session-scoped watch-file fixtures (fit_tool is slow: build each file once)."""

from __future__ import annotations

import pytest

from .fixtures import Design, FitDesign, make_fit, make_gpx, make_tcx


@pytest.fixture(scope="session")
def design() -> Design:
    return Design()


@pytest.fixture(scope="session")
def gpx_bytes(design: Design) -> bytes:
    return make_gpx(design)


@pytest.fixture(scope="session")
def tcx_bytes(design: Design) -> bytes:
    return make_tcx(design)


@pytest.fixture(scope="session")
def fit_design() -> FitDesign:
    return FitDesign()


@pytest.fixture(scope="session")
def fit_bytes(fit_design: FitDesign) -> bytes:
    return make_fit(fit_design)


@pytest.fixture(scope="session")
def fit_no_session_bytes(fit_design: FitDesign) -> bytes:
    return make_fit(fit_design, session=False)


@pytest.fixture(scope="session")
def fit_cycling_bytes() -> bytes:
    return make_fit(FitDesign(seconds=120, sport="cycling"))
