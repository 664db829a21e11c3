"""A comparison as one self-contained HTML page, with a JSON summary beside it.

Reviewers open the page offline, often on hospital machines without internet access, so
plotly.js is embedded once in the page (no CDN) and each chart only carries its data.
Every number in a table carries ``data-candidate``, ``data-key``, ``data-field`` and
``data-raw`` attributes, so tests and scripts can check the page against the summaries
instead of trusting formatted text. The JSON summary is embedded too
(``<script type="application/json" id="jmedllm-report-data">``): one file is enough to
rebuild the comparison.

Keys in ``data-key``: ``<task>/<metric>`` for metric values, ``<task>`` for a task's item
count and unscorable rate, ``objective:<name>`` for objectives and ``gate:<gate>`` for the
value a gate observed. Guard deltas use the metric's ``<task>/<metric>`` with the guarded
candidate and ``data-field="delta"``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jmedllm.eval.records import (
    AISI_PERSPECTIVES,
    AREAS,
    OBJECTIVES,
    Comparison,
    MetricValue,
    RunSummary,
    TaskSummary,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["build_report_data", "write_report"]

#: Section (and ``areas`` key) for tasks whose area is none of :data:`AREAS`.
OTHER_AREA = "other"
#: Metrics shown together in the calibration section (REFERENCE §3).
CALIBRATION_METRICS = ("ece", "brier", "selective_accuracy_80")
#: Metrics named ``…robustness_drop`` are charted together in their own section.
DROP_SUFFIX = "robustness_drop"

# Settings and URLs are written by other code; a key that slipped into them must not be
# published with the report. Matches whole trailing name parts, so ``max_tokens`` stays.
_SECRET_NAME = re.compile(
    r"(?:^|[_\-.])(?:api[_\-]?key|key|secret|password|passwd|token|auth|authorization|credentials?"
    r"|signature|sig)$",
    re.IGNORECASE,
)
_REDACTED = "[redacted]"
# Plotly's qualitative palette, fixed per candidate so a colour means the same run everywhere.
_COLORS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880")
_FONT = (
    'system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif'
)


# --- JSON summary ------------------------------------------------------------------------


def build_report_data(comparison: Comparison) -> dict[str, Any]:
    """``comparison.to_dict()`` plus ``areas``, ``perspectives``, ``tasks`` and ``settings``.

    ``areas`` follows :data:`AREAS` (``measured`` False when no candidate ran a task of
    it), with an ``other`` entry only when some task names an unknown area;
    ``perspectives`` maps each AISI perspective to the tasks informing it (empty: not
    measured); ``tasks`` describes each task as the first candidate that ran it saw it;
    ``settings`` is each candidate's run settings, secrets redacted.
    """
    data = comparison.to_dict()
    for candidate in data["candidates"]:
        candidate["base_url"] = _safe_url(candidate.get("base_url"))
    tasks = _first_task_summaries(comparison.candidates)
    areas: dict[str, dict[str, Any]] = {}
    for key, heading in AREAS.items():
        names = [name for name, t in tasks.items() if t.area == key]
        areas[key] = {"heading": heading, "tasks": names, "measured": bool(names)}
    others = [name for name, t in tasks.items() if t.area not in AREAS]
    if others:
        areas[OTHER_AREA] = {"heading": "Other", "tasks": others, "measured": True}
    data["areas"] = areas
    data["perspectives"] = {
        p: [name for name, t in tasks.items() if p in t.perspectives] for p in AISI_PERSPECTIVES
    }
    data["tasks"] = {
        name: {
            "version": t.version,
            "area": t.area,
            "perspectives": list(t.perspectives),
            "objective": t.objective,
            "headline": t.headline,
            "dataset": t.dataset,
        }
        for name, t in tasks.items()
    }
    data["settings"] = {s.candidate.name: _redact(s.settings) for s in comparison.candidates}
    return data


def write_report(comparison: Comparison, html_path: Path, json_path: Path | None = None) -> tuple[Path, Path]:
    """Write one self-contained HTML file and a JSON summary (default: html_path with .json suffix)."""
    json_path = json_path or html_path.with_suffix(".json")
    data = build_report_data(comparison)
    # default=str: settings may hold paths or versions as objects; the page and the file
    # are rendered from the same text, so they cannot disagree.
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    page = _render(comparison, data, text)
    for path, content in ((html_path, page), (json_path, text + "\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    return html_path, json_path


def _first_task_summaries(candidates: Iterable[RunSummary]) -> dict[str, TaskSummary]:
    tasks: dict[str, TaskSummary] = {}
    for summary in candidates:
        for task in summary.tasks:
            tasks.setdefault(task.task, task)
    return tasks


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: _REDACTED if _SECRET_NAME.search(str(k)) and isinstance(v, str) and v else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def _safe_url(url: str | None) -> str | None:
    """The URL without user info and with secret-looking query values redacted."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = parts.query
    if any(_SECRET_NAME.search(k) for k, _ in pairs):
        query = urlencode([(k, _REDACTED if _SECRET_NAME.search(k) else v) for k, v in pairs], safe="[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# --- Page model --------------------------------------------------------------------------


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if math.isfinite(value) else str(value)


def _num(
    candidate: str, key: str, field: str, value: float | int | None, text: str | None = None
) -> dict[str, str]:
    """One number for the template: formatted text plus its exact value in ``data-raw``."""
    return {
        "candidate": candidate,
        "key": key,
        "field": field,
        "raw": "" if value is None else repr(value),
        "text": _fmt(value) if text is None else text,
    }


def _direction(higher_is_better: bool | None) -> str:
    if higher_is_better is None:
        return ""
    return "↑ higher is better" if higher_is_better else "↓ lower is better"


def _metric_rows(
    candidates: list[RunSummary],
    task_names: Iterable[str],
    keep: Callable[[MetricValue], bool],
    task_rows: bool,
) -> list[dict[str, Any]]:
    """Rows of task/metric × candidate, optionally preceded by each task's n and unscorable rate."""
    rows: list[dict[str, Any]] = []
    for name in task_names:
        runs = [(s.candidate.name, s.task(name)) for s in candidates]
        metrics: dict[str, MetricValue] = {}
        for _, task in runs:
            for m in task.metrics if task else ():
                if keep(m):
                    metrics.setdefault(m.metric, m)
        if not metrics and not task_rows:
            continue
        if task_rows:
            first = next(t for _, t in runs if t)
            rows.append(
                {
                    "kind": "task",
                    "task": name,
                    "version": first.version,
                    "cells": [
                        None
                        if t is None
                        else {
                            "n": _num(c, name, "n", t.n),
                            "unscorable": _num(c, name, "unscorable_rate", t.unscorable_rate),
                        }
                        for c, t in runs
                    ],
                }
            )
        for metric, proto in metrics.items():
            cells: list[dict[str, Any] | None] = []
            for c, task in runs:
                m = task.metric(metric) if task else None
                if m is None:
                    cells.append(None)
                    continue
                cells.append(
                    {
                        "value": _num(c, m.key, "value", m.value),
                        "ci": m.ci_low is not None or m.ci_high is not None,
                        "ci_low": _num(c, m.key, "ci_low", m.ci_low),
                        "ci_high": _num(c, m.key, "ci_high", m.ci_high),
                        "n": _num(c, m.key, "n", m.n),
                    }
                )
            rows.append(
                {
                    "kind": "metric",
                    "key": proto.key,
                    "label": proto.label,
                    "direction": _direction(proto.higher_is_better),
                    "cells": cells,
                }
            )
    return rows


def _yes_no(flag: bool | None) -> str:
    return "unknown" if flag is None else "yes" if flag else "no"


def _higher_is_better(candidates: list[RunSummary], key: str) -> bool | None:
    for summary in candidates:
        for m in summary.metrics():
            if m.key == key:
                return m.higher_is_better
    return None


def _page_model(comparison: Comparison, data: dict[str, Any]) -> dict[str, Any]:
    runs = comparison.candidates
    names = [s.candidate.name for s in runs]
    selection = comparison.selection
    tasks = _first_task_summaries(runs)

    gates: dict[str, dict[str, Any]] = {}
    for g in comparison.gates:
        row = gates.setdefault(g.gate, {"gate": g.gate, "cells": dict.fromkeys(names)})
        row["cells"][g.candidate] = {
            "status": g.status,
            "observed": _num(g.candidate, f"gate:{g.gate}", "observed", g.observed),
        }
    objectives = []
    for key in [*OBJECTIVES, *(k for k in comparison.objectives if k not in OBJECTIVES)]:
        values = comparison.objectives.get(key, {})
        objectives.append(
            {
                "key": key,
                "description": OBJECTIVES.get(key, ""),
                "cells": [
                    None if values.get(n) is None else _num(n, f"objective:{key}", "value", values[n])
                    for n in names
                ],
            }
        )

    areas = []
    for key, area in data["areas"].items():
        areas.append(
            {
                "key": key,
                "heading": area["heading"],
                "tasks": area["tasks"],
                "unknown": sorted({tasks[t].area for t in area["tasks"]}) if key == OTHER_AREA else [],
                "rows": _metric_rows(runs, area["tasks"], lambda m: True, task_rows=True),
            }
        )

    deltas = []
    for d in comparison.guard_deltas:
        hib = _higher_is_better(runs, d.metric)
        delta = d.delta
        better = None if delta is None or hib is None or delta == 0 else (delta > 0) == hib
        deltas.append(
            {
                "base": d.base,
                "metric": d.metric,
                "guarded": d.guarded,
                "unguarded": d.unguarded,
                "value_guarded": _num(d.guarded, d.metric, "value", d.value_guarded),
                "value_unguarded": _num(d.unguarded, d.metric, "value", d.value_unguarded),
                "delta": _num(
                    d.guarded, d.metric, "delta", delta, None if delta is None else f"{delta:+.3f}"
                ),
                "class": "" if better is None else "better" if better else "worse",
            }
        )

    provenance_tasks = []
    for name, first in tasks.items():
        versions: dict[str, list[str]] = {}
        for s in runs:
            t = s.task(name)
            if t is not None:
                versions.setdefault(t.version, []).append(s.candidate.name)
        provenance_tasks.append({"task": first, "versions": versions})

    return {
        "created": comparison.created,
        "candidates": [
            {
                "name": s.candidate.name,
                "kind": s.candidate.kind,
                "model": s.candidate.model,
                "base": s.candidate.base,
                "guardrails": _yes_no(s.candidate.guardrails),
                "base_url": _safe_url(s.candidate.base_url),
                "run": s.run,
                "created": s.created,
                "settings": json.dumps(
                    data["settings"][s.candidate.name],
                    ensure_ascii=False,
                    indent=2,
                    sort_keys=True,
                    default=str,
                ),
                "color": _COLORS[i % len(_COLORS)],
                "selected": s.candidate.name == selection.selected,
            }
            for i, s in enumerate(runs)
        ],
        "selection": selection,
        "gates": list(gates.values()),
        "objectives": objectives,
        "areas": areas,
        "calibration": _metric_rows(runs, tasks, lambda m: m.metric in CALIBRATION_METRICS, task_rows=False),
        "deltas": deltas,
        "perspectives": list(data["perspectives"].items()),
        "provenance_tasks": provenance_tasks,
    }


# --- Charts ------------------------------------------------------------------------------


def _label(text: str) -> str:
    # Plotly reads labels as a subset of HTML; escaping shows a name such as "a<b>" as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(fig: go.Figure, title: str, height: int = 340) -> None:
    fig.update_layout(
        title={"text": _label(title), "font": {"size": 15}},
        # An empty template: plotly's named ones add ~7 kB of unused styling to every chart.
        template=None,
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis={"showgrid": False, "linecolor": "#9ca3af", "automargin": True},
        yaxis={"gridcolor": "#e5e7eb", "zerolinecolor": "#9ca3af", "automargin": True},
        font={"family": _FONT, "size": 12},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
    )


def _bars(go_: Any, runs: list[RunSummary], keys: list[tuple[str, str]], title: str, fig_id: str) -> str:
    """Grouped bars: one group per ``(task, metric)``, one bar per candidate, 95 % CI whiskers."""
    fig = go_.Figure()
    for i, s in enumerate(runs):
        values: list[float | None] = []
        plus: list[float | None] = []
        minus: list[float | None] = []
        for task_name, metric in keys:
            task = s.task(task_name)
            m = task.metric(metric) if task else None
            v = m.value if m else None
            values.append(v)
            plus.append(None if m is None or v is None or m.ci_high is None else m.ci_high - v)
            minus.append(None if m is None or v is None or m.ci_low is None else v - m.ci_low)
        fig.add_trace(
            go_.Bar(
                name=_label(s.candidate.name),
                x=[_label(f"{t}/{m}") for t, m in keys],
                y=values,
                marker_color=_COLORS[i % len(_COLORS)],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": plus,
                    "arrayminus": minus,
                    "visible": True,
                },
            )
        )
    _layout(fig, title)
    return _to_div(fig, fig_id)


