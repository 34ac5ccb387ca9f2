"""The documentation holds together: README.md stays a short guide (400 lines or fewer), every
relative link in README.md and docs/*.md leads to a file that exists and every `#anchor` to a
heading of its target (GitHub's slugs), each docs page is linked from the README, and every key of
config.example.toml is documented in docs/configuration.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from healthcheck.checks import CHECK_IDS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`[^`]*`")


def prose_lines(text: str) -> list[str]:
    """Given a markdown text, return its lines outside fenced code blocks."""
    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if not fence:
            out.append(line)
    return out


def slug(heading: str) -> str:
    """Given a heading's text, return GitHub's anchor for it (without the -1, -2 of repeats)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # punctuation dropped; letters, digits, _ and - kept
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Given a markdown file, return its headings' anchors, repeats numbered as GitHub does."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in prose_lines(path.read_text()):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path) -> list[str]:
    """Given a markdown file, return the targets of its links outside code (fenced or inline)."""
    found = []
    for line in prose_lines(path.read_text()):
        found += LINK.findall(INLINE_CODE.sub("", line))
    return found


def test_slug_follows_githubs_rules() -> None:
    assert slug("Metrics, Prometheus, Grafana, Nagios") == "metrics-prometheus-grafana-nagios"
    assert slug("Watching the bot's log") == "watching-the-bots-log"
    assert slug("JSON (`--json`)") == "json---json"
    assert slug("`[checks.<id>]`") == "checksid"
    assert slug("The `bot_errors` check") == "the-bot_errors-check"


def test_readme_is_a_short_guide() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 400, f"README.md has {len(lines)} lines; move reference text to docs/"


def test_readme_keeps_the_quick_start_commands_ci_runs() -> None:
    lines = README.read_text().splitlines()
    venv = "python3 -m venv .venv && "
    assert venv + ".venv/bin/pip install . && .venv/bin/binance-healthcheck demo" in lines
    assert (
        venv
        + ".venv/bin/pip install '.[test]' && .venv/bin/python -m pytest -q -p no:cacheprovider"
        in lines
    )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading '#{anchor}' in {dest.relative_to(ROOT)}")
    assert broken == [], f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(README)}
    missing = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert missing == []


def test_every_config_key_is_documented() -> None:
    """Every section and key config.example.toml shows (set or commented out), and every check
    id, is in docs/configuration.md."""
    reference = (DOCS / "configuration.md").read_text()
    sections, keys = set(), set()
    for line in (ROOT / "config.example.toml").read_text().splitlines():
        if m := re.match(r"#?\s*(\[\[?)([a-z_.]+)\]", line):
            sections.add(m.group(1) + m.group(2) + m.group(1).replace("[", "]"))
        elif m := re.match(r"#?\s*([a-z_]+)\s*=", line):
            keys.add(m.group(1))
    assert len(keys) > 40 and "[daemon]" in sections
    missing = sorted(s for s in sections if s not in reference and not s.startswith("[checks."))
    missing += sorted(k for k in keys if not re.search(rf"`(\S*\.)?{k}`", reference))
    missing += sorted(c for c in CHECK_IDS if f"`{c}`" not in reference)
    assert missing == [], f"not in docs/configuration.md: {missing}"
