"""The network study's paired Table 16 / epochs-to-loss comparisons and the verdicts computed
from them (:mod:`simulations.network_claims`): on synthetic per-seed trajectories put through
the study's own ``summarize`` and ``compare``, each verdict follows its interval, flips when
the run is corrupted, and a damaged document is refused."""

import copy
import json
import re

import numpy as np
import pytest

from autodrop_theory.errors import AssumptionError
from simulations import network, network_claims, readme

E, S = 20, 8


def _traj(acc_shift, loss_scale, angle=105.0, seed=0, never_reach=()):
    """Per-seed records of one method: test accuracy rising to 0.9 + acc_shift (a shared
    per-seed offset of sd 0.002 as paired runs share seeds, and a small own noise), training
    loss 2 exp(-n / loss_scale) (seeds in ``never_reach`` stay above 0.3), a constant rate and
    an angle of ``angle`` degrees with noise of sd 1."""
    shared = np.random.default_rng(1).normal(0, 0.002, (S, 1))
    own = np.random.default_rng(seed + 10).normal(0, 2e-4, (S, E + 1))
    n = np.arange(E + 1)
    acc = (0.9 + acc_shift) * (1 - np.exp(-(n + 1) / 3.0)) + shared + own
    loss = np.tile(2.0 * np.exp(-n / loss_scale), (S, 1))
    loss[list(never_reach)] = 1.0
    ang = angle + np.random.default_rng(seed + 20).normal(0, 1.0, (S, E + 1))
    ang[:, :2] = np.nan
    return {"train_loss": loss, "train_accuracy": acc, "test_loss": loss, "test_accuracy": acc,
            "lr": np.full((S, E), 0.1), "angle_deg": ang}


def _doc(net_shift=0.0, net_speed=4.0, dataset="mnist1d", model="cnn", **kw):
    """A network results document from the study's own summarize and compare: constant,
    wsd (1 point better, faster), autodrop_net (wsd + ``net_shift``)."""
    trajs = {"constant": _traj(0.0, 8.0, seed=1), "wsd": _traj(0.01, 5.0, seed=2),
             "autodrop_net": _traj(0.01 + net_shift, net_speed, seed=3, **kw)}
    blocks = {f"{model}/{m}": network.summarize(t, m, E, 0.3) | {"model": model, "method": m}
              for m, t in trajs.items()}
    return {"problem": {"name": "network", "dataset": dataset, "models": [model],
                        "dims": {model: 100}, "batch_size": 10, "epochs": E, "seeds": S,
                        "steps_per_epoch": 4, "lr": 0.1, "target_loss": 0.3},
            "methods": blocks, "comparisons": {model: network.compare(blocks, model)}}


def _verdicts(doc):
    return {c["id"]: c["verdict"] for c in network_claims.claims([doc])}


def test_paired_table16_and_epochs_to_target_are_differences_over_seeds():
    """The paired columns are the per-seed differences' mean and t interval; a seed that never
    reaches the target counts the budget E, and a censored method is not read as faster."""
    doc = _doc(net_speed=4.0)
    c = doc["comparisons"]["cnn"]["autodrop_net"]
    own = doc["methods"]["cnn/autodrop_net"]["min_test_error_by_budget"]["0.5"]["per_seed"]
    other = doc["methods"]["cnn/wsd"]["min_test_error_by_budget"]["0.5"]["per_seed"]
    half = c["min_test_error_by_budget"]["0.5"]["vs_best_manual"]
    np.testing.assert_allclose(half["mean"], 100 * np.mean(np.subtract(own, other)), rtol=1e-12)
    ep = c["epochs_to_target_loss"]
    # loss 2 exp(-n / s) <= 0.3 first at n = ceil(s ln(20 / 3)): 8 (s = 4) and 10 (s = 5)
    assert ep["vs_best_manual"]["mean"] == pytest.approx(8 - 10)
    assert ep["vs_best_manual"]["reading"] == "lower" and ep["censored"]["method"] == 0
    censored = _doc(net_speed=4.0, never_reach=(0,))
    t = censored["methods"]["cnn/autodrop_net"]["epochs_to_target_loss"]
    assert t["per_seed"][0] is None and t["censored_at"] == E
    assert t["censored"]["mean"] == pytest.approx((E + 7 * 8) / 8)
    cep = censored["comparisons"]["cnn"]["autodrop_net"]["epochs_to_target_loss"]
    assert cep["censored"] == {"method": 1, "best_manual": 0, "constant": 0}
    assert cep["vs_best_manual"]["reading"] == "not resolved"


