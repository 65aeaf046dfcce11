"""barlua device tests on labgrid targets: BarluaDriver runs them, the pytest plugin reports them."""
from .tap import TapResult, parse_tap

__all__ = ["TapResult", "parse_tap"]
