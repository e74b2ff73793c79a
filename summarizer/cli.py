"""Command line: `python -m summarizer summarize FILE`, `python -m summarizer models pull|list`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path

from .config import Settings, SettingsError, settings_table
from .errors import SummarizerError
from .schemas import (
    MAX_BEAM_SIZE,
    MAX_SUMMARY_SENTENCES,
    SOURCE_LANGUAGES,
    SUMMARIZERS,
    TARGET_LANGUAGES,
    TRANSLATE_MODES,
)
from .store import ModelStore


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, return the exit status."""
    # Installed, the `summarizer` command; from a checkout, `python -m summarizer`.
    prog = "summarizer" if os.path.basename(sys.argv[0]) == "summarizer" else "python -m summarizer"
    parser = argparse.ArgumentParser(prog=prog, description="Arabic/English translation and summaries")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("summarize", help="detect, translate and summarize a text file; print JSON")
    run.add_argument("file", help="a UTF-8 text file, or - for standard input")
    run.add_argument("--source-language", default="auto", choices=SOURCE_LANGUAGES)
    run.add_argument(
        "--target-language",
        default="en",
        choices=TARGET_LANGUAGES,
        help="ar: translate English text to Arabic (needs SUMMARIZER_EN_AR_MODEL); Arabic text always gives English",
    )
    run.add_argument(
        "--translate",
        choices=TRANSLATE_MODES,
        help="English to Arabic: the summary's sentences only (default) or the full text (always with --no-summary)",
    )
    run.add_argument("--summary-sentences", type=int, help=f"1 to {MAX_SUMMARY_SENTENCES}")
    run.add_argument("--summary-ratio", type=float, help="greater than 0, at most 1")
    run.add_argument("--summarizer", choices=SUMMARIZERS)
    run.add_argument("--beam-size", type=int, help=f"translation beam size, 1 to {MAX_BEAM_SIZE} (default: greedy, 1)")
    run.add_argument("--no-summary", action="store_true", help="translate only")

    table = commands.add_parser("settings", help="the SUMMARIZER_* settings: variable, accepted values, default")
    table.add_argument("--markdown", action="store_true", help="as the README's Markdown table")

    models = commands.add_parser("models", help="the model store")
    models_cmd = models.add_subparsers(dest="models_command", required=True)
    pull = models_cmd.add_parser("pull", help="download known models from the Hugging Face hub into the models folder")
    pull.add_argument("names", nargs="*", help="model names (default: the default models; `models list` names all)")
    models_cmd.add_parser("list", help="the known models and which are present in the models folder")
    clean = models_cmd.add_parser(
        "clean", help="delete CTranslate2 conversions of pulled models that no longer load (old snapshots, versions)"
    )
    clean.add_argument("--dry-run", action="store_true", help="list them with their sizes, delete nothing")
    clean.add_argument(
        "--all", action="store_true", help="also conversions of models neither pulled nor configured here"
    )

    keys = commands.add_parser("keys", help="API keys (stored hashed in SUMMARIZER_API_KEYS_FILE)")
    keys_cmd = keys.add_subparsers(dest="keys_command", required=True)
    add = keys_cmd.add_parser("add", help="create a key and print it once")
    add.add_argument("name")
    revoke = keys_cmd.add_parser("revoke", help="delete a key")
    revoke.add_argument("name")
    keys_cmd.add_parser("list", help="the names of the keys")

    serve = commands.add_parser("serve", help="pull missing default models if the hub is reachable, then run gunicorn")
    serve.add_argument(
        "--no-pull", action="store_true", help="serve what is in the models folder without trying the hub"
    )

    worker = commands.add_parser("worker", help="a Celery worker for jobs, on SUMMARIZER_REDIS_URL")
    worker.add_argument("--concurrency", type=int, default=1, help="worker processes (each loads the models once)")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # the hub client's one line per HTTP request
    if args.command == "settings":
        print(settings_table(markdown=args.markdown))
        return 0
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.command == "summarize":
            return _summarize(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
        if args.command == "worker":
            from .worker import run_worker

            if settings.redis_url:
                _convert_in_a_child(settings)
            return run_worker(settings, args.concurrency)
        if args.command == "keys":
            return _keys(args, settings)
        return _models(args, settings)
    except SummarizerError as exc:
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2), file=sys.stderr)
        return 2 if exc.status < 500 else 3


