"""Cold Rscript versus our runner, same plugin and data, measured in the same run.

    .venv/bin/python -m bench.bench_runner [--plugin basic/boxplot] [--runs 10]

Prints p50/p95 of: a cold `Rscript` run of the plugin (a fresh interpreter attaching the
preload set, as Hiplot does), our runner with a fresh Rscript per job (subprocess
executor), and our runner forking each job from a warm R (warm executor); then the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.stats import measure
from plugin_sdk.catalogue import Catalogue
from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.runtime.executors import SubprocessExecutor
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.runtime.warm import WarmExecutor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", default="basic/boxplot")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    plugin = Catalogue.load([BUNDLED_PLUGINS]).get(args.plugin)
    if plugin is None or plugin.language != "r":
        raise SystemExit(f"{args.plugin}: not a bundled R plugin")
    request = {"use_example": True}
    work = Path(tempfile.mkdtemp(prefix="plotforge-bench-"))

    def run_with(executor):
        def action(i: int) -> None:
            result = run_plugin(plugin, request, work / f"{id(executor)}-{i}", executor=executor)
            if not result.ok:
                raise SystemExit(f"run failed: {result.message}")
        return action

    print(f"plugin {plugin.key}, example data, outputs {plugin.config['general'].get('imageExportType')}")
    cold = measure("cold Rscript per job (subprocess executor)", run_with(SubprocessExecutor()), args.runs)
    warm_executor = WarmExecutor(python=False)
    warm = measure("warm R, forked child per job", run_with(warm_executor), args.runs)
    print(f"\n  speed-up of warm over cold Rscript: p50 x{cold['p50'] / warm['p50']:.1f}, "
          f"p95 x{cold['p95'] / warm['p95']:.1f}")


if __name__ == "__main__":
    main()
