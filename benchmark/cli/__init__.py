"""The `cmrbench` command line: thin typer commands over the library; heavy imports inside commands."""
from __future__ import annotations

import typer
from typer.core import TyperGroup

from ..errors import CmrbenchError
from .failures import report_bug, user_error_message

# exit statuses: 0 done, 1 done but some jobs or cases failed, 2 bad input (one line), 3 a bug in cmrbench
USER_ERROR, BUG = 2, 3


class _Group(TyperGroup):
    """Turns any error caused by input (files, YAML, CSV, disk) into one line and exit 2; bugs into a report."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _say("interrupted: what finished is kept; run the same command again to go on")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _is_clicks(exc):  # usage errors, --help and typer.Exit: click reports them itself
                raise
            message = str(exc) if isinstance(exc, CmrbenchError) else user_error_message(exc)
            if message is None:
                report_bug(exc)
                raise typer.Exit(BUG) from None
            _say(message)
            raise typer.Exit(USER_ERROR) from None


def _is_clicks(exc: Exception) -> bool:
    """Whether click (or typer's vendored copy of it) raised this for its own handling."""
    return any(c.__module__.split(".")[0] in ("click", "typer") for c in type(exc).__mro__[:-2])


def _say(message: str) -> None:
    from rich.text import Text

    from ..console import err_console

    err_console.print(Text.assemble(("error: ", "bold red"), " ".join(message.split())), soft_wrap=True)


app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="cmrbench: does a cardiac MR segmentation network trained here still work elsewhere?")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"cmrbench {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="print cmrbench's version and exit"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="nothing on standard output (no progress, no tables); "
                               "errors still go to standard error and results to OUT"),
) -> None:
    """cmrbench: does a cardiac MR segmentation network trained here still work elsewhere?"""
    from ..console import console

    console.quiet = quiet


def _register_commands() -> None:
    from . import clean, data, export, jobs, listing, predict, results, run, shift, synth  # noqa: F401  (each adds its commands to `app`)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()
