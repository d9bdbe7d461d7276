"""What a build prints: one line per stage (printed by pipeline/build.py) and Dagster's warnings and errors in
plain words, not its step-by-step DEBUG log. ``VERBOSE=1`` runs use Dagster's own console logger instead."""

from __future__ import annotations

import logging
import sys

import dagster as dg


class OwnMessagesOnly(logging.Filter):
    """The pipeline's own messages (what was rebuilt, what was skipped), not Dagster's event records
    (step started, output handled...), which the stage lines already sum up. Warnings and errors always pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        return record.levelno >= logging.WARNING or meta.get("dagster_event") is None


class PlainFormatter(logging.Formatter):
    """'warning: [step] message': Dagster's own text, without its timestamp, run id and job prefix."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        message = str(meta.get("orig_message") or record.getMessage()).strip()
        step = meta.get("step_key")
        where = f"[{step}] " if step else ""
        return f"  {record.levelname.lower()}: {where}{message}"


@dg.logger(
    config_schema={"log_level": dg.Field(str, default_value="WARNING", is_required=False)},
    description="Warnings and errors in plain words, one line each (VERBOSE=1 uses dagster_console instead).",
)
def plain_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("occupation_book.build")
    log.setLevel(init_context.logger_config["log_level"])
    log.propagate = False
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PlainFormatter())
        handler.addFilter(OwnMessagesOnly())
        log.addHandler(handler)
    return log


LOGGERS = {"console": plain_console, "dagster_console": dg.colored_console_logger}


def logger_config(verbose: bool) -> dict:
    """Run config for the build's loggers: plain warnings by default, Dagster's full log when verbose."""
    if verbose:
        return {"dagster_console": {"config": {"log_level": "DEBUG"}}}
    return {"console": {"config": {"log_level": "WARNING"}}}