def test_verdicts_follow_the_intervals_and_flip_on_a_corrupted_run():
    """autodrop_net equal to wsd on a TEST network: Table 2 holds (within 0.5 points), Table 16
    is not resolved; 2 points behind: Table 2 false, Table 16 false; on a TUNE network
    (mnist1d's MLP) the tuned preset is not judged at all."""
    ok = _verdicts(_doc(net_shift=0.0))
    assert ok["dl.table2.autodrop_net"] == "holds"
    assert ok["dl.table16.autodrop_net"] == "unchecked"          # equal: not resolved
    assert ok["dl.faster.autodrop_net"] == "holds"               # 8 epochs against 10
    behind = _verdicts(_doc(net_shift=-0.02, net_speed=9.0))
    assert behind["dl.table2.autodrop_net"] == "false"
    assert behind["dl.table16.autodrop_net"] == "false"
    assert behind["dl.faster.autodrop_net"] == "false"
    ahead = _verdicts(_doc(net_shift=0.02))
    assert ahead["dl.table16.autodrop_net"] == "holds"
    tuned = _verdicts(_doc(model="mlp"))
    assert not any(k.endswith("autodrop_net") for k in tuned)
    neither = _verdicts(_doc(dataset="digits"))         # digits' CNN: in no split
    assert not any(k.endswith("autodrop_net") for k in neither)
    # the verdict is read from the document: an interval edited to lie below -0.5 flips it
    doc = _doc(net_shift=0.0)
    c = doc["comparisons"]["cnn"]["autodrop_net"]["vs_best_manual"]
    c.update(mean=-1.0, ci=[-1.5, -0.6])
    assert _verdicts(doc)["dl.table2.autodrop_net"] == "false"


def test_a_damaged_document_is_refused_naming_the_field():
    doc = _doc()
    bad = copy.deepcopy(doc)
    bad["comparisons"]["cnn"]["autodrop_net"]["vs_best_manual"]["ci"] = [0.5, -0.5]
    with pytest.raises(AssumptionError, match="vs_best_manual: need finite lo <= mean <= hi"):
        network_claims.claims([bad])
    bad = copy.deepcopy(doc)
    del bad["comparisons"]["cnn"]["autodrop_net"]["epochs_to_target_loss"]
    with pytest.raises(AssumptionError, match="autodrop_net.epochs_to_target_loss: missing"):
        network_claims.claims([bad])
    with pytest.raises(AssumptionError, match="problem.name 'network'"):
        network_claims.claims([{"problem": {"name": "paper"}}])
    bad = copy.deepcopy(doc)
    del bad["comparisons"]["cnn"]["autodrop_net"]["min_test_error_by_budget"]["0.5"]
    with pytest.raises(AssumptionError, match=r"min_test_error_by_budget\.0\.5: missing"):
        network_claims.claims([bad])


@pytest.mark.parametrize("path", [("min_test_error_by_budget", "0.5", "vs_best_manual"),
                                  ("epochs_to_target_loss", "vs_best_manual")])
def test_table16_and_faster_are_read_from_their_intervals_not_their_labels(path):
    """An interval edited with its stored reading left alone is refused (the label is checked,
    never trusted); edited with a matching label, the verdict follows the interval."""
    doc = _doc(net_shift=0.0)                  # Table 16 not resolved, faster holds
    claim = "dl.table16.autodrop_net" if path[0].startswith("min") else "dl.faster.autodrop_net"
    rec = doc["comparisons"]["cnn"]["autodrop_net"]
    for k in path:
        rec = rec[k]
    stale = copy.deepcopy(doc)
    srec = stale["comparisons"]["cnn"]["autodrop_net"]
    for k in path:
        srec = srec[k]
    srec.update(mean=3.0, ci=[2.0, 4.0])         # higher: the label still says otherwise
    with pytest.raises(AssumptionError, match="reading: says"):
        network_claims.claims([stale])
    rec.update(mean=3.0, ci=[2.0, 4.0], reading="higher")
    assert _verdicts(doc)[claim] == "false"


def test_the_angle_verdict_reads_constant_s_level():
    """constant's second-half angle at 105 degrees: holds; at 80 (a shifted run): false; a
    band straddling 90 degrees: unchecked."""
    assert _verdicts(_doc())["dl.angle_level"] == "holds"
    doc = _doc()
    stage = doc["methods"]["cnn/constant"]["stage_angles"][0]
    assert stage["ci"][0] > 90 and stage["ci"][1] < 120
    stage.update(mean=80.0, ci=[79.0, 81.0])
    assert _verdicts(doc)["dl.angle_level"] == "false"
    stage.update(mean=90.0, ci=[89.0, 91.0])
    assert _verdicts(doc)["dl.angle_level"] == "unchecked"


def test_the_paper_study_loads_network_runs_to_join_their_verdicts(tmp_path):
    """``simulations.paper --network PATH``: a network results.json is read and checked
    before the study runs; another study's document is refused in one line naming the
    flag."""
    from simulations import cli, paper
    from simulations.results import Results
    from simulations.provenance import metadata
    doc = _doc()
    doc["claims"] = network_claims.claims([doc])
    doc["meta"] = metadata({}, 0, False, 0.0)
    Results(doc).save(tmp_path / "net")
    loaded = paper.load_network(str(tmp_path / "net" / "results.json"))
    assert [c["id"] for c in network_claims.claims(loaded)] == [c["id"] for c in doc["claims"]]
    assert paper.load_network(None) is None
    Results({"problem": {"name": "paper"}, "methods": {}}).save(tmp_path / "other")
    with pytest.raises(cli.CliError, match="^--network: "):
        paper.load_network(str(tmp_path / "other"))


