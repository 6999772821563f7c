"""The curated mutants of ``tools/mutation.py``: one meaningful edit each, with the tests that
cover the edited module.  ``equivalent`` says why a mutant cannot be killed (it must then
survive); every other mutant must be killed."""

from typing import NamedTuple, Optional


class Mutant(NamedTuple):
    id: str
    kind: str
    file: str
    old: str
    new: str
    tests: tuple
    equivalent: Optional[str] = None


CHECK = "proofs/checker.py"
PROOF_TESTS = ("tests/test_proofs.py",)
BOUND_TESTS = ("tests/test_bound_edges.py", "tests/test_bounds.py", "tests/test_properties.py")
SCHED_TESTS = ("tests/test_schedule_bounds.py", "tests/test_properties.py")
RULE_TESTS = ("tests/test_rule.py", "tests/test_rule_rate.py")
THEORY_TESTS = ("tests/test_angular.py", "tests/test_angular_montecarlo.py",
                "tests/test_simulation_theory.py")


def _group(kind, file, tests):
    """A constructor for the mutants of one file: (id, old, new, equivalent=None) -> Mutant."""
    return lambda id, old, new, equivalent=None: Mutant(id, kind, file, old, new, tests,
                                                        equivalent)


_c = _group("checker", CHECK, PROOF_TESTS)
_b = _group("bound", "autodrop_theory/bounds.py", BOUND_TESTS)
_s = _group("schedule", "autodrop_theory/stagewise.py", BOUND_TESTS[:2])
_r = _group("rule", "autodrop_theory/rule.py", RULE_TESTS)
_a = _group("theory", "autodrop_theory/angular.py", THEORY_TESTS)


