"""Where a learner's network keeps its weights and biases, and their arrays read and written there.

The book keeps `self.weights` and `self.biases`, one array per layer. Files also keep them under
other names (`self.W`, `self.b`), one attribute per layer (`self.W1`, `self.b1`), in (weight,
velocity) pairs for momentum, in per-layer (W, b) pairs, in dicts (`self.params["W1"]`) or in layer
objects of their own (`self.layers[0].W`). Each array is found by its shape, in layer order, and
reached again by its path from the network; the `param` option names the attribute to look in
where the shapes do not tell. Arrays may be NumPy's or torch's (tensors on the CPU or a GPU): what
is written back is of the kind that was found.
"""

from dataclasses import dataclass

import numpy as np

DEPTH = 3  # attribute -> container -> container -> array: self.layers[0]["W"]
NOT_PARAMETERS = ("veloc", "grad", "nabla", "moment", "delta", "cache", "prev", "old", "best")


def is_array(value) -> bool:
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) in (1, 2) and hasattr(value, "dtype")


def size_of(value) -> int:
    """Entries in an array of any library (np.size of a torch tensor is its `size` method)."""
    return int(np.prod(np.shape(value)))


def is_torch(value) -> bool:
    return type(value).__module__.split(".")[0] == "torch"


def as_numpy(value) -> np.ndarray:
    """A NumPy array of a NumPy array, a torch tensor (on any device) or a list of numbers."""
    if is_torch(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def like(array: np.ndarray, example):
    """The array as the kind of array `example` is: a torch tensor on its device, else NumPy's."""
    if is_torch(example):
        import torch  # only a file that keeps torch tensors gets here, and it imported torch itself

        return torch.from_numpy(np.ascontiguousarray(array)).to(example.device)
    return array


def leaves(value, own_module: str, path=(), depth=0):
    """(path, array) for each array inside value, in order; a step is ("item", key) or ("attr", name)."""
    if is_array(value):
        yield path, value
        return
    if depth >= DEPTH:
        return
    if isinstance(value, list | tuple):
        steps = (("item", k, v) for k, v in enumerate(value))
    elif isinstance(value, dict):
        steps = (("item", k, v) for k, v in value.items())
    elif type(value).__module__ == own_module and hasattr(value, "__dict__"):
        steps = (("attr", k, v) for k, v in vars(value).items())
    else:
        return
    for kind, key, item in steps:
        yield from leaves(item, own_module, (*path, (kind, key)), depth + 1)


def read(owner, path):
    for kind, key in path:
        owner = getattr(owner, key) if kind == "attr" else owner[key]
    return owner


def written(owner, path, value):
    """owner with the array at path replaced: lists, tuples and dicts copied, objects changed in place."""
    if not path:
        return value
    (kind, key), rest = path[0], path[1:]
    if kind == "attr":
        setattr(owner, key, written(getattr(owner, key), rest, value))
        return owner
    inner = written(owner[key], rest, value)
    if isinstance(owner, tuple):
        items = [inner if k == key else item for k, item in enumerate(owner)]
        return type(owner)(*items) if hasattr(owner, "_fields") else tuple(items)
    copy = owner.copy()
    copy[key] = inner
    return copy


def shown(path) -> str:
    """self.weights[0], self.layers[1].W, self.params['W1']."""
    return "self" + "".join(f".{key}" if kind == "attr" else f"[{key!r}]" for kind, key in path)


@dataclass
class Found:
    paths: list  # one path per layer
    transposed: bool = False  # weights kept as (n_in, n_out)


def in_order(found: list, layers: int, fits) -> list | None:
    """The paths of the first arrays, one per layer in order, for which fits(layer, array) holds;
    None where a layer has none."""
    paths = []
    for path, array in found:
        if len(paths) < layers and fits(len(paths), array):
            paths.append(path)
    return paths if len(paths) == layers else None


def rank(name: str, role: str) -> int:
    """Which attributes are looked in first: the book's name, then names like it, then any but
    those that hold a velocity or a gradient shaped like the parameters."""
    key = name.lower().lstrip("_")
    if key == role:
        return 0
    if any(word in key for word in NOT_PARAMETERS):
        return 3
    return 1 if key.startswith(role[0]) or role[:4] in key else 2


def find(net, weights: list[tuple], sizes: list[int], pointed: dict[str, str]) -> dict[str, Found]:
    """'weights' and 'biases' -> where they are; a role missing from the result was found nowhere.
    `pointed`: role -> the attribute (dotted for one inside another) to look in only."""
    own = type(net).__module__
    fitting = {
        "weights": [
            (lambda k, a: tuple(a.shape) == weights[k], False),
            (lambda k, a: tuple(a.shape) == weights[k][::-1], True),
        ],
        "biases": [(lambda k, a: tuple(a.shape) in ((sizes[k], 1), (1, sizes[k]), (sizes[k],)), False)],
    }
    attributes = vars(net)
    result = {}
    for role, tests in fitting.items():
        if role in pointed:
            steps = tuple(("attr", part) for part in pointed[role].split("."))
            try:
                places = [list(leaves(read(net, steps), own, steps))]
            except (AttributeError, KeyError, IndexError, TypeError):
                places = []
        else:
            names = sorted(attributes, key=lambda n: rank(n, role))
            places = [list(leaves(attributes[n], own, (("attr", n),))) for n in names]
            places.append([((("attr", n),), v) for n, v in attributes.items() if is_array(v)])  # self.W1
        for found in places:
            paths = next(
                (
                    (paths, transposed)
                    for fits, transposed in tests
                    if (paths := in_order(found, len(sizes), fits))
                ),
                None,
            )
            if paths:
                result[role] = Found(*paths)
                break
    return result
