"""BarluaDriver: runs barlua device test scripts on a labgrid target through its console.

It needs only a ConsoleProtocol (a serial port, an ExternalConsoleDriver, ...) with a POSIX
shell as root on the other end: it waits for the shell, turns echo off, runs each script as
`BARLUA_TEST_FORMAT=tap barlua SCRIPT` and reads the TAP that comes back up to a marker line
carrying the exit status, then parses it (barlua_labgrid.tap).
"""
import re
import shlex
import uuid
from typing import ClassVar

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import ConsoleProtocol
from labgrid.step import step

from .tap import parse_tap


@target_factory.reg_driver
@attr.s(eq=False)
class BarluaDriver(Driver):
    """Runs barlua test scripts in the target's shell.

    Args:
        ready: a regular expression the console prints once the shell is ready
        workdir: the folder on the target the scripts' paths are relative to
        barlua: the barlua command on the target
        boot_timeout: seconds to wait for `ready`
        exit_command: sent when the tests are done (ends the test bed guest's shell, which powers
            it off; "" sends nothing)
    """

    bindings: ClassVar[dict] = {"console": ConsoleProtocol}
    ready = attr.ib(default=r"[#$] ", validator=attr.validators.instance_of(str))
    workdir = attr.ib(default="", validator=attr.validators.instance_of(str))
    barlua = attr.ib(default="barlua", validator=attr.validators.instance_of(str))
    boot_timeout = attr.ib(default=300.0, validator=attr.validators.instance_of(float))
    exit_command = attr.ib(default="exit", validator=attr.validators.instance_of(str))

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self._shell_ready = False

    def _ensure_shell(self):
        if self._shell_ready:
            return
        self.console.expect(self.ready, timeout=self.boot_timeout)
        marker = "barlua-ready-" + uuid.uuid4().hex[:8]
        # No echo: what comes back is only what the commands print.
        self.console.sendline(f"stty -echo; export PS1=''; echo {marker[:7]}''{marker[7:]}")
        self.console.expect(re.escape(marker) + r"\r?\n", timeout=60)
        self._shell_ready = True

    @Driver.check_active
    @step(args=["script"])
    def run_script(self, script, env=None, timeout=600.0):
        """Runs one script; returns (exit status, TAP text, results)."""
        self._ensure_shell()
        marker = "barlua-done-" + uuid.uuid4().hex[:8]
        assigns = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in (env or {}).items())
        cd = f"cd {shlex.quote(self.workdir)} && " if self.workdir else ""
        # The marker is split in the command so that only its output matches.
        cmd = (f"{cd}BARLUA_TEST_FORMAT=tap {assigns} {shlex.quote(self.barlua)} {shlex.quote(script)}"
               f" 2>&1; echo {marker[:7]}''{marker[7:]} $?")
        self.console.sendline(cmd)
        _, before, match, _ = self.console.expect(re.escape(marker) + rb" (\d+)".decode() + r"\r?\n",
                                                  timeout=timeout)
        status = int(match.group(1))
        text = before.decode("utf-8", "replace").replace("\r\n", "\n")
        return status, text, parse_tap(text)

    def finish(self):
        """Ends the shell the tests ran in (exit_command), if one was started."""
        if self._shell_ready and self.exit_command:
            self.console.sendline(self.exit_command)
            self._shell_ready = False
