"""AutoDrop in a small optax training loop (docs/optax.md): a 1-D CNN on MNIST-1D-shaped random
data (inputs of length 40, 10 classes, labels a noisy function of the input), minibatch SGD
with momentum 0.9 and the package's AutoDrop chained last.  A few seconds on a CPU:
    python docs/example_optax.py"""
import jax
import jax.numpy as jnp
import optax

from autodrop_theory import optax as ado
from autodrop_theory.rule import AutoDropConfig

k = jax.random.split(jax.random.PRNGKey(0), 4)
X = jax.random.normal(k[0], (1000, 40, 1))
y = jnp.where(jax.random.uniform(k[1], (1000,)) < 0.7,                 # 30% label noise
              jnp.argmax(X[:, :10, 0], axis=1), jax.random.randint(k[1], (1000,), 0, 10))
params = {"c": 0.3 * jax.random.normal(k[2], (5, 1, 16)),
          "w": 0.05 * jax.random.normal(k[3], (16 * 18, 10))}


def loss(p, xb, yb):
    h = jax.nn.relu(jax.lax.conv_general_dilated(xb, p["c"], (2,), "VALID",
                                                 dimension_numbers=("NWC", "WIO", "NWC")))
    logits = h.reshape(h.shape[0], -1) @ p["w"]
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(yb.size), yb])


K, B, LR = 30, 32, 0.05                         # steps per epoch, batch size, initial rate
tx = optax.chain(optax.sgd(LR, momentum=0.9),
                 ado.scale_by_autodrop(AutoDropConfig.package(LR), K, momentum=0.9))


@jax.jit
def epoch(params, state, key):
    def step(c, key):
        p, s = c
        i = jax.random.randint(key, (B,), 0, X.shape[0])             # a random minibatch
        u, s = tx.update(jax.grad(loss)(p, X[i], y[i]), s, p)
        return (optax.apply_updates(p, u), s), None
    return jax.lax.scan(step, (params, state), jax.random.split(key, K))[0]


state = tx.init(params)
for e in range(150):
    params, state = epoch(params, state, jax.random.fold_in(k[0], e))
info = ado.read(state)
final = loss(ado.autodrop_eval_params(state, params), X, y)     # evaluate the rule's estimate
print(f"training loss {float(final):.3f}  lr {float(info['lr']):.4f}  "
      f"drops: {int(info['num_drops'])}")
