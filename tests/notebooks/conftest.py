"""The kernel every notebook test runs in."""

from __future__ import annotations

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel


@pytest.fixture(scope="session")
def python3_kernel() -> str:
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail(
            "no python3 kernel: run `make setup` or "
            "`python -m ipykernel install --sys-prefix --name python3`",
            pytrace=False,
        )
    return "python3"
