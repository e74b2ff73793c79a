"""Command line: `python -m summarizer summarize FILE`, `python -m summarizer models pull|list`."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from .config import Settings
from .errors import SummarizerError
from .store import ModelStore


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m summarizer", description="Arabic/English translation and summaries"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("summarize", help="detect, translate and summarize a text file; print JSON")
    run.add_argument("file", help="a UTF-8 text file, or - for standard input")
    run.add_argument("--source-language", default="auto", choices=["auto", "ar", "en"])
    run.add_argument("--summary-sentences", type=int)
    run.add_argument("--summary-ratio", type=float)
    run.add_argument("--summarizer", choices=["extractive", "abstractive"])
    run.add_argument("--beam-size", type=int, help="translation beam size (default: greedy, 1)")
    run.add_argument("--no-summary", action="store_true", help="translate only")

    models = commands.add_parser("models", help="the model store")
    models_cmd = models.add_subparsers(dest="models_command", required=True)
    pull = models_cmd.add_parser("pull", help="download models named in models/manifest.json")
    pull.add_argument("names", nargs="*", help="manifest names (default: the default models)")
    models_cmd.add_parser("list", help="which manifest models are present locally")

    keys = commands.add_parser("keys", help="API keys (stored hashed in SUMMARIZER_API_KEYS_FILE)")
    keys_cmd = keys.add_subparsers(dest="keys_command", required=True)
    add = keys_cmd.add_parser("add", help="create a key and print it once")
    add.add_argument("name")
    revoke = keys_cmd.add_parser("revoke", help="delete a key")
    revoke.add_argument("name")
    keys_cmd.add_parser("list", help="the names of the keys")

    serve = commands.add_parser("serve", help="pull missing default models if the hub is reachable, then run gunicorn")
    serve.add_argument("--no-pull", action="store_true", help="serve what is in models/ without trying to pull")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings = Settings.from_env()
    try:
        if args.command == "summarize":
            return _summarize(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
        if args.command == "keys":
            return _keys(args, settings)
        return _models(args, settings)
    except SummarizerError as exc:
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2), file=sys.stderr)
        return 2 if exc.status < 500 else 3


def _summarize(args, settings: Settings) -> int:
    from .service import Options, Pipeline

    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8-sig") as handle:
            text = handle.read()
    options = Options(
        args.source_language,
        args.summary_sentences,
        args.summary_ratio,
        args.summarizer,
        summarize=not args.no_summary,
        beam_size=args.beam_size,
    )
    settings = settings.replace(load_abstractive=args.summarizer == "abstractive")
    result = Pipeline.load(settings).process(text, options)
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _models(args, settings: Settings) -> int:
    store = ModelStore(settings.models_dir)
    if args.models_command == "list":
        for row in store.listing():
            mark = "present" if row["present"] else "missing"
            commit = f"  commit {row['commit'][:12]}" if row["commit"] else ""
            print(
                f"{row['name']:<24} {row['role']:<14} {mark:<8} {row['repo']}@{row['revision']}  {row['license']}{commit}"
            )
        return 0
    for path in store.pull(args.names or None):
        print(f"pulled into {path}")
        if settings.translation_engine == "ctranslate2" and store.entries[path.name].role == "translation":
            from .translate.ct2 import convert

            print(f"converted for CTranslate2 into {convert(path, settings.ct2_compute_type)}")
    return 0


def _serve(args, settings: Settings) -> int:
    """Pull what is missing (saying plainly when the hub is out of reach), then exec gunicorn."""
    import os
    from pathlib import Path

    store = ModelStore(settings.models_dir)
    missing = [
        n
        for n in (settings.translation_model, settings.summarization_model)
        if n in store.entries and store.entries[n].pull_by_default and not store.is_present(n)
    ]
    if missing and not args.no_pull:
        try:
            store.pull(missing)
        except SummarizerError as exc:
            logging.getLogger("summarizer").warning(
                "%s Serving without it: English is summarized; Arabic requests answer 503 until the model is in %s.",
                exc.message,
                settings.models_dir,
            )
    root = Path(__file__).resolve().parent.parent
    os.chdir(root)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [str(gunicorn), "-c", "python:summarizer.gunicorn_conf", "wsgi:app"]
    os.execv(argv[0], argv)


def _keys(args, settings: Settings) -> int:
    """Add, revoke or list API keys; only their SHA-256 hashes are stored."""
    from .security import KeyFileError, KeyStore

    if not settings.api_keys_file:
        print("Set SUMMARIZER_API_KEYS_FILE to the key file (e.g. /etc/summarizer/keys.json) first", file=sys.stderr)
        return 2
    store = KeyStore(settings.api_keys_file)
    try:
        if args.keys_command == "add":
            try:
                key = store.add(args.name)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            print(key)
            print(f"key '{args.name}' added to {settings.api_keys_file}; it is shown only this once", file=sys.stderr)
            return 0
        if args.keys_command == "revoke":
            if not store.revoke(args.name):
                print(f"no key named {args.name!r}", file=sys.stderr)
                return 2
            return 0
        print("\n".join(store.names()))
        return 0
    except (KeyFileError, OSError) as exc:
        print(getattr(exc, "message", None) or f"{settings.api_keys_file}: {exc}", file=sys.stderr)
        return 2
