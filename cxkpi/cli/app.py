"""The ``cxkpi`` Typer app and the console entry point that owns error handling.

A Typer callback runs before the subcommand and cannot catch its errors, so
``main`` wraps the whole app: a ``CxkpiError`` becomes one line on stderr and
its exit code; anything unexpected becomes one line too (``--debug`` or
``CXKPI_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import os
import sys

import typer

from ..render.safe import one_line
from ..errors import EXIT_DATA, EXIT_USAGE, CxkpiError

def _typer() -> typer.Typer:
    return typer.Typer(
        name="cxkpi",
        help="Customer-experience KPIs from the exports you already have.\n\n"
             "Example:  cxkpi nps sample_data/surveys.csv --by channel --period month",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


app = _typer()

_state = {"debug": bool(os.environ.get("CXKPI_DEBUG")), "alone": {}}


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"cxkpi {__version__}")
        raise typer.Exit()


def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    if debug:
        _state["debug"] = True


app.callback()(_root)


def _build() -> typer.Typer:
    """Register the commands once (main() may run many times in one process, e.g. tests).

    The KPI commands come from the catalog, so this imports no KPI.
    """
    if not _state.get("built"):
        from . import catalog, commands, kpi_commands

        kpi_commands.register(app, catalog.load())
        commands.register(app)
        _state["built"] = True
    return app


def command():
    """The Click command tree that ``main`` runs, built once, with metavars set in one pass."""
    if _state.get("command") is None:
        from typer.main import get_command

        from . import metavars

        tree = get_command(_build())
        metavars.apply(tree)
        _state["command"] = tree
    return _state["command"]


def _alone(args: list[str]):
    """The Click tree of the one command ``args`` run (``cxkpi nps …``), built without the other 31: a
    command's start no longer builds every command's options (~0.1 s). None when the arguments are not
    one known command (the root's help, an unknown name, shell completion): the whole tree."""
    if not args or args[0].startswith("-") or any(k.endswith("_COMPLETE") for k in os.environ):
        return None
    from . import catalog, commands

    name = args[0]
    if name not in _state["alone"]:
        entries = [e for e in catalog.load() if e.name == name]
        if not entries and name not in commands.NAMES:
            return None
        from typer.main import get_command

        from . import kpi_commands, metavars

        one = _typer()
        one.callback()(_root)
        if entries:
            kpi_commands.register(one, entries)
        else:
            commands.register(one, only=name)
        tree = get_command(one)
        metavars.apply(tree)
        _state["alone"][name] = tree
    return _state["alone"][name]


def _click_exceptions():
    """Exit, Abort and ClickException wherever this Typer keeps them (click, or its vendored copy)."""
    import importlib

    found: dict[str, list[type]] = {"Exit": [], "Abort": [], "ClickException": []}
    for name in ("typer.exceptions", "typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, bucket in found.items():
            cls = getattr(module, attr, None)
            if isinstance(cls, type) and cls not in bucket:
                bucket.append(cls)
    return tuple(found["Exit"]), tuple(found["Abort"]), tuple(found["ClickException"])


def _bare_flags(args: list[str]) -> list[str]:
    """A bare ``--business-hours`` (no schedule after it: the end, another option, or the input file)
    means the export's own business-time columns."""
    from pathlib import Path

    out = list(args)
    for i, a in enumerate(out):
        if a == "--business-hours" and (i + 1 == len(out) or out[i + 1].startswith("-")
                                        or Path(out[i + 1]).is_file()):
            out.insert(i + 1, "export")
    return out


def _click_message(e) -> str:
    """Click's usage errors in the product's one error format, with the way to the command's help."""
    message = e.format_message()
    ctx = getattr(e, "ctx", None)
    if ctx is not None and getattr(ctx, "command_path", None):
        message += f" (see `{ctx.command_path} --help`)"
    return message


def main(argv: list[str] | None = None) -> None:
    exit_types, abort_types, click_types = _click_exceptions()
    args = _bare_flags(sys.argv[1:] if argv is None else argv)
    options = args[:args.index("--")] if "--" in args else args
    if "--debug" in options:  # a global flag, taken anywhere: "run with --debug" is said after a command's error
        at = options.index("--debug")
        args = ["--debug", *args[:at], *args[at + 1:]]
    _state["debug"] = bool(os.environ.get("CXKPI_DEBUG")) or "--debug" in options
    from ..outputs import forget_inputs

    forget_inputs()  # one run's inputs (in-process callers run several)
    if args[:1] in (["--version"], ["-V"]):  # said before any command is built
        from .. import __version__

        print(f"cxkpi {__version__}")
        sys.exit(0)
    try:
        code = (_alone(args) or command()).main(args=args, prog_name="cxkpi", standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except exit_types as e:
        code = e.exit_code
    except abort_types:
        print("cxkpi: aborted", file=sys.stderr)
        code = 130
    except click_types as e:
        print(f"cxkpi: error: {one_line(_click_message(e))}", file=sys.stderr)
        code = e.exit_code if e.exit_code is not None else EXIT_USAGE
    except CxkpiError as e:
        if _state["debug"]:
            raise
        print(f"cxkpi: error: {one_line(e)}", file=sys.stderr)  # one line, whatever a file name holds
        code = e.exit_code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_DATA
    except KeyboardInterrupt:
        print("cxkpi: interrupted", file=sys.stderr)
        code = 130
    except MemoryError:
        print("cxkpi: error: out of memory; read fewer columns or split the file", file=sys.stderr)
        code = EXIT_DATA
    except Exception as e:  # noqa: BLE001 - the promise is: never a traceback
        if _state["debug"]:
            raise
        print(f"cxkpi: internal error: {type(e).__name__}: {one_line(e)} (run with --debug for details)", file=sys.stderr)
        code = EXIT_DATA
    if "cxkpi.io.distributed" in sys.modules:  # --engine dask: the run's client (and its local cluster) go
        sys.modules["cxkpi.io.distributed"].close()
    sys.exit(code)
