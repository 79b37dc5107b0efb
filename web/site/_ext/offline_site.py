"""Sphinx extension of the static site: headings carry JupyterLab's anchors.

JupyterLab gives every rendered heading the id of its text with spaces turned into
hyphens (``## The series`` -> ``#The-series``), and the notebooks link to each other that
way (``00_start_here.ipynb#The-series``). ``_config.yml`` names :func:`labAnchor` as
myst's heading slug function, so such links resolve at build time, and each section also
carries that id in the HTML, so an address copied from JupyterLab works there as well.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def labAnchor(text: str) -> str:
    """The id JupyterLab gives a heading: its text, spaces replaced by hyphens.

    >>> labAnchor("Stage 1 recap")
    'Stage-1-recap'
    """
    return text.strip().replace(" ", "-")


def addLabIds(app: Sphinx, doctree: nodes.document) -> None:
    for section in doctree.findall(nodes.section):
        title = next(iter(section.findall(nodes.title)), None)
        if title is None:
            continue
        anchor = labAnchor(title.astext())
        if anchor and anchor not in section["ids"]:
            section["ids"].append(anchor)


def tidyScripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    """Drop the Thebe loader (off here, and its code lives on a CDN) and repeated scripts.

    Jupyter Book 1 registers some scripts twice (the widget renderer among them), and
    sphinx-thebe's inline script names a CDN address even when Thebe is off.
    """
    scripts = context.get("script_files", [])
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in scripts:
        body = str(getattr(script, "attributes", {}).get("body", ""))
        key = (str(getattr(script, "filename", script)), body)
        if "thebe" in key[0] or "THEBE_JS_URL" in body or key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", addLabIds)
    app.connect("html-page-context", tidyScripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