def _summarize(args, settings: Settings) -> int:
    from .models import Models
    from .service import Options, Pipeline

    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8-sig") as handle:
            text = handle.read()
    options = Options(
        source_language=args.source_language,
        target_language=args.target_language,
        translate=args.translate,
        summary_sentences=args.summary_sentences,
        summary_ratio=args.summary_ratio,
        summarizer=args.summarizer,
        summarize=not args.no_summary,
        beam_size=args.beam_size,
    )
    settings = settings.replace(load_abstractive=args.summarizer == "abstractive")
    pipeline = Pipeline(settings, Models.load(settings))
    try:
        result = pipeline.process(text, options)
    finally:
        pipeline.close()
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _models(args, settings: Settings) -> int:
    """List the known models, or pull some; a failure is one plain message on stderr and a non-zero status."""
    from .store import UnknownModel
    from .translate import convert_ahead

    store = ModelStore(settings.models_dir)
    if args.models_command == "list":
        for row in store.listing():
            mark = "present" if row["present"] else "missing"
            commit = f"  commit {row['commit'][:12]}" if row["commit"] else ""
            source = f"{row['repo']}@{row['revision']}"
            print(f"{row['name']:<24} {row['role']:<14} {mark:<8} {source}  {row['license']}{commit}")
        return 0
    if args.models_command == "clean":
        return _clean(settings, store, args.dry_run, args.all)
    try:
        for path in store.pull(args.names or models_to_pull(settings, store)):
            print(f"pulled {path.name} into {path} (commit {store.snapshot(path.name).get('commit')})")
            if settings.translation_engine == "ctranslate2" and store.entries[path.name].role == "translation":
                print(f"converted for CTranslate2 into {convert_ahead(settings, path)}")
    except UnknownModel as exc:
        print(exc, file=sys.stderr)
        return 2
    except SummarizerError as exc:
        print(exc.message, file=sys.stderr)
        return 3
    return 0


def _clean(settings: Settings, store: ModelStore, dry_run: bool, every_model: bool) -> int:
    """Delete (or list) the conversions of the pulled models that no longer load (older snapshots, other
    CTranslate2 versions) and records of refused cuts; with every_model, also conversions of any model that is
    neither pulled nor configured here (local folders another configuration may use). Returns 1 if one could
    not be deleted."""
    from .store import clean_conversions, delete_conversion, stale_conversions

    cache = Path(settings.cache_dir)
    if not cache.is_dir():
        print(f"nothing to clean: {cache} is not a folder")
        return 0
    status, total = 0, 0
    # A pull switching a snapshot meanwhile would have its new conversion counted stale; in a models folder this
    # process cannot write (read-only, or none), no pull runs.
    with store.locked() if os.access(store.root, os.W_OK) else contextlib.nullcontext():
        pulled = [name for name in store.entries if store.is_present(name)]
        local = [m for m in (settings.translation_model, settings.en_ar_model) if m not in store.entries]
        keep = [store.path(name) for name in pulled] + [Path(m) for m in local if store.is_present(m)]
        if not dry_run:
            clean_conversions(cache)  # what interrupted conversions left
        for entry in stale_conversions(cache, keep, None if every_model else pulled):
            try:
                files = [entry] if not entry.is_dir() else [f for f in entry.rglob("*") if f.is_file()]
                size = sum(f.stat().st_size for f in files)
                print(f"{'would delete' if dry_run else 'deleting'} {entry} ({size / 1e6:.1f} MB)")
                if not dry_run:
                    delete_conversion(entry)
                total += size
            except FileNotFoundError:
                continue  # another process deleted it
            except OSError as exc:
                print(f"could not delete {entry}: {exc}", file=sys.stderr)
                status = 1
    print(f"{'would free' if dry_run else 'freed'} {total / 1e6:.1f} MB in {cache}")
    return status


def models_to_pull(settings: Settings, store: ModelStore) -> list[str]:
    """The manifest models this configuration loads: both translation directions, whichever models they are
    (SUMMARIZER_EN_AR_MODEL=opus-mt-tc-big-en-ar is pulled as readily as the default), and the abstractive
    summarizer when it is pulled by default or is the default summarizer."""
    wanted = [settings.translation_model, settings.en_ar_model]
    summarizer = store.entries.get(settings.summarization_model)
    if settings.summarizer == "abstractive" or (summarizer is not None and summarizer.pull_by_default):
        wanted.append(settings.summarization_model)
    return [name for name in wanted if name in store.entries]


def _convert_in_a_child(settings: Settings) -> None:
    """Convert before Celery forks its pool, in a process of its own: the worker process that stays would keep
    the memory and the torch import that converting takes, and every pool process would inherit them."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_convert_logged, args=(settings,))
    child.start()
    child.join()


def _convert_logged(settings: Settings) -> None:
    """convert_before_fork in a process of its own, logging as the command line does."""
    from .translate import convert_before_fork

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    convert_before_fork(settings, ModelStore(settings.models_dir))


def _serve(args, settings: Settings) -> int:
    """Pull what is missing (one plain message per model the hub could not give), then exec gunicorn."""
    from .store import clean_conversions, missing_message
    from .translate import convert_before_fork

    store = ModelStore(settings.models_dir)
    log = logging.getLogger("summarizer")
    try:
        store.recover()
        if Path(settings.cache_dir).is_dir():
            clean_conversions(settings.cache_dir)
    except OSError as exc:  # e.g. a read-only models folder holding leftovers: serve what is complete
        log.warning("could not clean up after interrupted pulls or conversions: %s", exc)
    missing = [n for n in models_to_pull(settings, store) if not store.is_present(n)]
    for name in missing:
        if args.no_pull:
            why = "serve --no-pull did not try the hub"
            log.warning("%s", missing_message(store.entries[name], store.path(name), why))
            continue
        try:
            store.pull([name])
        except SummarizerError as exc:
            log.warning("%s Serving without it.", exc.message)
        except OSError as exc:  # the models folder itself is not writable
            log.warning("could not pull %s into %s: %s. Serving without it.", name, settings.models_dir, exc)
    convert_before_fork(settings, store)
    # The app factory and the config are found by module name, so this works from any directory.
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:summarizer.gunicorn_conf", "summarizer:create_app()"]
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
