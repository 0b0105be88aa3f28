"""The `cmrbench` command line: thin typer commands over the library; heavy imports inside commands."""
from __future__ import annotations

import typer
from typer.core import TyperGroup

from ..errors import CmrbenchError


class _Group(TyperGroup):
    """Turns CmrbenchError into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CmrbenchError as exc:
            from rich.text import Text

            from ..console import err_console

            err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="cmrbench: does a cardiac MR segmentation network trained here still work elsewhere?")


def _register_commands() -> None:
    from . import clean, data, listing, predict, results, run, synth  # noqa: F401  (each adds its commands to `app`)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()
