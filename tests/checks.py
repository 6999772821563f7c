"""The one helper per comparison shape (PEPit style): a bound against an observation."""

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


def assert_redraws(folder):
    """The results.json in ``folder`` alone redraws every figure the command wrote there."""
    from pathlib import Path

    from simulations import figures
    from simulations.results import Results
    folder = Path(folder)
    written = sorted(p.name for p in folder.iterdir() if p.suffix in (".pdf", ".png"))
    assert written, f"no figures in {folder}"
    redrawn = figures.draw(Results.load(folder), folder / "redrawn")
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
