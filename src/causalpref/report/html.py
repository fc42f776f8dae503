"""HTML pages from Jinja2 templates (report/templates/): one environment, the filters every page
uses, and the rules they keep: every piece of text is escaped, and a page is self-contained (CSS
inline, figures inline, no scripts, fonts or network requests), so it can be mailed, archived or
printed as is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cache
from html import escape
from typing import Any

MAX_LIST_ITEMS = 12  # longer lists in evidence or stats show their first items and a count
MAX_TEXT_CHARS = 400  # longer strings are cut on the page; the JSON beside it keeps them whole


def render_page(template: str, **context: Any) -> str:
    """Render `template` (a file in report/templates/) with `context`."""
    return environment().get_template(template).render(**context)


@cache
def environment() -> Any:
    """The Jinja2 environment: package templates, autoescaping on, unknown names an error."""
    import jinja2
    import markupsafe

    from causalpref import __version__

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("causalpref.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["value"] = format_value
    env.filters["prose"] = lambda text: markupsafe.Markup(prose(str(text)))
    env.filters["flatten"] = flatten
    env.filters["columns"] = columns_of
    env.tests["records"] = is_records
    env.globals["version"] = __version__
    env.globals["max_list_items"] = MAX_LIST_ITEMS
    return env


# -- text ------------------------------------------------------------------------------------
def prose(text: str) -> str:
    """Escaped text in which `backticked` spans (commands, columns) render as code."""
    parts = escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick stays as it is
        return escape(text)
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def format_value(value: Any) -> str:
    """A short human-readable rendering of an evidence or stats value (not escaped)."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + "\u2026"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, Iterable):
        items = list(value)
        if not items:
            return "none"
        shown = ", ".join(format_value(v) for v in items[:MAX_LIST_ITEMS])
        more = len(items) - MAX_LIST_ITEMS
        return f"{shown}, \u2026 ({len(items)} in all)" if more > 0 else shown
    return str(value)


def _format_float(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "\u221e" if value > 0 else "\u2212\u221e"
    if value.is_integer() and abs(value) < 1e15:
        return format_value(int(value))
    return f"{value:.4g}"


# -- structure -------------------------------------------------------------------------------
def flatten(stats: Mapping[str, Any], prefix: str = "", depth: int = 2) -> dict[str, Any]:
    """Nested dicts as 'outer \u203a inner' keys, so a stats table stays two columns wide."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth > 0:
            out.update(flatten(value, f"{name} \u203a ", depth - 1))
        else:
            out[name] = value
    return out


def is_records(value: Any) -> bool:
    """Whether `value` is a non-empty list of records (shown as a small table)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def columns_of(records: list[Mapping[str, Any]]) -> list[str]:
    """Every key of `records`, in first-seen order."""
    return list(dict.fromkeys(str(k) for r in records for k in r))