# ------------------------------------------- the page's verdict table against the computed ones
_PAGE = readme.ROOT / "docs" / "studies" / "network.md"
_VERDICT_LINE = re.compile(r"^  (dl\.[\w.]+): (.*)$")
_MARK = re.compile(r"\((holds|false|not resolved)\)")


def _computed(stored_runs) -> dict:
    """Claim id -> verdict over every network of the stored network block's runs (each run
    prints, per claim, one reading per network in parentheses), combined by the study's own
    rule (:func:`simulations.network_claims._overall`)."""
    marks = {}
    for run in stored_runs:
        for line in run["stdout"].splitlines():
            m = _VERDICT_LINE.match(line)
            if m:
                marks.setdefault(m.group(1), []).extend(_MARK.findall(m.group(2)))
    return {cid: network_claims._overall(ms) for cid, ms in marks.items()}


def _typed(page_text) -> dict:
    """Claim id -> the verdict typed on the page: every row of the "What holds" table whose
    claim cell names `dl.*` ids (a trailing * standing for every variant) and whose verdict
    cell starts with holds, false or unchecked."""
    typed = {}
    for line in page_text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "`dl." not in cells[0]:
            continue
        word = re.match(r"(holds|false|unchecked)\b", cells[1])
        assert word, f"verdict cell does not start with a verdict: {cells[1][:60]!r}"
        for cid in re.findall(r"`(dl\.[\w.*]+)`", cells[0]):
            typed[cid] = word.group(1)
    return typed


def _mismatches(typed, computed) -> list:
    """Claims whose typed verdict is not the computed one, computed claims the page does not
    type (a `dl.x.*` row types every variant of dl.x), and typed ids no run computed."""
    bad = []
    for cid, verdict in computed.items():
        row = typed.get(cid, typed.get(cid.rsplit(".", 1)[0] + ".*"))
        if row != verdict:
            bad.append(f"{cid}: page {row}, computed {verdict}")
    for cid in typed:            # a typed id no run computes (a typo, a claim never measured)
        if not any(c == cid or (cid.endswith(".*") and c.startswith(cid[:-1]))
                   for c in computed):
            bad.append(f"{cid}: typed on the page, computed by no run")
    return bad


def test_the_pages_verdict_table_types_the_computed_verdicts():
    """The verdicts typed in docs/studies/network.md's table are those the network block's
    stored runs computed (docs/readme_outputs.json), combined over the networks as the page
    states; a flipped verdict on the page, or a flipped reading in a run, is caught."""
    runs = json.loads(readme.OUTPUTS.read_text())["network"]["runs"]
    computed, page = _computed(runs), _PAGE.read_text()
    assert {c.split(".")[1] for c in computed} >= {"table2", "table16", "faster"}
    assert "dl.angle_level" in computed
    assert _mismatches(_typed(page), computed) == []
    # the check can fail: one typed verdict flipped, or one run's reading flipped
    cid = next(c for c, v in computed.items() if v == "unchecked")
    flipped = dict(_typed(page), **{cid: "holds"})
    assert _mismatches(flipped, computed) == [f"{cid}: page holds, computed unchecked"]
    typo = dict(_typed(page), **{"dl.tabel2.autodrop": "false"})
    assert _mismatches(typo, computed) == ["dl.tabel2.autodrop: typed on the page, computed by "
                                           "no run"]
    line = next(ln for r in runs for ln in r["stdout"].splitlines()
                if ln.startswith(f"  {cid}:"))
    corrupted = [{"stdout": r["stdout"].replace(line, line.replace("(not resolved)", "(false)",
                                                                    1))} for r in runs]
    assert _mismatches(_typed(page), _computed(corrupted))


def test_the_readme_quotes_the_network_gaps_from_the_stored_runs():
    """The README's network sentence quotes the stored block's paired intervals against the best
    hand-designed schedule, negated ("points behind"): the published rule on the MNIST-1D MLP and
    CNN (the default run), then the network preset on the MNIST-1D CNN and the mnist1d_b CNN."""
    text = " ".join((readme.ROOT / "README.md").read_text().split())
    # mnist1d_b's CNN, then the default run
    first, default = json.loads(readme.OUTPUTS.read_text())["network"]["runs"]

    def behind(stdout, model, method):
        row = next(ln for ln in stdout.splitlines()
                   if re.match(rf"{model}: {method}\s+-?[\d.]+ \[", ln))
        mean, lo, hi = map(float, re.match(rf"{model}: {method}\s+(-?[\d.]+) \[(-?[\d.]+), "
                                           r"(-?[\d.]+)\]", row).groups())
        return f"{-mean:.2f} [{-hi:.2f}, {-lo:.2f}]"
    published = [behind(default["stdout"], m, "autodrop_paper") for m in ("mlp", "cnn")]
    preset = [behind(r["stdout"], "cnn", "autodrop_net") for r in (default, first)]
    assert (f"Table 2 ({published[0]} and {published[1]} points behind the best hand-designed "
            "schedule)") in text
    assert f"network preset ends {preset[0]} and {preset[1]} points behind it" in text
