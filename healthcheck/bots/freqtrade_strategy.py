"""A freqtrade strategy's stoploss, read from its source without running it.

freqtrade's minimum stake depends on the stoploss (its reserve is 1.05 / (1 - |stoploss|), capped
at 1.5), and the stoploss usually lives in the strategy class, not in the config. Guessing the cap
would call a 110 USDT stake on BTCUSDT futures "ignored" when a -10 % strategy trades it (its
minimum is 116.67, within freqtrade's 30 % adjustment). So the strategy named by the config's
``strategy`` key is looked up where freqtrade looks (``strategy_path``, then
``<user_data_dir>/strategies``) and its class body is parsed with :mod:`ast`: a literal
``stoploss = -0.10`` is taken; anything computed, inherited or absent gives None (the caller then
assumes the cap and says so). The file's code is never executed.
"""

from __future__ import annotations

import ast
from decimal import Decimal, InvalidOperation
from pathlib import Path

from healthcheck.storage import files

MAX_STRATEGY_BYTES = 1_000_000
MAX_FILES = 200  # a strategies folder with more files is not searched further


def _literal_number(node: ast.expr) -> Decimal | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return Decimal(str(node.value)) * sign
        except InvalidOperation:
            return None
    return None


def stoploss_in_source(text: str, class_name: str) -> Decimal | None:
    """Given a strategy module's source and a class name, return the class's literal
    ``stoploss`` (last assignment in the class body wins, as in Python), or None."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: Decimal | None = None
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for stmt in node.body:
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "stoploss" for t in stmt.targets
            ):
                value = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "stoploss"
            ):
                value = stmt.value
            if value is not None:
                found = _literal_number(value)
    if found is not None and not Decimal(-1) <= found <= Decimal(0):
        return None  # freqtrade refuses such a strategy; no reserve to compute from it
    return found


def search_dirs(
    config_dir: Path, strategy_path: str | None, user_data_dir: str | None
) -> list[Path]:
    """Given the config file's folder and its ``strategy_path`` / ``user_data_dir`` keys, return
    the folders freqtrade would search, relative paths taken from the config's folder (the
    usual layout is ``user_data/config.json`` beside ``user_data/strategies``)."""
    dirs: list[Path] = []
    for raw in (strategy_path,):
        if raw:
            dirs.append(config_dir / raw)
    if user_data_dir:
        dirs.append(config_dir / user_data_dir / "strategies")
    dirs += [config_dir / "strategies", config_dir / "user_data" / "strategies"]
    out: list[Path] = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def find_stoploss(class_name: str, dirs: list[Path]) -> tuple[Decimal | None, Path | None]:
    """Given a strategy class name and the folders to search, return (stoploss, file): the file
    that defines the class, and its literal stoploss or None. (None, None) when no file defines
    it. Unreadable files are skipped: this is a refinement, never an error."""
    needle = f"class {class_name}("
    seen = 0
    for d in dirs:
        try:
            candidates = sorted(p for p in d.iterdir() if p.suffix == ".py")
        except OSError:
            continue
        for path in candidates:
            seen += 1
            if seen > MAX_FILES:
                return None, None
            try:
                text = files.read_text(path, max_bytes=MAX_STRATEGY_BYTES, what="strategy")
            except (files.FileRefused, OSError, ValueError):
                continue
            if needle not in text:
                continue
            return stoploss_in_source(text, class_name), path
    return None, None
