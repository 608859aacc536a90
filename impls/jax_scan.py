"""Nielsen's network the idiomatic JAX way: a pure cost, jax.grad, and a whole epoch compiled as one call.

The cost of a mini-batch is its mean, sum(C) / m, whose gradient is (1/m) * (sum
of per-example gradients), so params - eta * grad(cost) is Nielsen's update. An
epoch is one `lax.scan` over its whole mini-batches, compiled by `jax.jit`,
followed by one more step for a partial last mini-batch. 64-bit floats are
switched on so that float64 runs compute in float64; float32 runs stay float32.

Chapter 3's settings (impls.Network) are static arguments of the compiled
functions, so each compiles to its own code and the defaults to chapter 1's.
The costs are written from z_L, where their logarithms stay finite; jax.grad
derives the rest. L2 is a term of the cost that is differentiated, (lmbda/2n)
sum W^2, whose gradient (lmbda/n) W gives network2.py's decay; momentum carries
the velocities through the scan with the parameters.
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

jax.config.update("jax_enable_x64", True)

HIDDEN = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu}


class Settings(NamedTuple):
    """Chapter 3's settings, hashable so that jit can take them as static."""

    activation: str = "sigmoid"
    output: str = "sigmoid"
    cost: str = "quadratic"
    decay: float = 0.0  # lmbda / n
    momentum: float = 0.0


def logits(params, x, activation):
    """z_L, the output layer's input."""
    a = x
    for w, b in zip(params[0:-2:2], params[1:-2:2]):
        a = HIDDEN[activation](a @ w.T + b)
    return a @ params[-2].T + params[-1]


def output_layer(z, output):
    return jax.nn.softmax(z) if output == "softmax" else jax.nn.sigmoid(z)


def mean_cost(z, y, settings):
    """The mean over the examples of C, from z_L and the one-hot targets y."""
    if settings.output == "softmax":  # the log-likelihood, -ln a_label
        total = -jnp.sum(y * jax.nn.log_softmax(z))
    elif settings.cost == "cross_entropy":  # ln a = ln sigmoid(z), ln(1 - a) = ln sigmoid(-z)
        total = -jnp.sum(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z))
    else:
        total = 0.5 * jnp.sum((jax.nn.sigmoid(z) - y) ** 2)
    return total / z.shape[0]


def cost(params, x, y, settings):
    return mean_cost(logits(params, x, settings.activation), y, settings)


def regularised_cost(params, x, y, settings):
    """The cost SGD descends: with L2, plus (lmbda/2n) times the sum of the squared weights."""
    if settings.decay:
        return cost(params, x, y, settings) + 0.5 * settings.decay * sum(jnp.sum(w**2) for w in params[0::2])
    return cost(params, x, y, settings)


@partial(jax.jit, static_argnames="settings")
def sgd_step(state, x, y, eta, settings):
    """One step from (params, velocities); without momentum the velocities are an empty list."""
    params, velocities = state
    grads = jax.grad(regularised_cost)(params, x, y, settings)
    if settings.momentum:
        velocities = [settings.momentum * v - eta * g for v, g in zip(velocities, grads)]
        return [p + v for p, v in zip(params, velocities)], velocities
    return [p - eta * g for p, g in zip(params, grads)], velocities


@partial(jax.jit, static_argnames=("batch_size", "settings"))
def sgd_epoch(state, train_x, train_y, order, eta, batch_size, settings):
    """Nielsen's SGD over the whole mini-batches of `order`, as one compiled scan."""

    def step(state, batch):
        return sgd_step(state, train_x[batch], train_y[batch], eta, settings), None

    batches = order[: order.shape[0] // batch_size * batch_size].reshape(-1, batch_size)
    state, _ = lax.scan(step, state, batches)
    return state


class JaxScan:
    devices = ("cpu", "cuda") if any(d.platform == "gpu" for d in jax.devices()) else ("cpu",)
    framework = "jax"

    def __init__(
        self,
        params,
        train_x,
        train_y,
        device="cpu",
        dtype="float32",
        cost="quadratic",
        output="sigmoid",
        lmbda=0.0,
        activation="sigmoid",
        momentum=0.0,
    ):
        self.device = jax.devices("gpu" if device == "cuda" else "cpu")[0]
        self.dtype = jnp.dtype(dtype)
        self.settings = Settings(activation, output, cost, lmbda / len(train_x), momentum)
        self.params = [jax.device_put(jnp.asarray(p, dtype=self.dtype), self.device) for p in params]
        self.velocities = [jnp.zeros_like(p) for p in self.params] if momentum else []
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
        state = self.params, self.velocities
        state = sgd_epoch(state, self.train_x, self.train_y, order, eta, batch_size, self.settings)
        rest = order[order.shape[0] // batch_size * batch_size :]
        if rest.shape[0]:
            state = sgd_step(state, self.train_x[rest], self.train_y[rest], eta, self.settings)
        self.params, self.velocities = state

    def prepare_training(self, batch_size, eta):
        """Compile the epoch for this batch size and the epoch's length (jit specialises on shapes),
        by running one, then put the parameters and velocities back."""
        saved = self.params, self.velocities
        self.train_epoch(np.arange(self.train_x.shape[0]), batch_size, eta)
        jax.block_until_ready(self.params)
        self.params, self.velocities = saved

    def forward(self, x):
        return jax.block_until_ready(
            output_layer(logits(self.params, x, self.settings.activation), self.settings.output)
        )

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db: the mean's gradient times m."""
        grads = jax.grad(cost)(self.params, x, self.one_hot(y), self.settings)
        return [np.asarray(g) * x.shape[0] for g in grads]

    def evaluate(self, x, y):
        return int(jnp.sum(jnp.argmax(self.forward(x), axis=1) == y))

    def cost(self, x, y):
        """Mean cost over the examples, in float64."""
        z = logits(self.params, x, self.settings.activation)
        return float(mean_cost(z.astype(jnp.float64), self.one_hot(y).astype(jnp.float64), self.settings))

    def parameters(self):
        return [np.asarray(p, dtype=np.float64) for p in self.params]

    def synchronize(self):
        jax.block_until_ready(self.params)
