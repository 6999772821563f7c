"""The one helper per comparison shape (PEPit style): a bound against an observation."""

import contextlib
from pathlib import Path

import numpy as np


def respects(kind: str, bound, observed, se=0.0, n_se: float = 4.0, rtol: float = 1e-9):
    """Whether ``observed`` (exact, or a Monte Carlo mean with standard error ``se``) respects
    ``bound`` of the given kind:
        upper:  observed - n_se * se <= bound (1 + rtol)
        lower:  observed + n_se * se >= bound (1 - rtol)
        tight:  |observed - bound| <= n_se * se + rtol |bound|
    Returns a boolean array (broadcast)."""
    b, o = np.asarray(bound, float), np.asarray(observed, float)
    slack = n_se * np.asarray(se, float)
    if kind == "upper":
        return o - slack <= b + rtol * np.abs(b)
    if kind == "lower":
        return o + slack >= b - rtol * np.abs(b)
    if kind == "tight":
        return np.abs(o - b) <= slack + rtol * np.abs(b)
    raise ValueError(f"kind: need upper, lower or tight, got {kind!r}")


def assert_respects(kind, bound, observed, se=0.0, n_se=4.0, rtol=1e-9, what=""):
    ok = respects(kind, bound, observed, se, n_se, rtol)
    if not np.all(ok):
        i = np.flatnonzero(~np.ravel(ok))[0]
        b = np.ravel(np.broadcast_to(np.asarray(bound, float), np.shape(ok)))[i]
        o = np.ravel(np.broadcast_to(np.asarray(observed, float), np.shape(ok)))[i]
        raise AssertionError(f"{what}: {kind} bound {b!r} not respected by observed {o!r} "
                             f"(index {i}, se {se!r})")


def figure_problems(fig, min_pt: float = 6.0) -> list:
    """What makes a figure unreadable, as found on the drawn figure (one string per problem):
    visible text smaller than ``min_pt``; a legend whose box holds a plotted point, band vertex
    or image pixel of any axes (the data a reader would look for under it); two visible texts
    whose boxes overlap (tick labels, axis labels, titles, legend entries, annotations)."""
    import matplotlib.collections as mcoll
    import matplotlib.image as mimage
    import matplotlib.lines as mlines
    import matplotlib.text as mtext
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    undrawn = set()      # tick labels of ticks outside the view: matplotlib does not draw them
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    texts = [t for t in fig.findobj(mtext.Text) if t.get_visible() and t.get_text().strip()
             and t.figure is not None and id(t) not in undrawn]
    problems += [f"text {t.get_text()!r} at {t.get_fontsize():.1f} pt" for t in texts
                 if t.get_fontsize() < min_pt]
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for ax in fig.axes:
            inside_axes = ax.get_window_extent(renderer)
            points = []
            for line in ax.lines:           # vertices, and 8 points along each segment
                xy = line.get_transform().transform(line.get_xydata())
                if line.get_linestyle() not in ("None", "none", "", " ") and len(xy) > 1:
                    f = np.linspace(0, 1, 9)[:, None, None]
                    xy = np.concatenate([xy, (xy[:-1] + f * (xy[1:] - xy[:-1])).reshape(-1, 2)])
                points.append(xy)
            for coll in ax.collections:
                if isinstance(coll, mcoll.PolyCollection):
                    for path in coll.get_paths():
                        points.append(coll.get_transform().transform(path.vertices))
            def within(pts, bb):
                return ((bb.x0 <= pts[:, 0]) & (pts[:, 0] <= bb.x1) & (bb.y0 <= pts[:, 1])
                        & (pts[:, 1] <= bb.y1))
            for pts in points:
                pts = pts[np.all(np.isfinite(pts), axis=1)]
                if np.any(within(pts, inside_axes) & within(pts, box)):
                    problems.append(f"legend over the data of axes {ax.get_title()!r}")
                    break
            for im in ax.images:
                if isinstance(im, mimage.AxesImage) and box.overlaps(
                        im.get_window_extent(renderer)):
                    problems.append("legend over an image")
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for i, (t, a) in enumerate(boxes):
        for u, b in boxes[i + 1:]:
            if a.overlaps(b) and min(a.width, b.width) > 0:
                inter_w = min(a.x1, b.x1) - max(a.x0, b.x0)
                inter_h = min(a.y1, b.y1) - max(a.y0, b.y0)
                if inter_w > 1 and inter_h > 1:      # more than a pixel each way
                    problems.append(f"texts {t.get_text()!r} and {u.get_text()!r} overlap")
    return problems