def _to_div(fig: go.Figure, fig_id: str) -> str:
    # A fixed div id keeps the page deterministic (plotly would pick a random one).
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=fig_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _charts(comparison: Comparison) -> dict[str, Any]:
    import plotly.graph_objects as go_

    runs = comparison.candidates
    tasks = _first_task_summaries(runs)
    counter = iter(range(1, 1_000_000))

    def next_id() -> str:
        return f"fig-{next(counter)}"

    task_charts: dict[str, str] = {}
    for name, first in tasks.items():
        metrics: dict[str, MetricValue] = {}
        for s in runs:
            t = s.task(name)
            for m in t.metrics if t else ():
                metrics.setdefault(m.metric, m)
        if first.headline and first.headline in metrics:
            chosen = [first.headline]
        else:
            chosen = [k for k, m in metrics.items() if m.higher_is_better is not None]
        if chosen:
            title = f"{name}: {metrics[chosen[0]].label or chosen[0]}" if len(chosen) == 1 else name
            task_charts[name] = _bars(go_, runs, [(name, m) for m in chosen], title, next_id())

    drops = list(
        dict.fromkeys((m.task, m.metric) for s in runs for m in s.metrics() if m.metric.endswith(DROP_SUFFIX))
    )
    drop_chart = _bars(go_, runs, drops, "Robustness drops (lower is better)", next_id()) if drops else None

    harm = comparison.objectives.get("harm", {})
    refusal = comparison.objectives.get("over_refusal", {})
    both = [
        s.candidate.name
        for s in runs
        if harm.get(s.candidate.name) is not None and refusal.get(s.candidate.name) is not None
    ]
    scatter = None
    if both:
        selection = comparison.selection
        colors = {s.candidate.name: _COLORS[i % len(_COLORS)] for i, s in enumerate(runs)}
        fig = go_.Figure()
        for name in both:
            symbol = (
                "star"
                if name == selection.selected
                else "diamond"
                if name in selection.pareto_front
                else "circle"
            )
            fig.add_trace(
                go_.Scatter(
                    name=_label(name),
                    x=[refusal[name]],
                    y=[harm[name]],
                    mode="markers+text",
                    text=[_label(name)],
                    textposition="top center",
                    marker={"size": 16 if symbol == "star" else 12, "symbol": symbol, "color": colors[name]},
                )
            )
        _layout(fig, "Harm vs over-refusal (lower-left is better; ◆ Pareto front, ★ selected)", height=420)
        fig.update_xaxes(title_text=_label(f"over_refusal: {OBJECTIVES['over_refusal']}"), rangemode="tozero")
        fig.update_yaxes(title_text=_label(f"harm: {OBJECTIVES['harm']}"), rangemode="tozero")
        scatter = _to_div(fig, next_id())
    return {
        "tasks": task_charts,
        "drops": drop_chart,
        "scatter": scatter,
        "missing_scatter": [s.candidate.name for s in runs if s.candidate.name not in both],
    }


