"""Typer options made from `Settings` fields, and the flags a command was given turned into `Settings`.

An option's help is its field's description (analyze.settings), followed by the field's default and the
environment variables that also set it, so the help cannot drift from the setting. A command names its
parameters after the fields; `settings_from` takes every one the user passed, whatever the command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import annotated_types
import typer

from analyze.settings import Settings, SettingsError, env_names, load_settings


def _help(field: str, also: str | None, required: bool) -> str:
    info = Settings.model_fields[field]
    text = info.description or field.replace("_", " ")
    if also:
        text += f" ({also})"
    bounds = [_BOUNDS[type(m)](m) for m in info.metadata if type(m) in _BOUNDS]
    env = [] if required else ["env " + " or ".join(env_names(field))]  # a required flag: no variable sets it
    return "; ".join([text, *bounds, *env])


_BOUNDS: dict[type, Callable[[Any], str]] = {
    annotated_types.Ge: lambda m: f">= {m.ge}",
    annotated_types.Gt: lambda m: f"> {m.gt}",
    annotated_types.Le: lambda m: f"<= {m.le}",
}


def _shown_default(field: str) -> str | bool:
    info = Settings.model_fields[field]
    if info.default_factory is not None or info.default is None or isinstance(info.default, bool):
        return False  # a list, nothing, or a flag: the help says what not passing it means
    return str(info.default)


def option(field: str, *flags: str, also: str | None = None, required: bool = False, **extra: Any) -> Any:
    """A typer Option for the Settings field `field` (the command's parameter must be named `field`).
    `required`: the command's parameter has no default, so neither the field's default nor its
    variables apply."""
    shown = False if required else _shown_default(field)
    return typer.Option(*flags, help=_help(field, also, required), show_default=shown, **extra)


def argument(field: str) -> Any:
    """A typer Argument for the Settings field `field`."""
    return typer.Argument(help=Settings.model_fields[field].description, show_default=False)


def settings_from(ctx: typer.Context) -> Settings:
    """The environment's settings with every flag the user actually passed over them. A refused value is
    a usage error (exit 2) naming the flag or the environment variable."""
    given = {
        name: value
        for name, value in ctx.params.items()
        if name in Settings.model_fields and _passed(ctx, name)
    }
    try:
        return load_settings(given, name_of=lambda field: _flag_of(ctx, field))
    except SettingsError as exc:
        if len(exc.problems) == 1:  # quoted as click quotes the option in its own errors
            problem = exc.problems[0]
            raise typer.BadParameter(problem.message, ctx, param_hint=f"'{problem.source}'") from exc
        raise typer.BadParameter(str(exc), ctx) from exc


def _passed(ctx: typer.Context, name: str) -> bool:
    # By name: typer carries its own copy of click, so click's ParameterSource is another enum.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _flag_of(ctx: typer.Context, name: str) -> str:
    for param in ctx.command.params:
        if param.name == name:
            if param.param_type_name == "option":
                return max(param.opts, key=len)  # the long form: --output-dir, not -o
            return param.human_readable_name
    return name
