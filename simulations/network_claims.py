"""The paper's claims at network scale, with verdicts computed from network results documents.

Problem: the paper's Table 2 (AutoDrop matches the best hand-tuned schedule without tuning),
its Table 16 (AutoDrop reaches a low test error sooner: 8.76% against 11.18% at 50 of 200
epochs), its faster-training claim, and the angle's saturation in [90, 120] degrees
(Theorem 3.2's range, the NQM's P2) judged on the runs of ``python -m simulations.network``,
never typed: every verdict is a function of results.json (:func:`claims`).

Algorithm: for each AutoDrop variant (:data:`VARIANTS`) and each network of the documents (a
network is a (dataset, model); ``autodrop_net``, tuned, only on the TEST networks,
:data:`simulations.nets.splits.TEST_NETWORKS`), a reading of the paired 95% interval over
seeds (:func:`simulations.network.compare`, the best manual schedule being the hand-designed
schedule with the highest mean final test accuracy):
  table2    final test accuracy minus the best manual schedule's: "holds" when the interval
            lies above -TOLERANCE (within 0.5 points or better: an equivalence reading), "false"
            when it lies below -TOLERANCE, else "not resolved";
  table16   minimum test error by half the budget minus the best manual schedule's: "holds"
            when the interval lies below 0, "false" above 0;
  faster    epochs to the dataset's target training loss minus the best manual schedule's
            (censored at the budget; :func:`simulations.network.paired_epochs_to_target`):
            "holds" below 0, "false" above 0;
  angle     ``constant``'s angle between consecutive epoch displacements over the second half
            of the run (:func:`simulations.network.stage_angles`): "holds" when its interval
            lies in [90, 120] degrees, "false" when it lies outside, else "not resolved".
A claim's verdict over its networks: "false" if false on one, "holds" if it holds on every one,
else "unchecked" (the intervals do not resolve it; the note gives each network's interval).

Guarantee: none beyond the intervals' (95% Student-t over seeds, paired; a verdict over several
networks is not corrected for multiplicity).

References: Wang, Teng, Choromanska, AutoDrop (UAI 2024), Tables 2 and 16, Section 3;
docs/studies/network.md.
"""

from __future__ import annotations

from autodrop_theory.claims import Claim
from autodrop_theory.errors import AssumptionError

from .readings import direction, epochs_reading

__all__ = ["VARIANTS", "TOLERANCE", "ANGLE_RANGE", "claims", "check_document", "readings"]

VARIANTS = ("autodrop_paper", "autodrop_uai", "autodrop", "autodrop_net")
TOLERANCE = 0.5                  # accuracy points: "matches" the best manual schedule
ANGLE_RANGE = (90.0, 120.0)
_TEST = "test:tests/test_network_claims.py::"
_NAMES = {"autodrop_paper": "the published rule (released code)",
          "autodrop_uai": "Algorithm 1", "autodrop": "the package's AutoDrop (defaults)",
          "autodrop_net": "the package's network preset"}


def check_document(doc) -> dict:
    """Refuse (AssumptionError naming the field) what is not a network results document with
    the paired comparisons these verdicts read; returns it."""
    if not isinstance(doc, dict) or not isinstance(doc.get("problem"), dict) or \
            doc["problem"].get("name") != "network":
        raise AssumptionError("results: need a results.json of python -m simulations.network "
                              "(problem.name 'network')")
    for key in ("dataset", "models"):
        if key not in doc["problem"]:
            raise AssumptionError(f"results.problem.{key}: missing")
    if not isinstance(doc.get("comparisons"), dict) or not isinstance(doc.get("methods"), dict):
        raise AssumptionError("results.comparisons: missing (a run older than the paired "
                              "comparisons)")
    for model, comp in doc["comparisons"].items():
        for name, c in comp.items():
            if not isinstance(c, dict) or "vs_constant" not in c:
                continue
            for key in ("vs_best_manual", "min_test_error_by_budget", "epochs_to_target_loss"):
                if key not in c:
                    raise AssumptionError(f"results.comparisons.{model}.{name}.{key}: missing")
            _interval(f"results.comparisons.{model}.{name}.vs_best_manual",
                      c["vs_best_manual"])
    return doc


def _interval(path: str, c) -> tuple:
    """(lo, hi) of a paired record, refused unless finite with lo <= mean <= hi."""
    import math
    try:
        lo, hi = (float(x) for x in c["ci"])
        mean = float(c["mean"])
    except (KeyError, TypeError, ValueError):
        raise AssumptionError(f"{path}: need a mean and a 2-number ci") from None
    if not all(math.isfinite(x) for x in (lo, mean, hi)) or not lo <= mean <= hi:
        raise AssumptionError(f"{path}: need finite lo <= mean <= hi, got {lo}, {mean}, {hi}")
    return lo, hi


def _record(c: dict, base: str, *keys):
    """``c[k1][k2]...``, refused by its path where a level is missing."""
    for i, k in enumerate(keys):
        if not isinstance(c, dict) or k not in c:
            raise AssumptionError(f"{base}.{'.'.join(keys[:i + 1])}: missing")
        c = c[k]
    return c


def _fmt(c) -> str:
    return f"{c['mean']:+.2f} [{c['ci'][0]:.2f}, {c['ci'][1]:.2f}]"


