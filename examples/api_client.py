"""A scripted PlotForge client: upload a table, run a plot, follow it, download the files.

    .venv/bin/python examples/api_client.py --server http://127.0.0.1:8000 \
        --plugin basic/volcano --table datTable=examples/tables/volcano.tsv \
        --param extra.p_cutoff=0.01 --param general.title="Tumour vs normal" --out figures/

Columns for the plugin's column roles come from --column TABLE:ROLE=NAME (roles count from 1);
without them the plugin's example choices are used when --example is given.
Only the HTTP API of server/API.md is used, so this is also a template for pipelines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx


def parse_value(text: str) -> Any:
    """'0.01' -> 0.01, 'true' -> True, '["pdf","png"]' -> list; anything else stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def build_request(args: argparse.Namespace, client: httpx.Client) -> dict[str, Any]:
    params: dict[str, dict[str, Any]] = {}
    for item in args.param:
        dotted, _, value = item.partition("=")
        section, _, key = dotted.partition(".")
        if not key:
            raise SystemExit(f"--param {item!r}: write SECTION.KEY=VALUE, e.g. extra.p_cutoff=0.01")
        params.setdefault(section, {})[key] = parse_value(value)
    tables: dict[str, Any] = {}
    for item in args.table:
        name, _, file = item.partition("=")
        with open(file, "rb") as handle:
            answer = client.post("/api/uploads", files={"file": (Path(file).name, handle)})
        check(answer)
        upload = answer.json()
        print(f"uploaded {file}: {upload['table']['n_rows']} rows, columns {', '.join(upload['table']['columns'])}")
        tables[name] = {"upload": upload["id"]}
    roles: dict[str, dict[int, str]] = {}
    for item in args.column:
        target, _, column = item.partition("=")
        table, _, role = target.partition(":")
        roles.setdefault(table, {})[int(role)] = column
    if roles:
        params["dataArg"] = {
            table: [{"value": chosen.get(i, "")} for i in range(1, max(chosen) + 1)] for table, chosen in roles.items()
        }
    return {"params": params, "tables": tables, "use_example": bool(args.example)}


def check(answer: httpx.Response) -> None:
    if answer.status_code >= 400:
        error = answer.json().get("error", {})
        print(f"error {answer.status_code}: {error.get('message')}", file=sys.stderr)
        for field in error.get("field_errors", []):
            print(f"  {field.get('field')}: {field.get('message')}", file=sys.stderr)
        raise SystemExit(1)


def follow(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """Print the job's state, steps and log lines as they happen (server-sent events)."""
    with client.stream("GET", f"/api/jobs/{job_id}/events", timeout=None) as events:
        event = "message"
        for line in events.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line.split(":", 1)[1])
                if event == "log":
                    print(f"  | {data['line']}")
                elif event in ("state", "step"):
                    print(f"  {event}: {data.get('state') or data.get('label') or data}")
                elif event == "done":
                    return data
    return client.get(f"/api/jobs/{job_id}").json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--plugin", required=True, help="module/tool, e.g. basic/volcano")
    parser.add_argument("--table", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--column", action="append", default=[], metavar="TABLE:ROLE=COLUMN")
    parser.add_argument("--param", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--example", action="store_true", help="start from the plugin's example")
    parser.add_argument("--out", type=Path, default=Path("figures"))
    args = parser.parse_args()

    with httpx.Client(base_url=args.server, timeout=60) as client:
        request = build_request(args, client)
        answer = client.post("/api/jobs", json={"plugin": args.plugin, "request": request})
        check(answer)
        job = answer.json()
        print(f"job {job['id']}: {job['state']}")
        job = follow(client, job["id"])
        if job["state"] != "succeeded":
            print(f"{job['state']}: {job.get('message')}", file=sys.stderr)
            raise SystemExit(1)
        args.out.mkdir(parents=True, exist_ok=True)
        for output in job["outputs"]:
            target = args.out / output["name"]
            target.write_bytes(client.get(output["url"]).content)
            print(f"saved {target} ({output['size']:,} bytes)")
        if job.get("bundle_url"):
            (args.out / "reproduce.zip").write_bytes(client.get(job["bundle_url"]).content)
            print(f"saved {args.out / 'reproduce.zip'} (re-run it with: sh reproduce.sh)")


if __name__ == "__main__":
    main()