@contextlib.contextmanager
def checked_figures():
    """While open, every figure the package saves is checked by :func:`figure_problems` as it
    is saved; yields {stem: (figure, problems)}."""
    from simulations import figure_style
    save, found = figure_style.save_figure, {}

    def checked_save(fig, where, stem):
        found[stem] = (fig, figure_problems(fig))
        return save(fig, where, stem)
    figure_style.save_figure = checked_save    # every figure is saved through this one
    try:
        yield found
    finally:
        figure_style.save_figure = save


def assert_redraws(folder, expected=None):
    """The results.json in ``folder`` alone redraws every figure the command wrote there (or,
    for a run with --no-figures, the figures named in ``expected``), and every figure passes
    :func:`figure_problems` (checked on each figure as it is saved)."""
    from pathlib import Path

    from simulations import figures
    from simulations.results import Results
    folder = Path(folder)
    written = sorted(p.name for p in folder.iterdir() if p.suffix in (".pdf", ".png"))
    if expected is not None:
        assert written == [], "the run was to write no figures"
        written = sorted(f"{stem}.{ext}" for stem in expected for ext in ("pdf", "png"))
    assert written, f"no figures in {folder}"
    with checked_figures() as found:
        redrawn = figures.draw(Results.load(folder), folder / "redrawn")
    bad = {k: problems for k, (_, problems) in found.items() if problems}
    assert bad == {}, bad
    assert sorted(p.name for p in redrawn) == written
    for p in redrawn:
        assert p.stat().st_size > 1000


def assert_valid_results(folder):
    """The results.json in ``folder`` validates against docs/results.schema.json."""
    import json
    from pathlib import Path

    import jsonschema
    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" /
                         "results.schema.json").read_text())
    doc = json.loads((Path(folder) / "results.json").read_text())
    jsonschema.validate(doc, schema)


def assert_refused(main, argv, needle, tmp_path, capsys):
    """A command refuses ``argv``: exit status 2, one line on stderr containing ``needle``, and
    nothing written into the output folder (``--out`` added unless ``argv`` names one)."""
    out = tmp_path / "out"
    extra = [] if "--out" in argv else ["--out", str(out)]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not out.exists()


RESULTS_RUN = Path(__file__).resolve().parent / "results_run.json"   # a tiny valid run


def _damage(doc, path, value):
    """A copy of ``doc`` with the field at ``path`` (keys and indices) set to ``value``
    (deleted where ``value`` is DELETE)."""
    import copy
    if not path:                         # the whole document replaced
        return copy.deepcopy(value)
    doc = copy.deepcopy(doc)
    obj = doc
    for k in path[:-1]:
        obj = obj[k]
    if value is DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value(obj[path[-1]]) if callable(value) else value
    return doc


