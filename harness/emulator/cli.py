"""`harness emulator`: serve the Messages-API emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path
from typing import Any

from harness.emulator.cassettes import CassetteStore
from harness.emulator.faults import FaultPlan
from harness.emulator.server import Emulator
from harness.errors import UserError


def _serve(args: argparse.Namespace) -> int:
    key: str | None = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise UserError(f"--api-key-env {args.api_key_env}: that environment variable is not set")
    store = CassetteStore()
    loaded = store.load_dir(args.cassettes) if args.cassettes else 0
    plan = FaultPlan.load(args.faults) if args.faults else FaultPlan()
    emulator = Emulator(cassettes=store, faults=plan, api_key=key, host=args.host, port=args.port)
    emulator.start()
    try:
        print(f"Anthropic Messages-API emulator on {emulator.base_url} "
              f"({loaded} cassettes; token counts are approximate). Ctrl-C stops it.")
        print("Point the SDK at it with:")
        print(f"  export ANTHROPIC_BASE_URL={emulator.base_url}")
        if args.api_key_env:
            print(f"  export ANTHROPIC_API_KEY=\"${args.api_key_env}\"   # the key it accepts")
        else:
            print(f"  export ANTHROPIC_API_KEY={emulator.api_key}   # the emulator's own throwaway key, "
                  "generated for this run; it is not an Anthropic key")
        threading.Event().wait()
    except KeyboardInterrupt:
        print("emulator stopped")
    finally:
        emulator.stop()
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator", help="local Messages-API emulator (cassettes + fault injection)", description=(
            "Serve a local stand-in for the Anthropic Messages API (JSON and streaming) that answers "
            "from cassettes or a deterministic default, with optional fault injection. Token counts "
            "are an approximation."))
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--cassettes", type=Path, metavar="DIR", help="directory of cassette *.json files")
    parser.add_argument("--faults", type=Path, metavar="FILE", help="fault plan as .json or .toml")
    parser.add_argument("--api-key-env", metavar="VAR",
                        help="accept the key held in this environment variable (default: generate one)")
    parser.set_defaults(handler=_serve)
