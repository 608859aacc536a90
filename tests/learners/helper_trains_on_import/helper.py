"""A helper module whose script part, unguarded, trains for ever when it is imported."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


epoch = 0
while True:
    epoch += 1