def readings(docs, method: str) -> dict:
    """Per network ``dataset/model`` where ``method`` ran (for the tuned ``autodrop_net``: the
    TEST networks only): {"table2", "table16", "faster"} -> (reading, the interval's text;
    every reading computed from its interval, a stored label only checked)."""
    from .nets.splits import TEST_NETWORKS
    out = {}
    for doc in docs:
        dataset = doc["problem"]["dataset"]
        for model, comp in doc["comparisons"].items():
            c = comp.get(method)
            if not isinstance(c, dict) or (method == "autodrop_net"
                                           and (dataset, model) not in TEST_NETWORKS):
                continue
            where = f"{dataset}/{model}"
            base = f"results.comparisons.{model}.{method}"
            lo, hi = _interval(base + ".vs_best_manual", c["vs_best_manual"])
            t2 = "holds" if lo > -TOLERANCE else "false" if hi < -TOLERANCE else "not resolved"
            half = _record(c, base, "min_test_error_by_budget", "0.5", "vs_best_manual")
            _interval(base + ".min_test_error_by_budget.0.5.vs_best_manual", half)
            ep = _record(c, base, "epochs_to_target_loss", "vs_best_manual")
            _interval(base + ".epochs_to_target_loss.vs_best_manual", ep)
            censored = _record(c, base, "epochs_to_target_loss", "censored")
            try:
                own, other = int(censored["method"]), int(censored["best_manual"])
            except (KeyError, TypeError, ValueError):
                raise AssumptionError(f"{base}.epochs_to_target_loss.censored: need the "
                                      "censored seed counts of the method and best_manual") \
                    from None
            # the readings are the intervals' (a stored label is checked, never trusted)
            half_reading = direction(half)
            ep_reading = epochs_reading(ep, own, other)
            for path, rec, reading in (
                    (".min_test_error_by_budget.0.5.vs_best_manual", half, half_reading),
                    (".epochs_to_target_loss.vs_best_manual", ep, ep_reading)):
                if rec.get("reading", reading) != reading:
                    raise AssumptionError(f"{base}{path}.reading: says {rec['reading']!r}, its "
                                          f"interval says {reading!r}")
            sign = {"lower": "holds", "higher": "false", "not resolved": "not resolved"}
            out[where] = {
                "table2": (t2, f"{where} {_fmt(c['vs_best_manual'])} vs {comp['best_manual']}"),
                "table16": (sign[half_reading], f"{where} {_fmt(half)}"),
                "faster": (sign[ep_reading], f"{where} {_fmt(ep)} epochs (censored: {own} of "
                           f"this method's seeds)")}
    return out


def _overall(marks) -> str:
    marks = list(marks)
    if "false" in marks:
        return "false"
    return "holds" if marks and all(m == "holds" for m in marks) else "unchecked"


def _angle(docs):
    """(verdict, note) of the angle's level at the initial rate (``constant``'s) and, for
    the record, at step_decay's lower rates (not judged: those stages are short)."""
    marks, notes = [], []
    for doc in docs:
        dataset = doc["problem"]["dataset"]
        for model in doc["problem"]["models"]:
            const = doc["methods"].get(f"{model}/constant", {}).get("stage_angles")
            if not const:
                continue
            s = const[0]
            lo, hi = _interval(f"results.methods.{model}/constant.stage_angles[0]", s)
            marks.append("holds" if ANGLE_RANGE[0] <= lo and hi <= ANGLE_RANGE[1] else
                         "false" if hi < ANGLE_RANGE[0] or lo > ANGLE_RANGE[1] else
                         "not resolved")
            steps = doc["methods"].get(f"{model}/step_decay", {}).get("stage_angles", [])
            notes.append(f"{dataset}/{model} lr {s['lr']:g}: {s['mean']:.1f} "
                         f"[{lo:.1f}, {hi:.1f}] ({marks[-1]})" + "".join(
                             f"; step_decay lr {t['lr']:g}: {t['mean']:.1f}" for t in steps[1:]))
    return (_overall(marks) if marks else None), "; ".join(notes)


def claims(docs) -> list:
    """The network claims (records as :func:`simulations.paper.claims`'s own: id, verdict,
    evidence, refs, statement, where, note, source "measured") from network results documents
    (each checked by :func:`check_document`)."""
    docs = [check_document(d) for d in docs]
    out = []

    def own(cid, statement, verdict, note, test, where):
        if verdict == "unchecked":
            note = "not resolved by the paired intervals: " + note
        return Claim(cid, statement, verdict, (_TEST + test,), where, note).as_dict() | {
            "source": "measured"}
    for method in VARIANTS:
        r = readings(docs, method)
        if not r:
            continue
        name = _NAMES[method]
        for key, statement, where in (
                ("table2", f"{name} matches the best hand-designed schedule's final test "
                 f"accuracy (within {TOLERANCE:g} points) without tuning", "Table 2"),
                ("table16", f"{name} has a lower minimum test error by half the budget than "
                 "the best hand-designed schedule", "Table 16"),
                ("faster", f"{name} reaches the target training loss in fewer epochs than the "
                 "best hand-designed schedule", "Section 6 (faster training)")):
            marks = [v[key][0] for v in r.values()]
            note = "; ".join(f"{v[key][1]} ({v[key][0]})" for v in r.values())
            out.append(own(f"dl.{key}.{method}", statement, _overall(marks), note,
                           "test_verdicts_follow_the_intervals_and_flip_on_a_corrupted_run",
                           where))
    verdict, note = _angle(docs)
    if verdict is not None:
        out.append(own("dl.angle_level", "at a constant rate the angle between consecutive "
                       "epoch displacements of the parameters saturates in [90, 120] degrees, "
                       "on each network of these runs", verdict, note,
                       "test_the_angle_verdict_reads_constant_s_level",
                       "Section 3, Theorem 3.2 (at network scale)"))
    return out
