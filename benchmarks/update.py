"""Replacing some models' rows in a committed result (`--update`), so that adding a model, or re-measuring one
whose run was disturbed, does not mean rerunning every other model for half an hour."""

from __future__ import annotations

from typing import Callable

ROW_LISTS = ("summary", "rows", "models")  # the lists of a result whose entries belong to one model each


def models_in(result: dict) -> set[str]:
    """The models a result has rows for."""
    return {r["model"] for key in ROW_LISTS for r in result.get(key, []) if "model" in r}


def updated(old: dict, new: dict, models: list[str], order: Callable[[dict], object]) -> dict:
    """`old` with `models`' entries in every list of rows replaced by `new`'s, sorted by `order` (stable: models
    keep their order within it); the new run is listed under "updates", so the README says which rows it
    measured, and an earlier update whose models were all measured again, by this run and later ones together, is
    dropped: it no longer made any row."""
    if old["settings"] != new["settings"]:
        raise SystemExit(f"--update: settings differ from the existing result ({old['settings']}); rerun all")
    for key in ROW_LISTS:
        if key in new:
            kept = [r for r in old[key] if r["model"] not in models]
            old[key] = sorted(kept + new[key], key=order)
    runs, remeasured = [{"models": models, "machine": new["machine"]}], set(models)
    for run in reversed(old.get("updates", [])):
        if set(run["models"]) - remeasured:
            runs.insert(0, run)
        remeasured |= set(run["models"])
    old["updates"] = runs
    return old