MUTANTS = [
    # ------------------------------------------------------------------ the proof checker
    _c("checker.square_in_eq_step",
       '            if step.relation == "=":\n                return "an \'=\' step may use '
       'equality facts only, got a Square (an inequality)"\n', ""),
    _c("checker.complex_exponent",
       "        if e.is_real is not True:       # b**(I pi / log b) = -1: a complex exponent is "
       "refused\n            return False\n", ""),
    _c("checker.undefined_guard",
       "    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):\n        return False                "
       "    # undefined, infinite or complex: never nonnegative\n", "",
       "defence in depth: each of these values is also refused by the number rule (is_real is "
       "not True) and the power rule (a non-real exponent)"),
    _c("checker.sum_limits",
       "        return visibly_nonnegative(expr.function, atoms, depth) and all(\n"
       "            visibly_nonnegative(hi - lo + 1, atoms, depth) for _, lo, hi in expr.limits)",
       "        return visibly_nonnegative(expr.function, atoms, depth)"),
    _c("checker.induction_defined", "                if any(_undefined_in(t, n) for t in terms):",
       "                if False:",
       "defence in depth: a denominator in n that may vanish, e.g. (n + 1)/n, is also refused by "
       "the rule that every denominator be visibly nonzero under the strict assumptions (which "
       "covers every symbol, the induction variable included)"),
    _c("checker.reductions", "    problems += _reduction_problems(proof, atoms)\n", ""),
    _c("checker.square_multiplier_sign",
       '            if not visibly_nonnegative(mult, atoms):\n                return f"multiplier '
       '{mult} of a square is not visibly nonnegative"',
       '            if False:\n                return ""'),
    _c("checker.hypothesis_as_equality",
       '"eq" if proof.relation == "=" else "ge", "induction hypothesis at n")',
       '"eq", "induction hypothesis at n")'),
    _c("checker.hypotheses_unchecked", "    problems += _hypothesis_problems(proof)\n", ""),
    _c("checker.eq_step_ge_fact",
       "        if step.relation == \"=\" and fact.kind != \"eq\":\n            return f\"an '=' "
       "step may use equality facts only, got {item!r}\"\n", ""),
    _c("checker.residual_sign",
       '    if not visibly_nonnegative(step.residual, atoms):\n        return f"residual '
       '{step.residual} is not visibly nonnegative"\n', ""),
    _c("checker.ge_multiplier_sign",
       '        if fact.kind in ("ge", "gt") and not visibly_nonnegative(mult, atoms):',
       '        if False:'),
    _c("checker.unused_facts",
       '    if unused:\n        problems.append(f"facts never used: {\', \'.join(unused)}")',
       "    pass"),
    _c("checker.citation_statement",
       '                if not _is_zero(stmt - f.expr) or (cited.relation == "=") != '
       '(f.kind == "eq"):', "                if False:"),
    _c("checker.citation_cycle", "            elif f.cites in _seen + (proof.name,):",
       "            elif False:"),
    _c("checker.quick_rejection",
       "    if _exactly_nonzero_somewhere(expr, reductions):\n        return False\n", "",
       "a fast exact rejection: without it the same expression is still decided by expansion "
       "and simplification, with the same answer"),
    _c("checker.numbers_nonnegative",
       "        return expr.is_real is True and bool(expr >= 0)\n    if any(_is_zero(expr - a) "
       "for a in atoms):",
       "        return True\n    if any(_is_zero(expr - a) for a in atoms):"),
    _c("checker.even_power_real_base",
       "            return base.is_real is True\n        if e.is_real is not True:",
       "            return True\n        if e.is_real is not True:"),
    _c("checker.exp_real_argument",
       "        return expr.args[0].is_real is True\n    if expr.is_Pow:\n        base, e = "
       "expr.args",
       "        return True\n    if expr.is_Pow:\n        base, e = expr.args"),
    _c("checker.chain_end", "    if not ok_end:", "    if False:"),
    _c("checker.weaker_than_claimed", '    if rel == "<=" and proof.relation == "=":',
       "    if False:"),
    _c("checker.sign_moves_wrongly", "visibly_nonnegative(sp.expand(coeff * f), atoms, depth - 1)",
       "visibly_nonnegative(sp.expand(-coeff * f), atoms, depth - 1)"),
    _c("checker.square_expansion_coefficient",
       "    return sp.expand(sum(sq.coeffs[i] * sq.coeffs[j] * gram[i][j]",
       "    return sp.expand(sum(sq.coeffs[i] * sq.coeffs[i] * gram[i][j]"),
    _c("checker.citation_hypotheses",
       "            problems += _citation_problems(proof, f, cited, others)", "            pass"),
    _c("checker.denominators", "    problems += _denominator_problems(proof, atoms)\n", ""),
    _c("checker.consistency", "    if witness(proof, list(facts.values())) is None:",
       "    if False:"),
    # ------------------------------------------------------------------ statements of theorems
    Mutant("statement.sgd_one_step_relaxed", "statement", "proofs/sgd_one_step.py",
           "S.Gt(eta, 0), S.Le(eta * L, 1), S.Ge(s2, 0)),\n)",
           "S.Gt(eta, 0), S.Le(eta * L, 2), S.Ge(s2, 0)),\n)", PROOF_TESTS),
    Mutant("statement.stagewise_budget", "statement", "proofs/stagewise.py",
           "    assumptions=_common + (S.Gt(T, T0),),", "    assumptions=_common,", PROOF_TESTS),
    Mutant("statement.guard_rate_budget", "statement", "proofs/autodrop_guard.py",
           "S.Ge(c, 0), S.Gt(T, T0p + 3 * K * J)),", "S.Ge(c, 0)),", PROOF_TESTS),
    Mutant("statement.sgd_one_step_rate", "statement", "proofs/sgd_one_step.py",
           "rhs=(1 - eta * mu) * r + eta ** 2 * s2,", "rhs=(1 - 2 * eta * mu) * r + eta ** 2 * s2,",
           PROOF_TESTS),
    Mutant("statement.contradictory_fact", "statement", "proofs/stationary_angle.py",
           '    lhs=sp.Rational(-1, 2), relation="<=", rhs=cos_alpha,\n    facts=(Fact('
           '"weights_positive", Wsum,',
           '    lhs=sp.Rational(-1, 2), relation="<=", rhs=cos_alpha,\n    facts=(Fact('
           '"weights_positive", -Wsum,', PROOF_TESTS),
    # ------------------------------------------------------------------ bounds
    _b("bound.stagewise_T_strict",
       "_Gt(S.T, STAGEWISE_FIRST_STAGE)),", "_Ge(S.T, STAGEWISE_FIRST_STAGE)),"),
    _b("bound.finite_sum_mu_le_L",
       "conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr, 0), _Ge(S.sigma_star_sq, 0),",
       "conditions=(_Gt(S.mu, 0), _Gt(S.lr, 0), _Ge(S.sigma_star_sq, 0),"),
    _b("bound.complexity_stagewise_rho",
       "STAGEWISE_CONSTANT * S.sigma_sq / (S.rho * S.mu ** 2 * S.eps)",
       "STAGEWISE_CONSTANT * S.sigma_sq / (S.mu ** 2 * S.eps)"),
    _b("bound.constant_step_noise",
       "expr=(1 - S.lr * S.mu) ** S.t * S.r0_sq + S.lr * S.sigma_sq / S.mu,",
       "expr=(1 - S.lr * S.mu) ** S.t * S.r0_sq + S.lr * S.sigma_sq / (2 * S.mu),"),
    _b("bound.constant_step_condition",
       "_Le(S.lr * S.L, 1),\n                _Ge(S.sigma_sq, 0), _Ge(S.r0_sq, 0), "
       "_Ge(S.t, 0)),",
           "_Le(S.lr * S.L, 2),\n                _Ge(S.sigma_sq, 0), _Ge(S.r0_sq, 0), "
           "_Ge(S.t, 0)),"),
    _b("bound.cramer_rao_factor",
       "_term_cr = S.c / (S.h ** 2 * S.t)", "_term_cr = S.c / (2 * S.h ** 2 * S.t)"),
    _b("bound.finite_sum_spread",
       "    + (S.L - S.mu) * S.lr * sp.sqrt(", "    + (S.L + S.mu) * S.lr * sp.sqrt("),
    _b("bound.finite_sum_quarter",
       "(2 - S.lr * (S.mu + S.L)) ** 2 * S.r0_sq ** 2 / 4",
       "(2 - S.lr * (S.mu + S.L)) ** 2 * S.r0_sq ** 2 / 2"),
    _b("bound.complexity_constant_condition",
       "_Le(S.lr * S.L, 1),\n                _Ge(S.sigma_sq, 0), _Gt(S.r0_sq, 0), _Gt(S.eps, "
       "_floor),",
       "_Le(S.lr * S.L, 2),\n                _Ge(S.sigma_sq, 0), _Gt(S.r0_sq, 0), _Gt(S.eps, "
       "_floor),"),
    _b("bound.quadratic_exact_strict",
       "conditions=(_Gt(S.h, 0), _Lt(S.lr * S.h, 2), _Gt(S.lr, 0), _Ge(S.c, 0),",
       "conditions=(_Gt(S.h, 0), _Le(S.lr * S.h, 2), _Gt(S.lr, 0), _Ge(S.c, 0),"),
    _b("bound.cramer_rao_t",
       "conditions=(_Gt(S.h, 0), _Ge(S.c, 0), _Ge(S.t, 1)),",
       "conditions=(_Gt(S.h, 0), _Ge(S.c, 0), _Ge(S.t, 0)),"),
    Mutant("bound.schedule_step_condition", "bound", "autodrop_theory/schedule_bounds.py",
           "_Le(S.lr_t * (S.mu + S.L), 2),", "_Le(S.lr_t * (S.mu + S.L), 3),", SCHED_TESTS),
    Mutant("bound.adaptive_mu_condition", "bound", "autodrop_theory/schedule_bounds.py",
           "    conditions=_sched_conditions + (_Lt(S.lr_t * S.mu, 1),),",
           "    conditions=_sched_conditions,", SCHED_TESTS),
    # ------------------------------------------------------------------ the stage-wise schedule
    _s("stagewise.stage_length_log",
       "rest = np.ceil(math.log(2.0 / rho)", "rest = np.ceil(math.log(1.0 / rho)"),
    _s("stagewise.first_stage_floor",
       "return int(math.ceil(steps))", "return int(math.floor(steps))"),
    _s("stagewise.rates_shifted",
       "rates = lr * rho ** np.arange(stages)", "rates = lr * rho ** np.arange(1, stages + 1)"),
    # ------------------------------------------------------------------ the rule
    _r("rule.trigger_non_strict",
       "steady = jnp.abs(angle - state.prev_angle_deg) < state.theta",
       "steady = jnp.abs(angle - state.prev_angle_deg) <= state.theta"),
    _r("rule.guard_strict",
       "((angle >= hp.guard_deg) | ~jnp.asarray(epoch_guard, bool)))",
           "((angle > hp.guard_deg) | ~jnp.asarray(epoch_guard, bool)))"),
    _r("rule.dropped_reports_firings",
       "drop.astype(jnp.int32), dropped=lowered,", "drop.astype(jnp.int32), dropped=drop,"),
    _r("rule.theta_grows_on_lowerings_only",
       "theta=jnp.where(drop, jnp.minimum", "theta=jnp.where(lowered, jnp.minimum"),
    _r("rule.floor_tolerance",
       "(1 + 4 * jnp.finfo(dt).eps", "(1 + 16 * jnp.finfo(dt).eps"),
    _r("rule.tail_weights",
       "weights = jnp.maximum(w * (w + 1) / 2, 1)",
       "weights = jnp.maximum(w * (w + 1), 1)"),
    _r("rule.theta_cap",
       "theta=jnp.where(drop, jnp.minimum(state.theta_max",
       "theta=jnp.where(drop, jnp.maximum(state.theta_max"),
    _r("rule.wait_one_more",
       "due = triggered & (wait >= target) & long_enough",
       "due = triggered & (wait > target) & long_enough"),
    _r("rule.trigger_one_epoch_early",
       "fires = ((snapshots >= 4)", "fires = ((snapshots >= 3)",
       "at the third snapshot the previous angle is still undefined (NaN), and a comparison "
       "with NaN is false: the trigger cannot fire there either way"),
    _r("rule.drop_squared",
       "jnp.maximum(min_lr, rho * state.lr), state.lr)",
           "jnp.maximum(min_lr, rho * rho * state.lr), state.lr)"),
    _r("rule.unweighted_accumulation",
       "state.accum + wait.astype(dt) * x, state.accum)", "state.accum + x, state.accum)"),
    _r("rule.displacement_from_pre_jump",
       "x_prev=obs + (x_new - x), x_prev2=state.x_prev)", "x_prev=obs, x_prev2=state.x_prev)"),
    _r("rule.stage_growth_never_recorded",
       "prev_stage_epochs=jnp.where(drop, stage_epochs, state.prev_stage_epochs)",
       "prev_stage_epochs=state.prev_stage_epochs"),
    _r("rule.delay_from_all_epochs",
       "n = (stage_epochs - wait).astype(dt)", "n = (snapshots - wait).astype(dt)"),
    _r("rule.saturation_average_of_jumped_points",
       "avg_sum = jnp.where(add, avg_sum + x, avg_sum)",
       "avg_sum = jnp.where(add, avg_sum + x_new, avg_sum)"),
    _r("rule.observed_ignored",
       "angle_deg(obs - state.x_prev, state.x_prev - state.x_prev2, hp.eps)",
       "angle_deg(x - state.x_prev, state.x_prev - state.x_prev2, hp.eps)"),
    _r("rule.confirmation_ignored",
       "drop = due & confirmed", "drop = due"),
    _r("rule.confirmation_at_the_end",
       "(wait == jnp.maximum((jnp.maximum(target, grown) + 1) // 2,\n",
       "(wait == jnp.maximum((jnp.maximum(target, grown) + 0) // 1,\n"),
    _r("rule.epoch_guard_ignored",
       "((angle >= hp.guard_deg) | ~jnp.asarray(epoch_guard, bool))", "(angle >= hp.guard_deg)"),
    _r("rule.confirmation_midpoint_without_growth",
       "(wait == jnp.maximum((jnp.maximum(target, grown) + 1) // 2,\n",
       "(wait == jnp.maximum((target + 1) // 2,\n"),
    _r("rule.step_samples_not_in_the_wait",
       "new[\"avg_sum\"] = jnp.where(add, state.avg_sum + x, state.avg_sum)",
       "new[\"avg_sum\"] = state.avg_sum"),
    _r("rule.early_weights_uniform",
       "w = jnp.asarray(count, dt) * epoch.astype(dt) ** hp.early_power",
       "w = jnp.asarray(count, dt)"),
    _r("rule.early_step_epoch_off_by_one",
       "new.update(_early(state, x, count, state.snapshots, True))",
       "new.update(_early(state, x, count, state.snapshots + 1, True))"),
    # ------------------------------------------------------------------ closed forms (§2c, §4)
    Mutant("theory.epoch_noise_factor", "theory", "autodrop_theory/quadratic.py",
           "return alpha, lr * lr * c * s", "return alpha, lr * c * s", THEORY_TESTS),
    Mutant("theory.stability_edge", "theory", "autodrop_theory/quadratic.py",
           "    if top >= 2.0:", "    if top > 2.0:",
           THEORY_TESTS + ("tests/test_library_refusals.py",)),
    _a("theory.stationary_weights",
       "    w = q / (1.0 + alpha)", "    w = q * (1.0 + alpha)"),
    _a("theory.stationary_denominator",
       "    den = 2.0 * w.sum()", "    den = 1.0 * w.sum()"),
    _a("theory.isserlis_mean_term",
       "                             + m[..., a] * m[..., c] * S[..., b, e]\n", ""),
    _a("theory.window_mean_static",
       "        m[n + 1] = alpha[n] * m[n]", "        m[n + 1] = m[n]"),
    _a("theory.isserlis_covariance",
       "cz[..., p, r] = (S[..., a, c] * S[..., b, e] + S[..., a, e] * S[..., b, c]",
       "cz[..., p, r] = (2 * S[..., a, c] * S[..., b, e]"),
    _a("theory.angle_gradient",
       "k * r / (2 * B), k * r / (2 * C)", "k * r / B, k * r / (2 * C)"),
]