DELETE = object()
# name -> (where, what), and the field the refusal must name
DAMAGES = {
    "only an empty methods block": (((), {"methods": {}}), "methods"),
    "a list, not an object": (((), [1, 2]), "results"),
    "methods empty": ((("methods",), {}), "methods"),
    "methods missing": ((("methods",), DELETE), "results.methods"),
    "methods a list": ((("methods",), []), "methods"),
    "method not an object": ((("methods", "constant"), 3), "methods.constant"),
    "field missing": ((("methods", "constant", "lr"), DELETE), "methods.constant.lr"),
    "seed0 missing": ((("methods", "autodrop", "seed0"), DELETE), "methods.autodrop.seed0"),
    "unequal lengths": ((("methods", "constant", "mean_sq_dist"), lambda a: a[:-1]),
                        "methods.constant.mean_sq_dist"),
    "text in a series": ((("methods", "constant", "angle_deg", 2), "abc"),
                         "methods.constant.angle_deg[2]"),
    "nan iteration": ((("methods", "autodrop", "iterations", 1), float("nan")),
                      "methods.autodrop.iterations[1]"),
    "fractional drop epoch": ((("methods", "constant", "drop_epochs"), [[1.5]]),
                              "methods.constant.drop_epochs[0][0]"),
    "no drop rows": ((("methods", "constant", "drop_epochs"), []),
                     "methods.constant.drop_epochs"),
    "band of one": ((("methods", "constant", "angle_deg_ci", 0), [1.0]),
                    "methods.constant.angle_deg_ci[0]"),
    "steps zero": ((("problem", "steps_per_epoch"), 0), "problem.steps_per_epoch"),
    "theory shorter": ((("theory", "exact_sq_dist_constant"), [1.0]),
                       "theory.exact_sq_dist_constant"),
    "meta missing (schema)": ((("meta",), DELETE), "results.meta"),
    "meta wrong type (schema)": ((("meta", "x64"), "yes"), "meta.x64"),
    # a field only the schema reads: named, not the whole document ("no branch of oneOf")
    "first drop not an object (schema)": ((("methods", "constant", "first_drop_epoch"), None),
                                          "methods.constant.first_drop_epoch"),
    # a run recorded as a study's output: checked (and drawn) as that study, not drawn as a run
    # after a check as a run (was a KeyError in the study's figures)
    "angular's command on a run": ((("meta", "command"), "python -m simulations.angular"),
                                   "theory.stationary_vs_kappa"),
    "network's command on a run": ((("meta", "command"), "python -m simulations.network"),
                                   "problem.models"),
}


def damaged_results(name):
    """The tiny valid run with the damage ``name`` of :data:`DAMAGES`, as a dict."""
    import json
    (path, value), _ = DAMAGES[name]
    return _damage(json.loads(RESULTS_RUN.read_text()), path, value)


@contextlib.contextmanager
def no_compilation():
    """Fail if JAX compiles anything inside the block (jax.log_compiles' records): a refusal
    must come before any JAX work.  Use shapes no earlier call compiled for (a cached program
    is not compiled again, so a late refusal on familiar shapes would go unseen)."""
    import logging

    import jax
    records = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles(True):
            yield
    finally:
        logger.removeHandler(handler)
    compiled = [r.getMessage()[:80] for r in records if "Compiling" in r.getMessage()]
    assert compiled == [], f"compiled before refusing: {compiled}"


def canonical_relations(rels, subs=(), rename=None, skip_applied=False):
    """A set of sympy relations in one canonical form {(kind, lhs - rhs)} (a <= b read as
    b >= a; ``subs`` applied first; with ``rename`` (a dict, possibly empty) symbols become
    plain symbols by name, renamed where it says); relations that
    the symbols' declared domains already give (lr > 0 for a positive lr) are dropped, and with
    ``skip_applied`` those about applied functions (a rate sequence) too."""
    import sympy as sp
    out = set()
    for rel in rels:
        rel = rel.subs(dict(subs), simultaneous=True)
        if rel is sp.true or (skip_applied and rel.atoms(sp.core.function.AppliedUndef)):
            continue
        if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
            rel = rel.reversed
        diff = sp.expand(rel.lhs - rel.rhs)
        if (diff.is_positive if isinstance(rel, sp.StrictGreaterThan) else diff.is_nonnegative):
            continue
        if rename is not None:      # symbols by name only (their declared domains dropped)
            names = {x: sp.Symbol(rename.get(str(x), str(x))) for x in diff.free_symbols}
            diff = sp.expand(diff.subs(names, simultaneous=True))
        out.add((type(rel).__name__, diff))
    return out
