"""What a plot.py imports: the run's context, and the helpers that turn one figure into every output.

A Python plugin keeps the contract of a Hiplot plot.R and reads as naturally:

    import matplotlib.pyplot as plt
    from plugin_sdk.api import PlotContext

    def main(ctx: PlotContext) -> None:
        df = ctx.data                              # the first table, typed as R's fread types it
        x, y = ctx.column(0), ctx.column(1)        # the columns chosen for roles 0 and 1
        fig, ax = plt.subplots(figsize=ctx.figsize)
        ax.scatter(df[x], df[y], color=ctx.palette(1)[0])
        ctx.style(ax)                              # the general panel: title, sizes, legend, ...
        ctx.export_single(fig)                     # every kind in general.imageExportType
        ctx.export_tables({"summary": df.describe()})

The helpers PlotContext uses work alone too: `export_figure`, `write_tables_xlsx`,
`palette_colors`, `apply_general_style`, `normalize_config` (implemented in plugin_sdk.plotting).
Nothing here evaluates a string.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from plugin_sdk.atomic import atomic_output
from plugin_sdk.plotting.config import normalize_config, number_setting, text_setting
from plugin_sdk.plotting.export import DEFAULT_FIGSIZE, EXPORT_DPI, export_figure, export_kinds
from plugin_sdk.plotting.palettes import (
    UnknownPaletteError,
    hue_colors,
    palette_colors,
    palette_names,
    parse_colors,
)
from plugin_sdk.plotting.style import apply_general_style, font_families, matplotlib_rc
from plugin_sdk.plotting.workbook import write_tables_xlsx

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "MissingInputError",
    "PlotContext",
    "UnknownPaletteError",
    "apply_general_style",
    "atomic_output",
    "export_figure",
    "export_kinds",
    "font_families",
    "hue_colors",
    "matplotlib_rc",
    "normalize_config",
    "palette_colors",
    "palette_names",
    "parse_colors",
    "write_tables_xlsx",
]

# A form's size slider is bounded, but a request can say anything: a 1000-inch PNG at 300 dpi
# would need gigabytes, so the size is clamped here as well.
FIGSIZE_LIMITS = (1.0, 50.0)


class MissingInputError(KeyError):
    """A table, column role or column the plot asked for that this run does not have."""

    def __str__(self) -> str:  # KeyError would quote the message in result.json
        return str(self.args[0]) if self.args else ""


class PlotContext:
    """Everything one run of a plot.py needs: its tables, its settings, and where outputs go.

    `tables` are pandas DataFrames in textarea order, typed as R's fread would type them;
    `conf` is the config after Hiplot's fixes (see `normalize_config`).
    """

    def __init__(
        self,
        *,
        tables: Sequence[pd.DataFrame | None],
        table_names: Sequence[str],
        config: Mapping[str, Any],
        output_prefix: Path | str,
        plugin_dir: Path | str,
        upload_dir: Path | str | None = None,
        on_export: Callable[[], None] | None = None,
    ) -> None:
        if len(tables) != len(table_names):
            raise ValueError("tables and table_names differ in length")
        self.tables: list[pd.DataFrame | None] = list(tables)  # None: an optional table left out
        self.table_names: list[str] = list(table_names)
        self.conf: dict[str, Any] = normalize_config(config)
        self.output_prefix = Path(output_prefix)
        self.plugin_dir = Path(plugin_dir)
        self.upload_dir = Path(upload_dir) if upload_dir else None
        self._on_export = on_export

    # -- inputs ---------------------------------------------------------------------------

    @property
    def data(self) -> pd.DataFrame | None:
        """The first table (R's `data`); None when it is optional and was left out."""
        if not self.tables:
            raise LookupError("this plugin was run without an input table")
        return self.tables[0]

    def table(self, name: str) -> pd.DataFrame | None:
        """The table named `name` in data.json's textarea; None when optional and left out."""
        try:
            return self.tables[self.table_names.index(name)]
        except ValueError:
            raise MissingInputError(f"no input table {name!r}; the tables are {self.table_names}") from None

    @property
    def general(self) -> dict[str, Any]:
        return self.conf["general"]

    @property
    def extra(self) -> dict[str, Any]:
        return self.conf["extra"]

    def column(self, role: int, table: str | None = None) -> str:
        """The column the user chose for column role `role` (from 0) of `table` (default: the
        first table): R's `conf$dataArg[[1]][[role + 1]]$value`. "" when the role was left empty."""
        value = self._role(role, table)
        if isinstance(value, list):
            if len(value) == 1:
                return value[0]
            raise ValueError(f"column role {role} holds {len(value)} columns; use ctx.columns({role})")
        return value

    def columns(self, role: int, table: str | None = None) -> list[str]:
        """The columns chosen for a role that allows several (always a list, maybe empty)."""
        value = self._role(role, table)
        if isinstance(value, list):
            return list(value)
        return [value] if value else []

    def _role(self, role: int, table: str | None) -> str | list[str]:
        name = table if table is not None else self._default_table_name()
        roles = self.conf["dataArg"].get(name)
        if not isinstance(roles, list):
            raise MissingInputError(f"data.json has no column roles for table {name!r}")
        if not 0 <= role < len(roles):
            raise IndexError(f"table {name!r} has {len(roles)} column roles; role {role} does not exist")
        value = roles[role]
        self._check_columns_exist(name, value)
        return value

    def _default_table_name(self) -> str:
        arg_names = list(self.conf["dataArg"])
        if self.table_names and self.table_names[0] in self.conf["dataArg"]:
            return self.table_names[0]
        if arg_names:
            return arg_names[0]
        raise MissingInputError("data.json declares no column roles (params.config.dataArg is empty)")

    def _check_columns_exist(self, table_name: str, value: str | list[str]) -> None:
        if table_name not in self.table_names:
            return
        frame = self.table(table_name)
        for column in value if isinstance(value, list) else [value]:
            if column and column not in frame.columns:
                raise MissingInputError(
                    f"table {table_name!r} has no column {column!r} (its columns: {', '.join(map(str, frame.columns))})"
                )

    # -- settings -------------------------------------------------------------------------

    @property
    def figsize(self) -> tuple[float, float]:
        """(width, height) in inches from general.size, (6, 5) when not given."""
        size = self.general.get("size")
        size = size if isinstance(size, dict) else {}
        low, high = FIGSIZE_LIMITS
        out = []
        for key, default in zip(("width", "height"), DEFAULT_FIGSIZE, strict=True):
            number = number_setting(size.get(key))
            out.append(default if number is None or number <= 0 else min(high, max(low, number)))
        return out[0], out[1]

    @property
    def kinds(self) -> list[str]:
        """The output kinds the user asked for (general.imageExportType)."""
        return export_kinds(self.general.get("imageExportType"))

    def palette(self, n: int, name: str | None = None) -> list[str]:
        """`n` colours from general.palette (or `name`), general.paletteCustom for "custom".

        Never fails: an unknown name gives ggplot2's default colours and a line in the log.
        """
        chosen = name if name is not None else text_setting(self.general.get("palette"))
        try:
            return palette_colors(chosen, n, self.general.get("paletteCustom"))
        except UnknownPaletteError:
            self.log(f"unknown palette {chosen!r}; using the default colours")
            return hue_colors(n)

    def log(self, message: str) -> None:
        """Add a line to the job's log (the runner points stderr at it; the user sees it)."""
        print(str(message).rstrip("\n"), file=sys.stderr, flush=True)

    # -- outputs --------------------------------------------------------------------------

    def style(self, ax: Axes | Iterable[Axes]) -> None:
        """Apply the general panel (theme, title, sizes, legend, x text angle) to the axes."""
        apply_general_style(ax, self.general, self.log)

    def export_single(self, fig: Any) -> list[Path]:
        """Write every kind in general.imageExportType from one figure (R's export_single)."""
        self._exporting()
        kinds = self.kinds or ["pdf", "png"]
        return export_figure(fig, kinds, self.output_prefix, self.figsize, EXPORT_DPI, self.log)

    def export_tables(self, tables: Mapping[str, Any] | pd.DataFrame) -> Path:
        """Write the tables into `<prefix>.xlsx`, one sheet each."""
        self._exporting()
        return write_tables_xlsx(tables, self.output_prefix.with_name(f"{self.output_prefix.name}.xlsx"))

    def _exporting(self) -> None:
        if self._on_export is not None:
            self._on_export()