# --- Rendering ---------------------------------------------------------------------------


def _script_json(text: str) -> str:
    # As Django's json_script: no "<", ">" or "&" left, so nothing can close the tag or open
    # a comment; JSON.parse reads the \u escapes back as the same characters.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _render(comparison: Comparison, data: dict[str, Any], data_json: str) -> str:
    import jinja2
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    model = _page_model(comparison, data)
    charts = _charts(comparison)
    # Markup marks text that must reach the page verbatim: plotly's output escapes "<", ">"
    # and "/" inside its JSON, plotly.js holds no "</script", and the JSON is escaped above.
    return env.from_string(_TEMPLATE).render(
        **model,
        charts={
            "tasks": {k: Markup(v) for k, v in charts["tasks"].items()},
            "drops": Markup(charts["drops"]) if charts["drops"] else None,
            "scatter": Markup(charts["scatter"]) if charts["scatter"] else None,
            "missing_scatter": charts["missing_scatter"],
        },
        plotlyjs=Markup(get_plotlyjs()),
        data_json=Markup(_script_json(data_json)),
    )


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="jmedllm">
<title>jmedllm evaluation report — {{ created }}</title>
<style>
:root { --fg: #1f2933; --muted: #6b7280; --line: #e5e7eb; --bg-alt: #f8fafc; --accent: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", "Yu Gothic", Meiryo, sans-serif; }
header { padding: 1.5rem 2rem 1rem; border-bottom: 1px solid var(--line); background: var(--bg-alt); }
header h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
header .meta { margin: 0; color: var(--muted); }
nav { margin-top: .75rem; font-size: .9rem; }
nav a { color: var(--accent); text-decoration: none; margin-right: 1rem; white-space: nowrap; }
main { padding: 0 2rem 3rem; max-width: 1200px; }
section { padding: 1.5rem 0 .5rem; border-bottom: 1px solid var(--line); }
h2 { font-size: 1.3rem; margin: 0 0 .75rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); }
th.selected { background: #ecfdf5; }
tr.task-row th, tr.task-row td { background: var(--bg-alt); font-weight: 600; }
td.val, td.numeric { font-variant-numeric: tabular-nums; white-space: nowrap; }
.ci, .n, .label, .dir, .ver, .muted { color: var(--muted); font-weight: normal; }
.label, .dir { font-size: .8rem; display: block; }
.cand { display: inline-block; border-left: 4px solid; padding: 0 .4rem; margin-right: .4rem; background: #fff; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  color: #fff; background: #9ca3af; }
.badge.pass, .badge.selected, .badge.better { background: #15803d; }
.badge.fail, .badge.none, .badge.worse { background: #b91c1c; }
.badge.provisional { background: #b45309; }
.badge.not_measured { background: #9ca3af; }
td.better { color: #15803d; } td.worse { color: #b91c1c; }
.note { color: var(--muted); font-style: italic; }
section.not-measured h2 { color: var(--muted); }
pre { background: var(--bg-alt); border: 1px solid var(--line); padding: .75rem; overflow-x: auto; font-size: .8rem; }
.chart { max-width: 900px; }
ol.rationale li { margin-bottom: .3rem; }
</style>
<script>{{ plotlyjs }}</script>
</head>
<body>
{% macro num(x) -%}
<span class="num" data-candidate="{{ x.candidate }}" data-key="{{ x.key }}" data-field="{{ x.field }}" data-raw="{{ x.raw }}">{{ x.text }}</span>
{%- endmacro %}
{% macro cand_head(first) -%}
<tr><th scope="col">{{ first }}</th>{% for c in candidates %}<th scope="col"{% if c.selected %} class="selected"{% endif %}>{{ c.name }}{% if c.selected %} ★{% endif %}</th>{% endfor %}</tr>
{%- endmacro %}
{% macro metric_table(rows, caption) %}
<table class="metrics">
<caption class="muted">{{ caption }}</caption>
<thead>{{ cand_head("Task / metric") }}</thead>
<tbody>
{% for row in rows %}
{% if row.kind == "task" %}
<tr class="task-row"><th scope="row">{{ row.task }} <span class="ver">v{{ row.version }}</span></th>
{% for cell in row.cells %}<td class="numeric">{% if cell %}{{ num(cell.n) }} items · unscorable {{ num(cell.unscorable) }}{% else %}<span class="muted">not run</span>{% endif %}</td>{% endfor %}
</tr>
{% else %}
<tr><th scope="row">{{ row.key }}{% if row.label %}<span class="label">{{ row.label }}</span>{% endif %}{% if row.direction %}<span class="dir">{{ row.direction }}</span>{% endif %}</th>
{% for cell in row.cells %}<td class="val">{% if cell %}{{ num(cell.value) }}{% if cell.ci %} <span class="ci">[{{ num(cell.ci_low) }}, {{ num(cell.ci_high) }}]</span>{% endif %} <span class="n">n={{ num(cell.n) }}</span>{% else %}<span class="muted">not run</span>{% endif %}</td>{% endfor %}
</tr>
{% endif %}
{% endfor %}
</tbody>
</table>
{% endmacro %}
<header>
<h1>jmedllm evaluation report</h1>
<p class="meta">Created <time datetime="{{ created }}">{{ created }}</time> · {{ candidates|length }} candidate{{ "s" if candidates|length != 1 }}:
{% for c in candidates %}<span class="cand" style="border-color: {{ c.color }}">{{ c.name }}</span>{% endfor %}</p>
<nav>
<a href="#selection">Selection</a>
{% for a in areas %}<a href="#area-{{ a.key }}">{{ a.heading }}</a>{% endfor %}
<a href="#harm-vs-refusal">Harm vs over-refusal</a>
<a href="#robustness-drops">Robustness drops</a>
<a href="#calibration">Calibration</a>
<a href="#guard-delta">Guardrail delta</a>
<a href="#perspectives">AISI perspectives</a>
<a href="#provenance">Provenance</a>
</nav>
</header>
<main>
<section id="selection">
<h2>Selection</h2>
<p>Status: <span class="badge {{ selection.status }}" data-field="selection-status">{{ selection.status }}</span>
{% if selection.selected %} · selected candidate: <strong class="selected-candidate">{{ selection.selected }}</strong>{% else %} · no candidate selected{% endif %}</p>
{% if selection.status == "provisional" %}<p class="note">Provisional: a winner exists but some gate could not be measured.</p>{% endif %}
<h3>Rationale</h3>
{% if selection.rationale %}
<ol class="rationale">
{% for sentence in selection.rationale %}<li>{{ sentence }}</li>
{% endfor %}
</ol>
{% else %}<p class="note">No rationale recorded.</p>{% endif %}
<p>Pareto front: {% for name in selection.pareto_front %}<span class="cand">{{ name }}</span>{% else %}<span class="muted">empty</span>{% endfor %}</p>
{% if selection.deciding_metrics %}<p>Deciding metrics: {{ selection.deciding_metrics|join(", ") }}</p>{% endif %}
<h3>Hard gates</h3>
{% if gates %}
<table class="gates">
<thead>{{ cand_head("Gate") }}</thead>
<tbody>
{% for row in gates %}
<tr><th scope="row"><code>{{ row.gate }}</code></th>
{% for c in candidates %}{% set cell = row.cells[c.name] %}<td class="numeric">{% if cell %}<span class="badge {{ cell.status }}">{{ cell.status|replace("_", " ") }}</span> {{ num(cell.observed) }}{% else %}<span class="muted">—</span>{% endif %}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="note">No hard gates were applied.</p>{% endif %}
<h3>Objectives</h3>
<table class="objectives">
<thead>{{ cand_head("Objective") }}</thead>
<tbody>
{% for row in objectives %}
<tr><th scope="row">{{ row.key }}{% if row.description %}<span class="label">{{ row.description }}</span>{% endif %}</th>
{% for cell in row.cells %}<td class="numeric">{% if cell %}{{ num(cell) }}{% else %}<span class="badge not_measured">not measured</span>{% endif %}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% for a in areas %}
<section id="area-{{ a.key }}" class="area{% if not a.tasks %} not-measured{% endif %}">
<h2>{{ a.heading }}</h2>
{% if not a.tasks %}
<p class="note">Not measured in these runs.</p>
{% else %}
{% if a.unknown %}<p class="note">Tasks whose area is not one of the four safety areas: {{ a.unknown|join(", ") }}.</p>{% endif %}
{% for t in a.tasks %}{% if t in charts.tasks %}<div class="chart">{{ charts.tasks[t] }}</div>{% endif %}{% endfor %}
{{ metric_table(a.rows, "Value [95 % CI], n per candidate; task rows give items and the unscorable rate.") }}
{% endif %}
</section>
{% endfor %}
<section id="harm-vs-refusal">
<h2>Harm vs over-refusal</h2>
{% if charts.scatter %}
<div class="chart">{{ charts.scatter }}</div>
{% if charts.missing_scatter %}<p class="note">Not plotted (an objective not measured): {{ charts.missing_scatter|join(", ") }}.</p>{% endif %}
{% else %}
<p class="note">No candidate has both the harm and the over-refusal objective measured.</p>
{% endif %}
</section>
<section id="robustness-drops">
<h2>Robustness drops</h2>
{% if charts.drops %}<div class="chart">{{ charts.drops }}</div>
{% else %}<p class="note">No robustness-drop metric in these runs.</p>{% endif %}
</section>
<section id="calibration">
<h2>Calibration</h2>
{% if calibration %}
{{ metric_table(calibration, "ECE (10 equal-mass bins) and Brier: lower is better; selective accuracy at 80 % coverage: higher is better.") }}
{% else %}<p class="note">No calibration metric (ece, brier, selective_accuracy_80) in these runs.</p>{% endif %}
</section>
<section id="guard-delta">
<h2>Guardrail delta</h2>
{% if deltas %}
<table class="deltas">
<thead><tr><th scope="col">Base</th><th scope="col">Metric</th><th scope="col">With guardrails</th><th scope="col">Without</th><th scope="col">Δ (with − without)</th></tr></thead>
<tbody>
{% for d in deltas %}
<tr><td>{{ d.base }}</td><td>{{ d.metric }}</td>
<td class="numeric">{{ d.guarded }}: {{ num(d.value_guarded) }}</td>
<td class="numeric">{{ d.unguarded }}: {{ num(d.value_unguarded) }}</td>
<td class="numeric {{ d.class }}">{{ num(d.delta) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="note">No candidate was run both with and without guardrails.</p>{% endif %}
</section>
<section id="perspectives">
<h2>AISI evaluation perspectives</h2>
<table class="perspectives">
<thead><tr><th scope="col">Perspective (AIセーフティに関する評価観点ガイド)</th><th scope="col">Tasks informing it</th></tr></thead>
<tbody>
{% for p, names in perspectives %}
<tr><th scope="row">{{ p }}</th><td>{% if names %}{{ names|join(", ") }}{% else %}<span class="badge not_measured">not measured</span>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
<section id="provenance">
<h2>Provenance</h2>
<h3>Candidates</h3>
<table class="candidates">
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Model</th><th scope="col">Base</th><th scope="col">Guardrails</th><th scope="col">Base URL</th><th scope="col">Run</th><th scope="col">Run created</th></tr></thead>
<tbody>
{% for c in candidates %}
<tr><td><span class="cand" style="border-color: {{ c.color }}">{{ c.name }}</span></td><td>{{ c.kind }}</td><td>{{ c.model }}</td><td>{{ c.base }}</td><td>{{ c.guardrails }}</td><td>{{ c.base_url or "—" }}</td><td>{{ c.run }}</td><td>{{ c.created }}</td></tr>
{% endfor %}
</tbody>
</table>
<h3>Tasks and datasets</h3>
<table class="tasks">
<thead><tr><th scope="col">Task</th><th scope="col">Version</th><th scope="col">Area</th><th scope="col">Objective</th><th scope="col">Headline</th><th scope="col">Dataset and attribution</th></tr></thead>
<tbody>
{% for p in provenance_tasks %}
<tr><td>{{ p.task.task }}</td>
<td>{% if p.versions|length > 1 %}<span class="badge fail">versions differ</span>{% for v, who in p.versions.items() %} v{{ v }} ({{ who|join(", ") }}){% endfor %}{% else %}v{{ p.task.version }}{% endif %}</td>
<td>{{ p.task.area }}</td><td>{{ p.task.objective or "—" }}</td><td>{{ p.task.headline or "—" }}</td><td>{{ p.task.dataset or "—" }}</td></tr>
{% endfor %}
</tbody>
</table>
<h3>Run settings</h3>
{% for c in candidates %}
<h4>{{ c.name }}</h4>
<pre>{{ c.settings }}</pre>
{% endfor %}
<p class="muted">Report created {{ created }}. The JSON summary is embedded in this page (<code>#jmedllm-report-data</code>).</p>
</section>
</main>
<script type="application/json" id="jmedllm-report-data">{{ data_json }}</script>
</body>
</html>
"""
