"""A learner's own network.py, used as it is written: `adapter` drives it as a backend (backend=yours),
`check` says whether its backprop is right and how fast it is (make check). Beneath them, `loading`
reads the file as Python 3 can run it, `roles` finds which of its methods play the book's roles and
with what arguments, and `bounded` runs each call into it under a time limit."""
