"""pytest plugin: each TAP test of a barlua script run on a labgrid target is a pytest result.

    pytest --lg-env ENV.yaml --barlua-script tests/dut.lua [--barlua-script ...] --junitxml=r.xml

The scripts run on the target's BarluaDriver (the environment's target "main", or
--barlua-target) when pytest collects them; each TAP test becomes a test item that passes,
fails (with barlua's diagnostics) or is skipped (with the reason); a measurement is the item's
properties NAME = value and NAME.unit = unit (in pytest's JUnit XML: <property>). A script
that exits non-zero without a failed test (it died) is one more failed item.
"""
import pytest

_RESULTS = {}


def pytest_addoption(parser):
    group = parser.getgroup("barlua")
    group.addoption("--barlua-script", action="append", default=[], dest="barlua_scripts",
                    help="a barlua test script to run on the target (path on the target)")
    group.addoption("--barlua-target", default="main", dest="barlua_target",
                    help="the labgrid target to run them on (default: main)")


class BarluaFailure(Exception):
    pass


class BarluaItem(pytest.Item):
    fixturenames = ()  # labgrid's pytest plugin looks for a "strategy" fixture on every item

    def __init__(self, *, result, **kwargs):
        super().__init__(**kwargs)
        self.result = result
        if result.value is not None:
            self.user_properties.append((result.name, result.value))
            if result.unit:
                self.user_properties.append((result.name + ".unit", result.unit))

    def runtest(self):
        if self.result.skipped is not None:
            pytest.skip(self.result.skipped)
        if not self.result.passed:
            raise BarluaFailure("\n".join(self.result.diag) or "failed")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, BarluaFailure):
            return f"{self.name} failed on the target:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


class BarluaScript(pytest.Collector):
    def __init__(self, *, script, driver, **kwargs):
        super().__init__(**kwargs)
        self.script = script
        self.driver = driver

    def collect(self):
        status, text, results = self.driver.run_script(self.script)
        _RESULTS[self.script] = (status, text)
        for r in results:
            yield BarluaItem.from_parent(self, name=r.name, result=r)
        if status != 0 and all(r.passed for r in results):
            from .tap import TapResult
            died = TapResult(name="exit status", passed=False, diag=[f"exit status {status}", text[-2000:]])
            yield BarluaItem.from_parent(self, name="exit status", result=died)


def pytest_configure(config):
    from . import driver  # noqa: F401  (registers BarluaDriver with labgrid)


def pytest_collection_modifyitems(session, config, items):
    """The scripts' tests join whatever else pytest collected."""
    scripts = config.option.barlua_scripts
    if not scripts:
        return
    from labgrid import Environment

    if not config.option.lg_env:
        raise pytest.UsageError("--barlua-script needs --lg-env ENV.yaml (the labgrid environment)")
    env = Environment(config.option.lg_env)
    config._barlua_env = env
    target = env.get_target(config.option.barlua_target)
    if target is None:
        raise pytest.UsageError(f"{config.option.lg_env} has no target {config.option.barlua_target!r}")
    drv = target.get_driver("BarluaDriver")
    config._barlua_driver = drv
    for script in scripts:
        node = BarluaScript.from_parent(session, name=script, script=script, driver=drv)
        items.extend(node.collect())


def pytest_unconfigure(config):
    drv = getattr(config, "_barlua_driver", None)
    if drv is not None:
        drv.finish()
    env = getattr(config, "_barlua_env", None)
    if env is not None:
        env.cleanup()
