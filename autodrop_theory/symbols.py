"""One symbol table, with the paper's names and sympy assumptions, reused by every bound and proof.

Positivity assumptions are declared here so that sympy simplifications are valid.  A symbol's
name is the keyword a bound takes; ``LATEX_NAMES`` gives the paper's notation.
"""

import sympy as sp

mu = sp.Symbol("mu", positive=True)                     # strong-convexity constant
L = sp.Symbol("L", positive=True)                       # smoothness constant
sigma_sq = sp.Symbol("sigma_sq", nonnegative=True)      # variance bound sigma^2 (BV)
sigma_star_sq = sp.Symbol("sigma_star_sq", nonnegative=True)  # variance at x* (FS)
lr = sp.Symbol("lr", positive=True)                     # learning rate eta (eta_0 for schedules)
r0_sq = sp.Symbol("r0_sq", nonnegative=True)            # ||y_0||^2
t = sp.Symbol("t", nonnegative=True)                    # number of SGD steps
T = sp.Symbol("T", positive=True)                       # total budget of steps
rho = sp.Symbol("rho", positive=True)                   # drop factor, 0 < rho < 1
eps = sp.Symbol("eps", positive=True)                   # target accuracy for E||y||^2
K = sp.Symbol("K", positive=True, integer=True)         # steps per epoch
d = sp.Symbol("d", positive=True, integer=True)         # dimension
# per-coordinate quantities of the quadratic model Q (docs/theory.md §1)
h = sp.Symbol("h", nonnegative=True)                    # a Hessian eigenvalue h_i
c = sp.Symbol("c", nonnegative=True)                    # a noise variance c_i
y0 = sp.Symbol("y0", real=True)                         # a coordinate of y_0
i = sp.Idx("i")                                         # coordinate index, 1..d
# rate sequences (docs/theory.md §2d): one rate per step, checked at every step
lr_t = sp.Symbol("lr_t", positive=True)                 # the rate eta_t of one step
D_sq = sp.Symbol("D_sq", nonnegative=True)              # ||x_1 - x*||^2 <= D^2 (convex case)
G_sq = sp.Symbol("G_sq", nonnegative=True)              # E||g_t||^2 <= G^2 (convex case)



def _relation(cls):
    def make(lhs, rhs):
        """An unevaluated relation: sympy would fold e.g. mu > 0 to True from mu's positivity
        assumption, and a condition must stay checkable on numbers."""
        return cls(lhs, rhs, evaluate=False)
    return make


Gt, Ge, Lt, Le = (_relation(r) for r in (sp.StrictGreaterThan, sp.GreaterThan,
                                          sp.StrictLessThan, sp.LessThan))

LATEX_NAMES = {mu: r"\mu", L: "L", sigma_sq: r"\sigma^{2}", sigma_star_sq: r"\sigma_*^{2}",
               lr: r"\eta", r0_sq: r"\|y_0\|^{2}", t: "t", T: "T", rho: r"\rho",
               eps: r"\varepsilon", K: "K", d: "d", h: "h", c: "c", y0: "y_{0}",
               lr_t: r"\eta_t", D_sq: "D^{2}", G_sq: "G^{2}"}

__all__ = ["mu", "L", "sigma_sq", "sigma_star_sq", "lr", "r0_sq", "t", "T", "rho", "eps", "K",
           "d", "h", "c", "y0", "i", "lr_t", "D_sq", "G_sq", "LATEX_NAMES", "Gt", "Ge", "Lt", "Le"]

# ---------------------------------------------------------------- the paper's notation (docs/paper.md)
# Wang, Teng, Choromanska, UAI 2024: NQM (Definition 3.1), Theorems 3.2, 5.1, 5.2, Lemma 12.1
p_a = sp.Symbol("a", positive=True)                      # NQM curvature a_i > 0
p_sig_sq = sp.Symbol("sig_sq", nonnegative=True)         # NQM noise variance sigma_i^2 of c_t
p_alpha = sp.Symbol("alpha", positive=True)              # the fixed rate of Theorem 3.2
p_amax = sp.Symbol("a_max", positive=True)               # max_i a_i
p_beta = sp.Symbol("beta", nonnegative=True)             # UM momentum, 0 <= beta < 1
p_s = sp.Symbol("s", nonnegative=True)                   # UM interpolation factor s >= 0
p_G_sq = sp.Symbol("G_sq", nonnegative=True)             # G^2: ||subgradient|| <= G
p_delta_sq = sp.Symbol("delta_sq", nonnegative=True)     # E||G(x; xi) - grad f(x)||^2 <= delta^2
p_dist0_sq = sp.Symbol("dist0_sq", nonnegative=True)     # ||x_0 - x*||^2
p_gap0 = sp.Symbol("gap0", nonnegative=True)             # f(x_0) - f*
p_kappa1 = sp.Symbol("kappa1", positive=True)            # the constants of condition (10)
p_kappa2 = sp.Symbol("kappa2", positive=True)
p_n = sp.Symbol("n", positive=True, integer=True)        # number of stages
p_gamma = sp.Symbol("gamma", positive=True)              # curvature of the angle model (12)
p_eps = sp.Symbol("epsilon", nonnegative=True)           # asymptote factor of the model (12)
p_tau0 = sp.Symbol("tau0", positive=True)                # threshold of Algorithm 2
__all__ += ["p_a", "p_sig_sq", "p_alpha", "p_amax", "p_beta", "p_s", "p_G_sq", "p_delta_sq",
            "p_dist0_sq", "p_gap0", "p_kappa1", "p_kappa2", "p_n", "p_gamma", "p_eps", "p_tau0"]
