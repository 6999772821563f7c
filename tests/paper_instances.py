"""Instances for the model facts, definitions and stated lemmas of the paper's proofs
(proofs.paper_thm32, proofs.paper_thm51, proofs.paper_stages), used by tests/test_lemmas.py:
each fact's symbols computed from what they mean by code independent of the proofs.

- NQM, one coordinate: the iterate and the steps are linear in the Gaussian noises c_0..c_t, so
  every second moment is a quadratic form in their (diagonal) covariance, computed exactly.
- UM on f(x) = w |x - c| with a two-point noise +-sd: every expectation is an exact average
  over all 2^T noise paths; the quantities of the one-step inequality at a random step t.
- Sums (SF, W, SA, the harmonic sums, T_n) summed term by term; schedules satisfying
  condition (10) or Lemma 12.1's hypothesis drawn at random.
"""

import itertools

import numpy as np

N = 200


def _nqm(rng, t=1500):
    """Per coordinate: a, alpha (0 < alpha a < 2), sig_sq; x_0 = 0; moments at step t."""
    out = {k: [] for k in ("a", "alpha", "sig_sq", "v", "m_xx", "m_xc0", "m_xc1", "m_c0c1",
                           "m_c0c0", "I_i", "S_i")}
    for _ in range(N // 4):
        a = float(rng.uniform(0.1, 3.0))
        alpha = float(rng.uniform(0.02, 1.98)) / a
        sig = float(rng.choice([0.0, rng.uniform(0.0, 2.0)]))
        r = 1 - alpha * a
        cov = np.full(t + 2, sig)                        # c_0..c_{t+1}, independent
        x_t = np.zeros(t + 2)
        x_t[:t] = alpha * a * r ** (t - 1 - np.arange(t))   # x_t = sum_j r^(t-1-j) alpha a c_j
        c_t, c_t1 = np.eye(t + 2)[t], np.eye(t + 2)[t + 1]
        x_t1 = r * x_t + alpha * a * c_t
        s_t, s_t1 = -alpha * a * (x_t - c_t), -alpha * a * (x_t1 - c_t1)
        m = lambda u, w: float(np.sum(u * w * cov))      # noqa: E731  E[(u.c)(w.c)]
        vals = (a, alpha, sig, m(x_t, x_t), m(x_t, x_t), m(x_t, c_t), m(x_t, c_t1),
                m(c_t, c_t1), m(c_t, c_t), m(s_t, s_t1), m(s_t, s_t))
        for k, val in zip(out, vals):
            out[k].append(val)
    return {k: np.array(val) for k, val in out.items()}


def _um_paths(rng):
    """UM on f = w|x - c| with noise +-sd (each sign 1/2, independent), exact expectations over
    all paths; the quantities of paper_thm51_one_step at a random step t (x_{-1} = x_0,
    G_{-1} = 0, p_0 = 0, alpha_{-1} = alpha_0)."""
    keys = ("R_t", "R_tp1", "F_t", "F_tm1", "A_t", "B_t", "C_t", "N_t", "Q_t", "M_tm1",
            "N_tm1", "Q_tm1", "alpha_t", "alpha_tm1", "beta", "s", "G_sq", "delta_sq")
    out = {k: [] for k in keys}
    for _ in range(N // 4):
        T = int(rng.integers(1, 6))
        w, c, x0 = rng.uniform(0.2, 2.0), rng.uniform(-1, 1), rng.uniform(-2, 2)
        sd = float(rng.choice([0.0, rng.uniform(0.1, 1.0)]))
        beta = float(rng.choice([0.0, rng.uniform(0.0, 0.95)]))
        s = float(rng.choice([0.0, 1.0, 1 / (1 - beta), rng.uniform(0, 3)]))
        lrs = np.sort(rng.uniform(0.05, 1.0, T))[::-1]
        t = int(rng.integers(0, T))
        paths = np.array(list(itertools.product((-1.0, 1.0), repeat=T)))   # (2^T, T)
        x, x_prev, ys_prev = np.full(len(paths), x0), np.full(len(paths), x0), np.full(
            len(paths), x0)
        G_prev, g_prev, d_prev = (np.zeros(len(paths)) for _ in range(3))
        lr_prev = lrs[0]
        p = np.zeros(len(paths))
        for step in range(t + 1):
            g = w * np.where(x >= c, 1.0, -1.0)
            delta = sd * paths[:, step]
            G = g + delta
            ys = x - s * lrs[step] * G
            x_next = x - lrs[step] * G + beta * (ys - ys_prev)
            if step == t:
                p_next = beta / (1 - beta) * (x_next - x + s * lrs[step] * G)
                vals = (np.mean((x + p - c) ** 2), np.mean((x_next + p_next - c) ** 2),
                        np.mean(w * np.abs(x - c)), np.mean(w * np.abs(x_prev - c)),
                        np.mean((x - c) * g), np.mean((x - x_prev) * g), np.mean(G_prev * g),
                        np.mean(delta ** 2), np.mean(g ** 2), np.mean(G_prev ** 2),
                        np.mean(d_prev ** 2), np.mean(g_prev ** 2), lrs[step], lr_prev, beta,
                        s, w ** 2, sd ** 2)
                for k, val in zip(keys, vals):
                    out[k].append(val)
                break
            p = beta / (1 - beta) * (x_next - x + s * lrs[step] * G)
            x_prev, x, ys_prev = x, x_next, ys
            G_prev, g_prev, d_prev, lr_prev = G, g, delta, lrs[step]
    return {k: np.array(val) for k, val in out.items()}


def _sums(rng):
    """Rates alpha_t (non-increasing, alpha_{-1} = alpha_0), gaps F_t >= 0 (F_{-1} = F_0), the
    sums SF, W, SA at n and n + 1, summed term by term."""
    out = {k: [] for k in ("n", "alpha(n)", "alpha(n - 1)", "alpha(0)", "alpha(-1)", "F(n)",
                           "F(n - 1)", "F(-1)", "SF(n)", "SF(n + 1)", "SF(0)", "W(n)",
                           "W(n + 1)", "W(0)", "SA(n)", "SA(n + 1)", "SA(0)")}
    for _ in range(N // 4):
        n = int(rng.integers(0, 8))
        a = np.sort(rng.uniform(0.01, 1.0, n + 1))[::-1]
        F = rng.uniform(0, 3, n + 1)
        a_ext, F_ext = np.concatenate([[a[0]], a]), np.concatenate([[F[0]], F])   # index -1
        sf = lambda k: sum(a[j] * F[j] for j in range(k))                        # noqa: E731
        ww = lambda k: sum(a[j] * (F_ext[j] - F[j]) for j in range(k))           # noqa: E731
        sa = lambda k: sum(a[j] * a_ext[j] for j in range(k))                    # noqa: E731
        vals = (n, a[n], a_ext[n], a[0], a_ext[0], F[n], F_ext[n], F_ext[0], sf(n), sf(n + 1), 0.0,
                ww(n), ww(n + 1), 0.0, sa(n), sa(n + 1), 0.0)
        for k, val in zip(out, vals):
            out[k].append(val)
    return {k: np.array(val, dtype=float) for k, val in out.items()}


def _harmonic(rng):
    n = rng.integers(0, 500, N)
    hs = np.array([sum(1 / (i + 2) for i in range(k)) for k in n])
    h1 = np.array([sum(1 / (i + 1) for i in range(k + 1)) for k in n])
    return {"n": n.astype(float), "Hs(n)": hs, "Hs(n + 1)": hs + 1 / (n + 2.0),
            "Hs(0)": np.zeros(N), "H(n + 1)": h1, "H(n + 2)": h1 + 1 / (n + 2.0),
            "H(1)": np.ones(N)}


def _schedules(rng):
    """Schedules satisfying condition (10): alpha_hat_i <= 1/(i+2) non-increasing (alpha_hat_{-1}
    in [alpha_hat_0, 1)), k_i >= 1; kappa_1, kappa_2 the best constants; S = sum_t alpha_t,
    SA_n = sum_t alpha_t alpha_{t-1} (alpha_{-1} = alpha_0), H_n = sum_{i<n} 1/(i+1)."""
    out = {k: [] for k in ("n", "kappa1", "kappa2", "S", "SA_n", "H_n")}
    for _ in range(N):
        n = int(rng.integers(1, 12))
        cap = 1.0 / (np.arange(n) + 2)
        r = np.minimum.accumulate(cap * rng.uniform(0.3, 1.0, n))
        r_prev = np.concatenate([[rng.uniform(r[0], 0.999)], r[:-1]])
        k = rng.integers(1, 30, n)
        i = np.arange(n)
        lrs = np.repeat(r, k)
        vals = (n, np.min(k * r), np.max((i + 1) * k * r * r_prev), lrs.sum(),
                np.sum(lrs * np.concatenate([lrs[:1], lrs[:-1]])), np.sum(1 / (i + 1.0)))
        for key, val in zip(out, vals):
            out[key].append(val)
    return {k: np.array(val, dtype=float) for k, val in out.items()}


def _lemma121(rng):
    """Lemma 12.1's hypothesis: alpha_hat_i = 1/(i+2), k_i an integer in [kappa_1 (i+2),
    kappa_2 (i+2)]; T_n = sum_{i<n} k_i term by term."""
    out = {k: [] for k in ("i", "n", "k(i)", "k(n)", "kappa1", "kappa2", "T(n)", "T(n + 1)",
                           "T(0)")}
    for _ in range(N):
        k1 = rng.uniform(0.2, 2.0)
        k2 = k1 * rng.uniform(1.0, 3.0) + 1.0
        n = int(rng.integers(0, 20))
        k = np.array([rng.integers(np.ceil(k1 * (j + 2)), np.floor(k2 * (j + 2)) + 1)
                      for j in range(n + 1)])
        i = int(rng.integers(0, n + 1))
        vals = (i, n, k[i], k[n], k1, k2, k[:n].sum(), k[:n + 1].sum(), 0.0)
        for key, val in zip(out, vals):
            out[key].append(val)
    return {k: np.array(val, dtype=float) for k, val in out.items()}


def _stage_counts(rng):
    """n >= 1 stages of a Lemma 12.1 schedule and its total T = sum k_i (for eq. (41))."""
    out = {k: [] for k in ("n", "T", "kappa1", "kappa2")}
    for _ in range(N):
        k1 = rng.uniform(0.2, 2.0)
        k2 = k1 * rng.uniform(1.0, 3.0) + 1.0
        n = int(rng.integers(1, 30))
        k = [rng.integers(np.ceil(k1 * (j + 2)), np.floor(k2 * (j + 2)) + 1) for j in range(n)]
        for key, val in zip(out, (n, sum(k), k1, k2)):
            out[key].append(val)
    return {k: np.array(val, dtype=float) for k, val in out.items()}


def _log_pairs(rng):
    """n >= 1, 1 <= n_T <= n, their logarithms, and H_n = sum_{i<n} 1/(i+1)."""
    n = rng.integers(1, 400, N).astype(float)
    n_T = 1 + (n - 1) * rng.uniform(0, 1, N) ** 2
    n_T[::10] = n[::10]                                   # the edge n_T = n
    H = np.array([sum(1 / (i + 1) for i in range(int(k))) for k in n])
    return {"n": n, "n_T": n_T, "L_n": np.log(n), "L_T": np.log(n_T), "H_n": H}


PAPER_MODEL_INSTANCES = {
    ("paper_thm52_stages_from_T", "eq36_upper"): _stage_counts,
    ("paper_thm52_rate", "harmonic"): _log_pairs,
    ("paper_thm52_rate", "log_nT_nonneg"): _log_pairs,
    ("paper_thm52_eq41_lower", "eq36_upper"): _stage_counts,
    ("paper_thm52_eq41_upper", "eq36_lower"): _stage_counts,
    ("paper_thm32_variance", "fixed_point"): _nqm,
    ("paper_thm32_inner", "expansion_17"): _nqm,
    ("paper_thm32_inner", "independent_x_c0"): _nqm,
    ("paper_thm32_inner", "independent_x_c1"): _nqm,
    ("paper_thm32_inner", "independent_c0_c1"): _nqm,
    ("paper_thm32_inner", "noise_variance_14"): _nqm,
    ("paper_thm32_step_sq", "expansion"): _nqm,
    ("paper_thm32_step_sq", "independent_x_c0"): _nqm,
    ("paper_thm32_step_sq", "noise_variance_14"): _nqm,
    **{("paper_thm51_one_step", name): _um_paths
       for name in ("expansion_28", "convex_opt", "convex_prev", "unbiased_prev", "noise_t",
                    "noise_prev", "subgradient_t", "subgradient_prev")},
    **{("paper_thm51_telescoped", name): _sums
       for name in ("sf_start", "w_start", "sa_start", "sf_step", "w_step", "sa_step")},
    **{("paper_thm51_abel", name): _sums
       for name in ("w_start", "w_step", "rate_start", "gap_nonneg")},
    ("paper_harmonic_shifted", "start"): _harmonic,
    ("paper_harmonic_shifted", "step"): _harmonic,
    ("paper_harmonic", "start"): _harmonic,
    ("paper_harmonic", "step"): _harmonic,
    ("paper_thm51_rate", "sum_rates_33"): _schedules,
    ("paper_thm51_rate", "sum_products_34"): _schedules,
    ("paper_lemma121_kappa1", "length_lower"): _lemma121,
    ("paper_lemma121_kappa2", "length_upper"): _lemma121,
    ("paper_lemma121_T_upper", "start"): _lemma121,
    ("paper_lemma121_T_upper", "step"): _lemma121,
    ("paper_lemma121_T_upper", "length_upper"): _lemma121,
    ("paper_lemma121_T_lower", "start"): _lemma121,
    ("paper_lemma121_T_lower", "step"): _lemma121,
    ("paper_lemma121_T_lower", "length_lower"): _lemma121,
}
PAPER_NAMING = {
    ("paper_thm32_eq6", "weights_positive"): "the statement's case: some noise",
    ("paper_thm32_eq6", "max_definition"): "defines a_max = max_i a_i",
    ("paper_thm32_range", "weights_positive"): "the statement's case: some noise",
    ("paper_thm51_bound", "min_definition"): "defines m = min_t F_t (so the alpha-weighted "
                                             "mean is at least m)",
    ("paper_thm51_bound", "rate_positive"): "the rates' domain: alpha_t > 0",
}
PAPER_LEMMA_INSTANCES = {
    ("paper_thm52_rate", "log_ratio"): _log_pairs,
    ("paper_harmonic_shifted", "log_increment"): _harmonic,
    ("paper_harmonic", "log_increment"): _harmonic,
}
