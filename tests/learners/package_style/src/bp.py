import numpy as np

from src.activation import sigmoid, sigmoid_prime


def forward_pass(weights, biases, x):
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(np.dot(w, activations[-1]) + b)
        activations.append(sigmoid(zs[-1]))
    return activations, zs


def output_error(activation, z, y):
    return (activation - y) * sigmoid_prime(z)
