"""Nielsen's network the idiomatic JAX way: a pure cost, jax.grad, and a whole epoch compiled as one call.

The cost of a mini-batch is C = sum((a - y)^2) / 2 / m, whose gradient is
(1/m) * (sum of per-example gradients), so params - eta * grad(C) is Nielsen's
update. An epoch is one `lax.scan` over its whole mini-batches, compiled by
`jax.jit`, followed by one more step for a partial last mini-batch. 64-bit floats
are switched on so that float64 runs compute in float64; float32 runs stay float32.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

jax.config.update("jax_enable_x64", True)


def cost(params, x, y):
    a = x
    for w, b in zip(params[0::2], params[1::2]):
        a = jax.nn.sigmoid(a @ w.T + b)
    return 0.5 * jnp.sum((a - y) ** 2) / x.shape[0]


@jax.jit
def sgd_step(params, x, y, eta):
    grads = jax.grad(cost)(params, x, y)
    return [p - eta * g for p, g in zip(params, grads)]


@partial(jax.jit, static_argnames="batch_size")
def sgd_epoch(params, train_x, train_y, order, eta, batch_size):
    """Nielsen's SGD over the whole mini-batches of `order`, as one compiled scan."""

    def step(params, batch):
        return sgd_step(params, train_x[batch], train_y[batch], eta), None

    batches = order[: order.shape[0] // batch_size * batch_size].reshape(-1, batch_size)
    params, _ = lax.scan(step, params, batches)
    return params


class JaxScan:
    devices = ("cpu", "cuda") if any(d.platform == "gpu" for d in jax.devices()) else ("cpu",)
    framework = "jax"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.device = jax.devices("gpu" if device == "cuda" else "cpu")[0]
        self.dtype = jnp.dtype(dtype)
        self.params = [jax.device_put(jnp.asarray(p, dtype=self.dtype), self.device) for p in params]
        self.n_out = params[-1].shape[0]
        self.train_x, labels = self.place(train_x, train_y)
        self.train_y = self.one_hot(labels)

    def one_hot(self, labels):
        return jax.nn.one_hot(labels, self.n_out, dtype=self.dtype)

    def place(self, x, y):
        return jax.device_put(jnp.asarray(x, dtype=self.dtype), self.device), jax.device_put(
            jnp.asarray(y), self.device
        )

    def train_epoch(self, order, batch_size, eta):
        order = jax.device_put(jnp.asarray(order), self.device)
        eta = jnp.asarray(eta, dtype=self.dtype)
        self.params = sgd_epoch(self.params, self.train_x, self.train_y, order, eta, batch_size)
        rest = order[order.shape[0] // batch_size * batch_size :]
        if rest.shape[0]:
            self.params = sgd_step(self.params, self.train_x[rest], self.train_y[rest], eta)

    def prepare_training(self, batch_size, eta):
        """Compile the epoch for this batch size and the epoch's length (jit specialises on shapes),
        by running one, then put the parameters back."""
        saved = self.params
        self.train_epoch(np.arange(self.train_x.shape[0]), batch_size, eta)
        jax.block_until_ready(self.params)
        self.params = saved

    def forward(self, x):
        a = x
        for w, b in zip(self.params[0::2], self.params[1::2]):
            a = jax.nn.sigmoid(a @ w.T + b)
        return jax.block_until_ready(a)

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db: the mean's gradient times m."""
        grads = jax.grad(cost)(self.params, x, self.one_hot(y))
        return [np.asarray(g) * x.shape[0] for g in grads]

    def evaluate(self, x, y):
        return int(jnp.sum(jnp.argmax(self.forward(x), axis=1) == y))

    def cost(self, x, y):
        diff = np.asarray(self.forward(x), dtype=np.float64) - np.asarray(self.one_hot(y), dtype=np.float64)
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / x.shape[0])

    def parameters(self):
        return [np.asarray(p, dtype=np.float64) for p in self.params]

    def synchronize(self):
        jax.block_until_ready(self.params)
